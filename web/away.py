"""Days away: a calendar of the coming three months; a tap takes a day away or gives it back."""

from __future__ import annotations

import calendar
from datetime import date

from babel.dates import format_date, get_day_names
from starlette.requests import Request
from starlette.responses import Response

from bot.domain import InvalidInputError
from bot.services.availability import AwayCalendar
from web.security import csrf_protected, form_of
from web.visit import Visit


def months(view: AwayCalendar) -> list[tuple[date, list[list[date | None]]]]:
    """Each month from today's to the last day's, as weeks of days (None outside the month)."""
    result = []
    year, month = view.today.year, view.today.month
    while (year, month) <= (view.last.year, view.last.month):
        weeks = [[day if day.month == month else None for day in week] for week in calendar.Calendar(0).monthdatescalendar(year, month)]
        result.append((date(year, month, 1), weeks))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return result


async def show_days_away(request: Request) -> Response:
    visit = await Visit.of(request)
    view = await visit.services.availability.away_calendar(by=visit.by())
    language = visit.language
    return visit.render(
        "away.html", view=view, months=months(view), weekdays=[get_day_names("narrow", locale=language)[day] for day in range(7)],
        month_name=lambda first: format_date(first, "LLLL y", locale=language),
        away_days=", ".join(visit.day(d) for d in sorted(view.days_away)),
    )


@csrf_protected
async def toggle_day(request: Request) -> Response:
    visit = await Visit.of(request)
    value = str((await form_of(request)).get("day", ""))
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(f"not a day: {value[:20]!r}") from None
    await visit.services.availability.toggle_day_away(by=visit.by(), day=day)
    return visit.redirect(f"/away#d{day.isoformat()}")
