"""Sessions: the meeting link, both local times, the calendar file, "I'll attend / I can't", the report."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from web.security import csrf_protected, form_of
from web.visit import Visit


def _session_id(request: Request) -> int:
    return int(request.path_params["session_id"])


async def show_sessions(request: Request) -> Response:
    visit = await Visit.of(request)
    sessions = await visit.services.sessions.of_my_city(by=visit.by())
    return visit.render("sessions.html", sessions=sessions, done=request.query_params.get("done"))


async def calendar_file(request: Request) -> Response:
    """The .ics of one session, for this person (their language and zone)."""
    visit = await Visit.of(request)
    filename, content = await visit.services.sessions.calendar_file(_session_id(request), by=visit.by())
    return Response(
        content, media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@csrf_protected
async def answer(request: Request) -> Response:
    visit = await Visit.of(request)
    attend = str((await form_of(request)).get("attend", "")) == "yes"
    await visit.services.sessions.answer(_session_id(request), attend, by=visit.by())
    return visit.redirect(f"/sessions?done={'attend' if attend else 'absent'}#session-{_session_id(request)}")


@csrf_protected
async def report(request: Request) -> Response:
    visit = await Visit.of(request)
    form = await form_of(request)
    took_place = str(form.get("took_place", "")) == "yes"
    steps = " ".join(str(form.get("next_steps", "")).split())[:4000]
    await visit.services.sessions.record_outcome(_session_id(request), took_place, by=visit.by(), next_steps=steps)
    return visit.redirect(f"/sessions?done=report#session-{_session_id(request)}")
