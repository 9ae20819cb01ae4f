"""Signing in and out: a link by e-mail, the link itself, and the Telegram Mini App."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from bot.domain import TandemError
from web.security import client_address, csrf_protected, form_of
from web.visit import Visit


class TooManyAttempts(Exception):
    """More sign-in requests from one client address than ``[web] sign_in_attempts_per_minute``."""


def _limit(request: Request) -> None:
    if not request.app.state.sign_in_limiter.allow(client_address(request)):
        raise TooManyAttempts()


def _next_page(value: object) -> str:
    """Where to go after signing in: a path of this site only (never another site's address)."""
    return value if isinstance(value, str) and value.startswith("/") and not value.startswith("//") and "\\" not in value else "/"


async def show_sign_in(request: Request) -> Response:
    """The sign-in page: ask for a link by e-mail address."""
    visit = await Visit.of(request)
    return visit.render("sign_in.html", sent=False, next=_next_page(request.query_params.get("next")))


@csrf_protected
async def request_link(request: Request) -> Response:
    """Queue a link to the address; the answer is the same whether the address is known or not."""
    _limit(request)
    visit = await Visit.of(request)
    form = await form_of(request)
    address = str(form.get("email", ""))
    try:
        await visit.services.sign_in.request_link(address=address)
    except TandemError as error:
        return visit.render("sign_in.html", status_code=400, sent=False, error=error, email=address[:254], next="/")
    return visit.render("sign_in.html", sent=True, next="/")


async def show_link(request: Request) -> Response:
    """A sign-in link opened: a button, not an automatic sign-in (mail scanners open links too)."""
    visit = await Visit.of(request)
    return visit.render("sign_in_link.html", token=request.path_params["token"])


@csrf_protected
async def use_link(request: Request) -> Response:
    """Spend the link and start a session for its person."""
    _limit(request)
    visit = await Visit.of(request)
    actor = await visit.services.sign_in.redeem(token=request.path_params["token"])
    visit.start_session(actor, via="link")
    return visit.redirect("/")


async def show_mini_app(request: Request) -> Response:
    """The Mini App's entry: its script posts Telegram's initData (from the URL fragment) back here."""
    visit = await Visit.of(request)
    return visit.render("mini_app.html")


@csrf_protected
async def sign_in_with_telegram(request: Request) -> Response:
    """Check initData with the bot's token and start a session for that Telegram user."""
    _limit(request)
    visit = await Visit.of(request)
    form = await form_of(request)
    actor = await visit.services.sign_in.mini_app(init_data=str(form.get("init_data", "")), bot_token=request.app.state.bot_token)
    visit.start_session(actor, via="mini_app")
    return visit.redirect(_next_page(form.get("next")))


@csrf_protected
async def sign_out(request: Request) -> Response:
    visit = await Visit.of(request)
    visit.end_session()
    return visit.redirect("/sign-in")
