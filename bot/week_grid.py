"""The hours page's week grid: half-hour cells of a local week, to and from weekly windows.

A cell is ``(weekday, slot)``: weekday 0 = Monday, slot 0 = 00:00-00:30 … 47 = 23:30-24:00, in the
city's own wall-clock time. Pure: the web page paints cells, this module turns them into the same
``WeeklyWindow`` rules that ``/hours`` writes (and back), so both ways in save the same thing.

Example: Monday cells 18..23 (09:00-12:00) and 28..34 (14:00-17:30) become the windows
Mon 09:00-12:00 and Mon 14:00-17:30; cells 46, 47 become Mon 23:00-24:00 (end ``time(0)``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from bot.domain import InvalidInputError, WeeklyWindow

SLOT_MINUTES = 30
SLOTS_PER_DAY = 24 * 60 // SLOT_MINUTES  # 48
Cell = tuple[int, int]


def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute


def _end_minutes(window: WeeklyWindow) -> int:
    return 24 * 60 if window.end == time(0) else _minutes(window.end)


def slot_start(slot: int) -> time:
    return time(slot * SLOT_MINUTES // 60, slot * SLOT_MINUTES % 60)


def cells_of(windows: Iterable[WeeklyWindow]) -> frozenset[Cell]:
    """The cells a window covers whole (a window 09:15-10:00 covers 09:30-10:00 only)."""
    cells: set[Cell] = set()
    for window in windows:
        first = -(-_minutes(window.start) // SLOT_MINUTES)  # round the start up
        last = _end_minutes(window) // SLOT_MINUTES  # round the end down
        cells.update((window.weekday, slot) for slot in range(first, last))
    return frozenset(cells)


def fits_the_grid(windows: Iterable[WeeklyWindow]) -> bool:
    """Whether every window starts and ends on a half hour, so the grid shows it exactly."""
    return all(_minutes(w.start) % SLOT_MINUTES == 0 and _end_minutes(w) % SLOT_MINUTES == 0 for w in windows)


def windows_of(cells: Iterable[Cell]) -> tuple[WeeklyWindow, ...]:
    """Consecutive cells of a day become one window; refuses cells outside the week."""
    by_day: dict[int, set[int]] = {}
    for weekday, slot in cells:
        if not (0 <= weekday <= 6 and 0 <= slot < SLOTS_PER_DAY):
            raise InvalidInputError(f"no such cell in a week: {weekday}/{slot}")
        by_day.setdefault(weekday, set()).add(slot)
    windows = []
    for weekday in sorted(by_day):
        slots = sorted(by_day[weekday])
        # Runs of consecutive slots: a run starts where a slot does not follow the one before.
        starts = [s for i, s in enumerate(slots) if i == 0 or slots[i - 1] != s - 1]
        ends = [s + 1 for i, s in enumerate(slots) if i == len(slots) - 1 or slots[i + 1] != s + 1]
        for start, end in zip(starts, ends):
            windows.append(WeeklyWindow(weekday, slot_start(start), time(0) if end == SLOTS_PER_DAY else slot_start(end)))
    return tuple(windows)


def parse_cell(text: str) -> Cell:
    """``"0-18"`` (as the page posts it) → ``(0, 18)``."""
    try:
        weekday, slot = (int(part) for part in text.split("-"))
    except ValueError:
        raise InvalidInputError(f"not a cell of the week grid: {text[:20]!r}") from None
    return weekday, slot


@lru_cache(maxsize=4096)
def cells_in_zone(partner_zone: str, partner_windows: tuple[WeeklyWindow, ...], zone: str, week_start: date) -> frozenset[Cell]:
    """A partner's usual week, drawn on the week grid of a city in ``zone``, for one real week.

    The partner's windows become UTC ranges one local day at a time (``open_windows``: clock changes
    handled where they happen), then each range is read on ``zone``'s clock, split at midnight, and
    the half hours it covers whole are its cells. Example, the week of 22 March 2027: Hamburg's Monday
    09:00-17:00 (UTC+1) is 08:00-16:00 UTC, Panjin's (UTC+8) Monday 16:00-24:00: cells (0, 32)..(0, 47).
    A pure function of its arguments, so pages that show the same partners again reuse the answer.
    """
    from bot.planner.calendar import CityCalendar, open_windows

    partner = CityCalendar(id=0, tz=partner_zone, country=None, subdivision=None, windows=partner_windows)
    week_end = week_start + timedelta(days=6)
    local = ZoneInfo(zone)
    first = datetime.combine(week_start, time(0), local)
    last = datetime.combine(week_end + timedelta(days=1), time(0), local)
    cells: set[Cell] = set()
    # A day either side: Auckland's Monday morning is still Sunday in Lisbon.
    for window in open_windows(partner, week_start - timedelta(days=1), week_end + timedelta(days=1), skip_closed_days=False):
        for piece in window.ranges:
            start, end = max(piece.start_utc.astimezone(local), first), min(piece.end_utc.astimezone(local), last)
            while start < end:
                midnight = datetime.combine(start.date() + timedelta(days=1), time(0), local)
                stop = min(end, midnight)
                # Minutes from the local midnight by the wall clock (a DST day's cells are wall-clock half hours).
                begin = start.hour * 60 + start.minute
                finish = 24 * 60 if stop == midnight else stop.hour * 60 + stop.minute
                weekday = start.weekday()
                cells.update((weekday, slot) for slot in range(-(-begin // SLOT_MINUTES), finish // SLOT_MINUTES))
                start = stop
    return frozenset(cells)
