"""The board's matches: every match with its status, filtered; confirm, move, cancel, end.

Every action calls the service the chat calls (``sessions.confirm``, ``reschedule``, ``cancel``,
``matching.decline``), so the first tap wins across the chat and the board alike, and the cities
are told exactly as after the same tap in the chat. The loser of a race reads who won
(``AlreadyConfirmedError``: "Already confirmed by …").
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from bot.domain import InvalidInputError, MatchStatus
from bot.notices.planning import describe_no_time
from bot.services.board import MatchFilter
from bot.services.errors import user_error
from bot.services.sessions import MAX_REASON_LENGTH
from web.security import csrf_protected, form_of
from web.visit import Visit, msgid

STATUS_NAMES = {
    MatchStatus.OPEN: msgid("open"),
    MatchStatus.PLANNED: msgid("planned"),
    MatchStatus.UNSCHEDULABLE: msgid("no common time"),
    MatchStatus.CONFIRMED: msgid("confirmed"),
    MatchStatus.DECLINED: msgid("declined"),
    MatchStatus.CANCELLED: msgid("cancelled"),
}
DONE = {
    "confirmed": msgid("Confirmed. Both cities and every participant get the invitation."),
    "moved": msgid("Moved. Everyone gets the updated invitation."),
    "cancelled": msgid("Cancelled. Everyone is told, with your reason."),
    "ended": msgid("The match is ended; both cities are told."),
}


def _number(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def match_filter(request: Request) -> MatchFilter:
    """The filter of the page's query string; anything unknown reads as "all"."""
    params = request.query_params
    status = params.get("status")
    return MatchFilter(
        city_id=_number(params.get("city")),
        topic_id=_number(params.get("topic")),
        status=MatchStatus(status) if status in {s.value for s in MatchStatus} else None,
    )


def pager_base(filter: MatchFilter) -> str:
    """The filter as a query string to which the pager adds ``page=N``."""
    values = {"city": filter.city_id, "topic": filter.topic_id, "status": filter.status.value if filter.status else None}
    query = urlencode({k: v for k, v in values.items() if v is not None})
    return query + "&" if query else ""


def _instant(value: object) -> datetime:
    try:
        instant = datetime.fromisoformat(str(value))
    except ValueError:
        instant = None
    if instant is None or instant.tzinfo is None:
        raise user_error(InvalidInputError, "This time is no longer on offer; see /pending for the current ones.")
    return instant


def _id(request: Request, name: str) -> int:
    return int(request.path_params[name])


def safe_back(value: object) -> str:
    """Back to the list a form was on (its filter and page); never to another site."""
    back = str(value or "")
    return back if back.startswith("/board") and "//" not in back and "\\" not in back else "/board"


def _back(form: FormData) -> str:
    return safe_back(form.get("back"))


def _with_done(url: str, done: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}done={done}"


async def show_matches(request: Request) -> Response:
    visit = await Visit.of(request)
    filter = match_filter(request)
    page = await visit.services.board.matches(by=visit.by(), filter=filter, page=_number(request.query_params.get("page")) or 1)
    return visit.render(
        "board/matches.html", page=page, status_names=STATUS_NAMES, done=DONE.get(request.query_params.get("done", "")),
        pager_base=pager_base(filter), why=lambda view: describe_no_time(view.match.no_time, view.city_a, view.city_b, visit.language),
        back=request.url.path + ("?" + request.url.query if request.url.query else ""),
    )


@csrf_protected
async def confirm(request: Request) -> Response:
    """Confirm one offered slot (the planner's choice or an alternative); the first tap wins."""
    visit = await Visit.of(request)
    form = await form_of(request)
    view = await visit.services.sessions.confirm(_id(request, "match_id"), _instant(form.get("start")), by=visit.by())
    return visit.redirect(_with_done(_back(form), "confirmed") + f"#match-{view.match.id}")


@csrf_protected
async def end_match(request: Request) -> Response:
    """End a match that has no session yet (as a city's decline does); both cities are told."""
    visit = await Visit.of(request)
    form = await form_of(request)
    await visit.services.matching.end(by=visit.by(), match_id=_id(request, "match_id"))
    return visit.redirect(_with_done(_back(form), "ended"))


async def show_move(request: Request) -> Response:
    """Other common times for a session, around every other confirmed session."""
    visit = await Visit.of(request)
    view, starts = await visit.services.sessions.reschedule_options(_id(request, "session_id"), by=visit.by())
    return visit.render("board/move.html", view=view, starts=starts, back=safe_back(request.query_params.get("back")))


@csrf_protected
async def move(request: Request) -> Response:
    visit = await Visit.of(request)
    form = await form_of(request)
    sequence = _number(str(form.get("sequence", "")))
    if sequence is None:
        raise user_error(InvalidInputError, "This time is no longer on offer; see /pending for the current ones.")
    view = await visit.services.sessions.reschedule(_id(request, "session_id"), _instant(form.get("start")), by=visit.by(), expected_sequence=sequence)
    return visit.redirect(_with_done(_back(form), "moved") + f"#match-{view.match.id}")


@csrf_protected
async def cancel(request: Request) -> Response:
    """Cancel a session with a reason, which everyone reads in the cancellation."""
    visit = await Visit.of(request)
    form = await form_of(request)
    reason = " ".join(str(form.get("reason", "")).split())
    if not reason:
        raise user_error(InvalidInputError, msgid("Please give a reason; everyone reads it with the cancellation."))
    if len(reason) > MAX_REASON_LENGTH:
        raise user_error(InvalidInputError, "A reason may be at most {limit} characters long.", limit=MAX_REASON_LENGTH)
    view = await visit.services.sessions.cancel(_id(request, "session_id"), reason, by=visit.by())
    return visit.redirect(_with_done(_back(form), "cancelled") + f"#match-{view.match.id}")
