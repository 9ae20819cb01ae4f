"""Nothing from outside, a strict CSP, CSRF on every form, a health check for load balancers."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.web.support import Programme, WebClient, csrf_of
from web.security import CONTENT_SECURITY_POLICY, csrf_routes
from web.visit import STATIC

WEB = Path(__file__).resolve().parents[2] / "web"
# Any address of another site: a URL with a scheme or protocol-relative, in HTML, CSS or JS.
EXTERNAL = re.compile(r"""(?:src|href|action|url\(|@import|fetch\(|import\()\s*=?\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


def test_the_content_security_policy_allows_only_this_server_and_telegrams_frames() -> None:
    policy = dict(part.split(" ", 1) for part in CONTENT_SECURITY_POLICY.split("; "))
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"  # no inline code, no other host
    assert policy["form-action"] == "'self'" and policy["base-uri"] == "'none'"
    assert "https://web.telegram.org" in policy["frame-ancestors"]


def test_no_template_or_asset_loads_anything_from_another_site_or_runs_inline_code() -> None:
    files = [*WEB.glob("templates/**/*.html"), *STATIC.glob("*")]
    assert len(files) > 5
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert not EXTERNAL.search(text), f"{path.name} refers to another site"
        if path.suffix == ".html":
            assert not re.search(r"<script(?![^>]*\bsrc=)", text), f"{path.name} has an inline script"
            assert not re.search(r"<style|\sstyle=|\son[a-z]+=", text), f"{path.name} has inline style or an event attribute"


async def test_every_page_answer_carries_the_security_headers(programme: Programme, client: WebClient) -> None:
    for path in ["/sign-in", "/app", "/healthz", "/no-such-page"]:
        answer = await client.get(path)
        assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY, path
        assert answer.headers["referrer-policy"] == "no-referrer"  # a sign-in token is in a path
        assert answer.headers["x-content-type-options"] == "nosniff"
    page = await client.get("/sign-in")
    assert page.headers["cache-control"] == "no-store"
    assert (await client.get("/no-such-page")).status_code == 404


async def test_every_form_the_app_serves_carries_a_csrf_token(programme: Programme, client: WebClient) -> None:
    for path in ["/sign-in", "/app", "/sign-in/" + "A" * 43]:
        html = (await client.get(path)).text
        forms = re.findall(r"<form[^>]*method=\"post\"[^>]*>(.*?)</form>", html, re.S)
        assert forms, path
        assert all('name="csrf"' in form for form in forms), path


@pytest.mark.parametrize("token", [None, "wrong", ""])
async def test_every_post_route_refuses_a_missing_or_wrong_csrf_token_before_doing_anything(
    programme: Programme, client: WebClient, app: Any, token: str | None
) -> None:
    await client.sign_in_with(await programme.services.sign_in.link_for(contact_id=programme.wang_fang))
    routes = csrf_routes(app)
    assert "/sign-in" in routes and "/sign-out" in routes and len(routes) >= 4
    for path in routes:
        concrete = re.sub(r"\{[^}]+\}", "1", path.replace("{token}", "A" * 43))
        data = {} if token is None else {"csrf": token}
        answer = await client.http.post(concrete, data={**data, "email": "x@example.org", "day": "2027-04-01"})
        assert answer.status_code == 403, (path, answer.status_code)
    assert (await client.get("/")).status_code == 200  # still signed in: sign-out refused too
    async with programme.services.uow_factory() as uow:
        assert await uow.outbox.list() == []  # no link was requested


async def test_a_csrf_token_seen_before_signing_in_is_useless_afterwards(programme: Programme, client: WebClient) -> None:
    before = csrf_of((await client.get("/sign-in")).text)
    await client.sign_in_with(await programme.services.sign_in.link_for(contact_id=programme.wang_fang))
    answer = await client.http.post("/sign-out", data={"csrf": before})
    assert answer.status_code == 403


async def test_the_health_check_answers_with_the_database_and_the_sender(programme: Programme, client: WebClient) -> None:
    answer = await client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "database": "ok", "sender": "off", "oldest_due_utc": None}


async def test_the_health_check_answers_503_when_the_database_does_not(programme: Programme) -> None:
    from dataclasses import replace

    from storage.db import create_engine, create_session_factory
    from storage.uow import UnitOfWorkFactory
    from web.app import create_app

    dead = create_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    services = replace(programme.services, uow_factory=UnitOfWorkFactory(create_session_factory(dead)))
    client = WebClient(create_app(services.config, lambda: services, bot_token="0:x"))
    try:
        answer = await client.get("/healthz")
        assert answer.status_code == 503 and answer.json()["database"] == "unreachable"
    finally:
        await client.aclose()
        await dead.dispose()
