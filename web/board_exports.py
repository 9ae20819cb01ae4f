"""The board's roadmap (per pair and topic, what each city said after each session, as a table and
CSV) and exports: the schedule as CSV, and a subscribable calendar URL with a secret token."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from web.board_matrix import page_number
from web.security import csrf_protected
from web.visit import Visit

CSV_TYPE = "text/csv; charset=utf-8"


def _csv(text: str, filename: str) -> Response:
    # utf-8-sig: Excel reads the Chinese city and topic names right only with the BOM.
    return Response(text.encode("utf-8-sig"), media_type=CSV_TYPE, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


async def show_roadmap(request: Request) -> Response:
    visit = await Visit.of(request)
    page = await visit.services.board.roadmap_page(by=visit.by(), page=page_number(request))
    return visit.render("board/roadmap.html", page=page, pager_base="")


async def roadmap_csv(request: Request) -> Response:
    visit = await Visit.of(request)
    return _csv(await visit.services.board.roadmap_csv(by=visit.by(), language=visit.language), "tandem-roadmap.csv")


async def show_exports(request: Request) -> Response:
    visit = await Visit.of(request)
    since = await visit.services.board.calendar_feed_since(by=visit.by())
    return visit.render("board/exports.html", since=since, feed_url=None, revoked=request.query_params.get("done") == "revoked")


async def schedule_csv(request: Request) -> Response:
    visit = await Visit.of(request)
    return _csv(await visit.services.board.schedule_csv(by=visit.by(), language=visit.language), "tandem-schedule.csv")


@csrf_protected
async def new_feed(request: Request) -> Response:
    """A new secret calendar URL, shown once (only its hash is kept); the previous one stops working."""
    visit = await Visit.of(request)
    token = await visit.services.board.new_calendar_feed(by=visit.by())
    url = f"{visit.config.web.public_url}/calendar/{token}.ics"
    since = await visit.services.board.calendar_feed_since(by=visit.by())
    return visit.render("board/exports.html", since=since, feed_url=url, revoked=False)


@csrf_protected
async def revoke_feed(request: Request) -> Response:
    visit = await Visit.of(request)
    await visit.services.board.revoke_calendar_feed(by=visit.by())
    return visit.redirect("/board/exports?done=revoked")


async def calendar_feed(request: Request) -> Response:
    """What a subscribed calendar (Outlook, Google, Apple) fetches: no session, the token is the key."""
    visit = await Visit.of(request)
    content = await visit.services.board.calendar_feed(token=str(request.path_params["token"]))
    return Response(content, media_type="text/calendar; charset=utf-8", headers={"Content-Disposition": 'inline; filename="tandem-schedule.ics"'})
