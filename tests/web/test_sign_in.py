"""Signing in: links by e-mail (used, expired, forged, another person's), the Mini App's initData, sessions."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import text

from bot.domain import Channel, NoticeKind, OutboxStatus
from bot.mini_app import verify_init_data
from tests.web.support import (
    HAMBURG_CONTACT,
    NOW,
    OTHER_BOT_TOKEN,
    PANJIN_EMAIL,
    STRANGER,
    TOKEN,
    Programme,
    WebClient,
    csrf_of,
    deliver_mails,
    mini_app_init_data,
)


async def signed_in_name(client: WebClient) -> str | None:
    home = await client.get("/")
    if home.status_code != 200:
        return None
    found = re.search(r'<p class="who">([^<·]+)', home.text)
    return found.group(1).strip() if found else None


async def test_a_sign_in_link_signs_in_its_person_once(programme: Programme, client: WebClient, other_client: WebClient) -> None:
    url = await programme.services.sign_in.link_for(contact_id=programme.wang_fang)
    assert url.startswith("http://127.0.0.1:8080/sign-in/")
    assert await signed_in_name(client) is None
    answer = await client.sign_in_with(url)
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    assert await signed_in_name(client) == "Wang Fang"
    # The same link a second time (another browser, or a forwarded mail) signs in nobody.
    again = await other_client.sign_in_with(url)
    assert again.status_code == 400 and "used already" in again.text
    assert await signed_in_name(other_client) is None


async def test_an_expired_link_signs_in_nobody(programme: Programme, client: WebClient) -> None:
    url = await programme.services.sign_in.link_for(contact_id=programme.wang_fang)
    programme.clock.advance(programme.services.config.web.link_ttl + timedelta(seconds=1))
    answer = await client.sign_in_with(url)
    assert answer.status_code == 400 and "expired" in answer.text
    assert await signed_in_name(client) is None


@pytest.mark.parametrize("token", ["A" * 43, "not-a-token", "x" * 200, "%2e%2e"])
async def test_a_forged_link_signs_in_nobody(programme: Programme, client: WebClient, token: str) -> None:
    page = await client.get("/sign-in/" + "B" * 43)
    answer = await client.http.post(f"/sign-in/{token}", data={"csrf": csrf_of(page.text)})
    assert answer.status_code in (400, 404)
    assert await signed_in_name(client) is None


async def test_another_persons_link_signs_in_that_person_only_and_ends_the_own_session(programme: Programme, client: WebClient) -> None:
    mine = await programme.services.sign_in.link_for(contact_id=programme.wang_fang)
    theirs = await programme.services.sign_in.link_for(contact_id=programme.hamburg_contact)
    await client.sign_in_with(mine)
    assert await signed_in_name(client) == "Wang Fang"
    await client.sign_in_with(theirs)
    assert await signed_in_name(client) == "Hamburg contact"  # never a mix of the two


async def test_only_a_hash_of_each_link_is_stored(programme: Programme, engine: object) -> None:
    url = await programme.services.sign_in.link_for(contact_id=programme.wang_fang)
    token = url.rsplit("/", 1)[1]
    async with engine.connect() as connection:  # type: ignore[attr-defined]
        rows = (await connection.execute(text("SELECT token_hash FROM sign_in_links"))).all()
    assert len(rows) == 1 and token not in rows[0][0] and len(rows[0][0]) == 64


async def test_asking_for_a_link_never_says_whether_the_address_is_known(programme: Programme, client: WebClient) -> None:
    known = await client.post("/sign-in", {"email": PANJIN_EMAIL.upper()})
    unknown = await client.post("/sign-in", {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 200
    strip = lambda html: re.sub(r'value="[^"]*"', "", html)  # noqa: E731 - the CSRF token differs, nothing else
    assert strip(known.text) == strip(unknown.text)
    async with programme.services.uow_factory() as uow:
        queued = await uow.outbox.list()
    assert [(m.kind, m.channel, m.contact_id) for m in queued] == [(NoticeKind.SIGN_IN_LINK.value, Channel.EMAIL, programme.wang_fang)]


async def test_one_address_gets_at_most_the_configured_links_an_hour(programme: Programme) -> None:
    limit = programme.services.config.web.links_per_address_per_hour
    for _ in range(limit + 3):
        await programme.services.sign_in.request_link(address=PANJIN_EMAIL)
        await deliver_mails(programme)
    async with programme.services.uow_factory() as uow:
        links = await uow.sign_in_links.count_since(programme.wang_fang, NOW - timedelta(hours=1))
    assert links == limit
    programme.clock.advance(timedelta(hours=1, minutes=1))
    await programme.services.sign_in.request_link(address=PANJIN_EMAIL)
    await deliver_mails(programme)
    async with programme.services.uow_factory() as uow:
        assert await uow.sign_in_links.count_since(programme.wang_fang, programme.clock.now() - timedelta(minutes=5)) == 1


async def test_the_requested_mail_carries_a_link_that_signs_in(programme: Programme, client: WebClient) -> None:
    from email import message_from_bytes, policy

    await client.post("/sign-in", {"email": PANJIN_EMAIL})
    [raw] = await deliver_mails(programme)
    mail = message_from_bytes(raw, policy=policy.default)
    assert mail["To"].addresses[0].addr_spec == PANJIN_EMAIL
    body = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    [url] = re.findall(r"http://\S+/sign-in/\S+", body)
    await client.sign_in_with(url)
    assert await signed_in_name(client) == "Wang Fang"
    async with programme.services.uow_factory() as uow:
        assert [m.status for m in await uow.outbox.list()] == [OutboxStatus.SENT]


async def test_too_many_sign_in_requests_from_one_address_are_refused_for_a_minute(programme: Programme, client: WebClient) -> None:
    limit = programme.services.config.web.sign_in_attempts_per_minute
    page = await client.get("/sign-in")
    token = csrf_of(page.text)
    answers = [(await client.http.post("/sign-in", data={"csrf": token, "email": f"x{i}@example.org"})).status_code for i in range(limit + 2)]
    assert answers[:limit] == [200] * limit and answers[limit:] == [429, 429]


# ---- the Mini App ----------------------------------------------------------------------


def test_init_data_signed_with_the_bots_token_names_the_user() -> None:
    data = mini_app_init_data(HAMBURG_CONTACT, auth_utc=NOW - timedelta(minutes=2))
    user = verify_init_data(data, TOKEN, now_utc=NOW, max_age=timedelta(hours=1))
    assert user.telegram_user_id == HAMBURG_CONTACT and user.language_code == "de"


@pytest.mark.parametrize(
    "case",
    ["wrong hash", "stale auth_date", "another bot's token", "edited user", "no hash", "dated ahead"],
)
def test_init_data_that_telegram_did_not_sign_for_this_bot_just_now_is_refused(case: str) -> None:
    from bot.domain import InvalidInputError

    auth = NOW - timedelta(minutes=2)
    data = mini_app_init_data(HAMBURG_CONTACT, auth_utc=auth)
    if case == "wrong hash":
        data = re.sub(r"hash=[0-9a-f]{64}", "hash=" + "0" * 64, data)
    elif case == "stale auth_date":
        data = mini_app_init_data(HAMBURG_CONTACT, auth_utc=NOW - timedelta(hours=1, seconds=1))
    elif case == "another bot's token":
        data = mini_app_init_data(HAMBURG_CONTACT, auth_utc=auth, token=OTHER_BOT_TOKEN)
    elif case == "edited user":
        data = data.replace(f"%22id%22%3A{HAMBURG_CONTACT}", "%22id%22%3A1001")
        assert "1001" in data
    elif case == "no hash":
        data = re.sub(r"&?hash=[0-9a-f]{64}", "", data)
    elif case == "dated ahead":
        data = mini_app_init_data(HAMBURG_CONTACT, auth_utc=NOW + timedelta(hours=2))
    with pytest.raises(InvalidInputError):
        verify_init_data(data, TOKEN, now_utc=NOW, max_age=timedelta(hours=1))


async def mini_app_sign_in(client: WebClient, init_data: str) -> httpx.Response:
    page = await client.get("/app")
    return await client.http.post("/app", data={"csrf": csrf_of(page.text), "init_data": init_data, "next": "/"})


async def test_the_mini_app_signs_in_a_telegram_contact_with_valid_init_data(programme: Programme, client: WebClient) -> None:
    answer = await mini_app_sign_in(client, mini_app_init_data(HAMBURG_CONTACT, auth_utc=NOW - timedelta(seconds=30)))
    assert answer.status_code == 303
    assert await signed_in_name(client) == "Hamburg contact"


@pytest.mark.parametrize("case", ["another bot's token", "stale auth_date", "a stranger"])
async def test_the_mini_app_signs_in_nobody_with_bad_init_data_or_for_a_stranger(programme: Programme, client: WebClient, case: str) -> None:
    data = {
        "another bot's token": mini_app_init_data(HAMBURG_CONTACT, auth_utc=NOW, token=OTHER_BOT_TOKEN),
        "stale auth_date": mini_app_init_data(HAMBURG_CONTACT, auth_utc=NOW - timedelta(days=2)),
        "a stranger": mini_app_init_data(STRANGER, auth_utc=NOW),
    }[case]
    answer = await mini_app_sign_in(client, data)
    assert answer.status_code == 403
    assert await signed_in_name(client) is None


# ---- the session cookie --------------------------------------------------------------


async def test_the_session_cookie_is_signed_http_only_and_same_site(programme: Programme, client: WebClient) -> None:
    answer = await client.sign_in_with(await programme.services.sign_in.link_for(contact_id=programme.wang_fang))
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie  # http://127.0.0.1 here
    # A changed byte reads as signed out, not as someone else.
    value = client.http.cookies["tandem_session"]
    client.http.cookies.set("tandem_session", value[:-2] + ("A" if value[-2] != "A" else "B") + value[-1], domain="tandem.test")
    assert await signed_in_name(client) is None


async def test_behind_https_the_cookie_is_secure_and_a_mini_app_cookie_may_travel_in_telegrams_frame(programme: Programme) -> None:
    from dataclasses import replace

    from web.app import create_app

    config = replace(programme.services.config, web=replace(programme.services.config.web, base_url="https://tandem.example.org"))
    services = replace(programme.services, config=config)
    client = WebClient(create_app(config, lambda: services, bot_token=TOKEN), base_url="https://tandem.example.org")
    try:
        url = await services.sign_in.link_for(contact_id=programme.wang_fang)
        assert url.startswith("https://tandem.example.org/sign-in/")
        by_link = (await client.sign_in_with(url)).headers["set-cookie"]
        assert "Secure" in by_link and "SameSite=lax" in by_link and "Partitioned" not in by_link
        by_mini_app = (await mini_app_sign_in(client, mini_app_init_data(HAMBURG_CONTACT, auth_utc=NOW))).headers["set-cookie"]
        assert "Secure" in by_mini_app and "SameSite=none" in by_mini_app and "Partitioned" in by_mini_app
    finally:
        await client.aclose()


async def test_signing_out_ends_the_session(programme: Programme, client: WebClient) -> None:
    await client.sign_in_with(await programme.services.sign_in.link_for(contact_id=programme.wang_fang))
    answer = await client.post("/sign-out", form_page="/")
    assert answer.status_code == 303
    assert await signed_in_name(client) is None
