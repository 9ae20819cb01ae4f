"""The board's calendar: the sessions of one week in the coordinators' zone, with both cities' local
times, and the public holidays and days away of the cities that meet that week."""

from __future__ import annotations

from datetime import date, timedelta

from starlette.requests import Request
from starlette.responses import Response

from web.board_matrix import page_number
from web.visit import Visit


def _week(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None  # a mistyped week shows this week


async def show_week(request: Request) -> Response:
    visit = await Visit.of(request)
    week = await visit.services.board.week(by=visit.by(), day=_week(request.query_params.get("week")), page=page_number(request))
    return visit.render(
        "board/calendar.html", week=week, today=visit.services.clock.now().date(), pager_base=f"week={week.monday.isoformat()}&",
        previous=week.monday - timedelta(days=7), next=week.monday + timedelta(days=7),
    )
