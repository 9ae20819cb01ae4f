"""The web app: one Starlette application, its routes in one table, its errors turned into pages.

``create_app`` is called by the composition root (``tandem/server.py``), which serves it with
uvicorn beside the bot and may add routes of its own (the Telegram webhook). Pages follow one
shape (``web/visit.py``): read the request, call one service with ``by=``, render a template that
extends ``base.html``. To add a page (as the coordinators' board, ``web/board_*.py``, did): a module with its handlers,
its routes added to ``ROUTES`` below, POST handlers wrapped in ``csrf_protected``, a template
that extends ``base.html``, texts in ``bot/locales/*/LC_MESSAGES/web.po``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot.config import Config
from bot.domain import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError, TandemError
from bot.services import Services
from web import away, board_calendar, board_cities, board_exports, board_matches, board_matrix, board_official_days, health, hours, matches, me, sessions, sign_in, topics
from web.security import CsrfError, RateLimiter, SecurityHeaders, SessionCodec, UnstorableFormError
from web.visit import STATIC, SignInRequired, Visit, msgid

log = logging.getLogger(__name__)


async def home(request: Request) -> Response:
    """Signed in: the person's overview; otherwise the sign-in page."""
    visit = await Visit.of(request)
    if visit.visitor is None:
        return visit.redirect("/sign-in")
    if visit.visitor.is_coordinator:  # coordinators have no city of their own: their overview is the board
        return visit.redirect("/board")
    return visit.render("home.html")


# Always served, also when the pages are off (webhook mode without the web app).
SERVICE_ROUTES: list[BaseRoute] = [
    Route("/healthz", health.healthz, methods=["GET"]),
]

# Every page of the web app, in one table.
PAGE_ROUTES: list[BaseRoute] = [
    Route("/", home, methods=["GET"]),
    # Signing in and out
    Route("/sign-in", sign_in.show_sign_in, methods=["GET"]),
    Route("/sign-in", sign_in.request_link, methods=["POST"]),
    Route("/sign-in/{token}", sign_in.show_link, methods=["GET"]),
    Route("/sign-in/{token}", sign_in.use_link, methods=["POST"]),
    Route("/sign-out", sign_in.sign_out, methods=["POST"]),
    Route("/app", sign_in.show_mini_app, methods=["GET"]),
    Route("/app", sign_in.sign_in_with_telegram, methods=["POST"]),
    # A city's pages (contacts; colleagues see partners and sessions)
    Route("/hours", hours.show_hours, methods=["GET"]),
    Route("/hours", hours.save_grid, methods=["POST"]),
    Route("/hours/text", hours.save_text, methods=["POST"]),
    Route("/topics", topics.show_topics, methods=["GET"]),
    Route("/topics", topics.save_topics, methods=["POST"]),
    Route("/away", away.show_days_away, methods=["GET"]),
    Route("/away", away.toggle_day, methods=["POST"]),
    Route("/matches", matches.show_matches, methods=["GET"]),
    Route("/matches/{match_id:int}/accept", matches.accept_match, methods=["POST"]),
    Route("/matches/{match_id:int}/decline", matches.confirm_decline, methods=["GET"]),
    Route("/matches/{match_id:int}/decline", matches.decline_match, methods=["POST"]),
    Route("/sessions", sessions.show_sessions, methods=["GET"]),
    Route("/sessions/{session_id:int}.ics", sessions.calendar_file, methods=["GET"]),
    Route("/sessions/{session_id:int}/attend", sessions.answer, methods=["POST"]),
    Route("/sessions/{session_id:int}/report", sessions.report, methods=["POST"]),
    # The coordinators' board (every service call checks that the visitor is a coordinator)
    Route("/board", board_matches.show_matches, methods=["GET"]),
    Route("/board/matches/{match_id:int}/confirm", board_matches.confirm, methods=["POST"]),
    Route("/board/matches/{match_id:int}/end", board_matches.end_match, methods=["POST"]),
    Route("/board/sessions/{session_id:int}/move", board_matches.show_move, methods=["GET"]),
    Route("/board/sessions/{session_id:int}/move", board_matches.move, methods=["POST"]),
    Route("/board/sessions/{session_id:int}/cancel", board_matches.cancel, methods=["POST"]),
    Route("/board/matrix", board_matrix.show_matrix, methods=["GET"]),
    Route("/board/cities", board_cities.show_cities_page, methods=["GET"]),
    Route("/board/cities", board_cities.add_city, methods=["POST"]),
    Route("/board/cities/import", board_cities.import_cities, methods=["POST"]),
    Route("/board/cities/{city_id:int}", board_cities.show_city, methods=["GET"]),
    Route("/board/cities/{city_id:int}", board_cities.save_city, methods=["POST"]),
    Route("/board/cities/{city_id:int}/invite", board_cities.create_invite, methods=["POST"]),
    Route("/board/cities/{city_id:int}/email", board_cities.add_email_contact, methods=["POST"]),
    Route("/board/calendar", board_calendar.show_week, methods=["GET"]),
    Route("/board/official-days", board_official_days.show_official_days, methods=["GET"]),
    Route("/board/official-days", board_official_days.add_official_days, methods=["POST"]),
    Route("/board/official-days/remove", board_official_days.remove_official_day, methods=["POST"]),
    Route("/board/official-days/import", board_official_days.import_official_days, methods=["POST"]),
    Route("/board/roadmap", board_exports.show_roadmap, methods=["GET"]),
    Route("/board/roadmap.csv", board_exports.roadmap_csv, methods=["GET"]),
    Route("/board/exports", board_exports.show_exports, methods=["GET"]),
    Route("/board/exports/schedule.csv", board_exports.schedule_csv, methods=["GET"]),
    Route("/board/exports/calendar", board_exports.new_feed, methods=["POST"]),
    Route("/board/exports/calendar/revoke", board_exports.revoke_feed, methods=["POST"]),
    # A coordinator's subscribed calendar: no session, the secret token in the path is the key
    Route("/calendar/{token}.ics", board_exports.calendar_feed, methods=["GET"]),
    # Everyone's own data
    Route("/me", me.show_me, methods=["GET"]),
    Route("/me/data.json", me.download_my_data, methods=["GET"]),
    Route("/me/language", me.set_language, methods=["POST"]),
    Route("/me/forget", me.forget_me, methods=["POST"]),
]

