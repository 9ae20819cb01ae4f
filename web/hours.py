"""The hours page: a week grid in the city's own time, painted by tap, drag or keyboard.

Each partner city's usual hours are shown on the same grid, converted into this city's time for
the current week (its clock changes included), and the overlap with the city's own hours is
highlighted. Saving writes the same weekly rules as ``/hours`` in the chat; the text form below
the grid takes the chat's free text too (``Mon-Fri 09:00-12:00, 14:00-17:30``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from babel.dates import get_day_names
from starlette.requests import Request
from starlette.responses import Response

from bot.domain import InvalidInputError
from bot.services.availability import PartnerHours, WeekGridView
from bot.week_grid import SLOTS_PER_DAY, parse_cell, slot_start, windows_of
from web.security import csrf_protected, form_of
from web.visit import Visit

_ENGLISH_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class GridCell:
    value: str  # "weekday-slot", as the form posts it
    label: str  # "Monday 09:00–09:30", for screen readers
    mine: bool
    css: str  # partner heat (h1…h4, or p for one partner) and o for overlap


def localized_hours(text: str, language: str) -> str:
    """The canonical form ("Mon-Fri 09:00-12:00") with the reader's day names ("周一-周五 …")."""
    names = get_day_names("abbreviated", locale=language)
    return re.sub(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun)\b", lambda m: names[_ENGLISH_DAYS.index(m.group(1))], text)


def _heat(count: int, partners: int) -> str:
    if count == 0:
        return ""
    if partners <= 1:
        return "p"
    share = count / partners
    return "h4" if share > 0.75 else "h3" if share > 0.5 else "h2" if share > 0.25 else "h1"


@lru_cache(maxsize=8)
def _labels(language: str) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """Per half hour of the day: its visible label, its hidden one, and each day's cell label."""
    wide = get_day_names("wide", locale=language)
    rows = []
    for slot in range(SLOTS_PER_DAY):
        start = f"{slot_start(slot):%H:%M}"
        end = "24:00" if slot == SLOTS_PER_DAY - 1 else f"{slot_start(slot + 1):%H:%M}"
        rows.append((start if slot % 2 == 0 else "", start, tuple(f"{wide[day]} {start}–{end}" for day in range(7))))
    return tuple(rows)


def grid_rows(view: WeekGridView, shown: tuple[PartnerHours, ...], language: str) -> list[tuple[str, str, list[GridCell]]]:
    """(label, hidden label, cells) per half hour of the day; the heat counts only the partners shown."""
    counts: dict[tuple[int, int], int] = {}
    for partner in shown:
        for cell in partner.cells:
            counts[cell] = counts.get(cell, 0) + 1
    rows = []
    for slot, (label, hidden, cell_labels) in enumerate(_labels(language)):
        cells = []
        for day in range(7):
            mine = (day, slot) in view.own
            count = counts.get((day, slot), 0)
            css = " ".join(c for c in (_heat(count, len(shown)), "o" if mine and count else "") if c)
            cells.append(GridCell(f"{day}-{slot}", cell_labels[day], mine, css))
        rows.append((label, hidden, cells))
    return rows


@lru_cache(maxsize=4096)
def _overlap_text(overlap: frozenset[tuple[int, int]], language: str) -> str:
    from bot.planner import render_weekly_hours

    return localized_hours(render_weekly_hours(windows_of(overlap)), language) if overlap else ""


def overlap_lines(shown: tuple[PartnerHours, ...], language: str) -> list[tuple[PartnerHours, str]]:
    return [(p, _overlap_text(p.overlap, language)) for p in shown]


def _page(visit: Visit, view: WeekGridView, selected: int | None, status: int = 200, error: object = None, typed: str | None = None) -> Response:
    shown = tuple(p for p in view.partners if selected is None or p.partner.id == selected)
    language = visit.language
    short, wide = get_day_names("abbreviated", locale=language), get_day_names("wide", locale=language)
    days = [(short[day], wide[day]) for day in range(7)]  # 0 = Monday, as the grid (CLDR's order differs)
    return visit.render(
        "hours.html", status_code=status, view=view, selected=selected, shown=shown, days=days,
        rows=grid_rows(view, shown, language), overlaps=overlap_lines(shown, language),
        own_text=localized_hours(view.text, language), typed=view.text if typed is None else typed, error=error,
        short_days=[short[day] for day in range(7)],
    )


def _selected(request: Request) -> int | None:
    value = request.query_params.get("partner", "")
    return int(value) if value.isdigit() else None


async def show_hours(request: Request) -> Response:
    visit = await Visit.of(request)
    view = await visit.services.availability.week_grid(by=visit.by())
    return _page(visit, view, _selected(request))


@csrf_protected
async def save_grid(request: Request) -> Response:
    """The painted grid: exactly the checked cells become the city's hours."""
    visit = await Visit.of(request)
    form = await form_of(request)
    cells = frozenset(parse_cell(str(value)) for value in form.getlist("cell"))
    await visit.services.availability.set_hours_cells(by=visit.by(), cells=cells)
    partner = str(form.get("partner", ""))
    return visit.redirect("/hours?saved=1" + (f"&partner={partner}" if partner.isdigit() else ""))


@csrf_protected
async def save_text(request: Request) -> Response:
    """Typed hours, as in the chat; a mistake is explained on the page and nothing is saved."""
    visit = await Visit.of(request)
    text = str((await form_of(request)).get("hours", ""))[:500]
    try:
        await visit.services.availability.set_hours(by=visit.by(), text=text)
    except InvalidInputError as error:
        view = await visit.services.availability.week_grid(by=visit.by())
        return _page(visit, view, None, status=400, error=error, typed=text)
    return visit.redirect("/hours?saved=1")