_STATUS = {PermissionDeniedError: 403, NotFoundError: 404, ConflictError: 409, InvalidInputError: 400}


async def _tandem_error(request: Request, error: Exception) -> Response:
    """A domain error becomes the page "That did not work", in the reader's language; nothing changed."""
    visit = await Visit.of(request)
    status = next((code for kind, code in _STATUS.items() if isinstance(error, kind)), 400)
    return visit.render("error.html", status_code=status, error=error)


async def _sign_in_required(request: Request, error: Exception) -> Response:
    return RedirectResponse(f"/sign-in?next={request.url.path}", status_code=303)


async def _csrf_error(request: Request, error: Exception) -> Response:
    log.info("CSRF token missing or wrong on %s %s", request.method, request.url.path)
    visit = await Visit.of(request)
    return visit.render("error.html", status_code=403, error=None, message=msgid("This form has expired. Please go back, reload the page and try again."))


async def _unstorable_form(request: Request, error: Exception) -> Response:
    visit = await Visit.of(request)
    message = msgid("The form contains a character that cannot be saved (U+0000 or a broken character). Nothing was changed; please go back and remove it.")
    return visit.render("error.html", status_code=400, error=None, message=message)


async def _too_many(request: Request, error: Exception) -> Response:
    visit = await Visit.of(request)
    response = visit.render("error.html", status_code=429, error=None, message=msgid("Too many attempts. Please wait a minute and try again."))
    response.headers["Retry-After"] = "60"
    return response


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    if request.url.path.startswith("/static/") or request.method not in ("GET", "HEAD"):
        return PlainTextResponse(error.detail, status_code=error.status_code)
    visit = await Visit.of(request)
    message = msgid("This page does not exist.") if error.status_code == 404 else msgid("That did not work.")
    return visit.render("error.html", status_code=error.status_code, error=None, message=message)


def create_app(
    config: Config,
    services: Callable[[], Services],
    *,
    bot_token: str,
    extra_routes: Sequence[BaseRoute] = (),
    pages: bool = True,
    bot_username: Callable[[], str | None] = lambda: None,
) -> Starlette:
    """The web app for ``config``; ``services`` gives the services once the bot has opened the database.

    ``bot_username`` gives the bot's username once it is known (the board's invite links are
    ``https://t.me/<username>?start=<code>``); None: the board shows the code to send instead.

    ``pages=False`` serves only ``/healthz`` (and ``extra_routes``): webhook mode without the web app.
    """
    routes = [*extra_routes, *SERVICE_ROUTES]
    if pages:
        routes += [*PAGE_ROUTES, Mount("/static", StaticFiles(directory=STATIC), name="static")]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers={
            TandemError: _tandem_error,
            SignInRequired: _sign_in_required,
            CsrfError: _csrf_error,
            UnstorableFormError: _unstorable_form,
            sign_in.TooManyAttempts: _too_many,
            HTTPException: _http_error,
        },
    )
    app.state.config = config
    app.state.services = services
    app.state.bot_token = bot_token
    app.state.bot_username = bot_username
    app.state.sessions = SessionCodec(config.web)
    app.state.sign_in_limiter = RateLimiter(config.web.sign_in_attempts_per_minute, 60.0)
    return app
