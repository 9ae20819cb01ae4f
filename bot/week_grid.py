"""The hours page's week grid: half-hour cells of a local week, to and from weekly windows.

A cell is ``(weekday, slot)``: weekday 0 = Monday, slot 0 = 00:00-00:30 … 47 = 23:30-24:00, in the
city's own wall-clock time. Pure: the web page paints cells, this module turns them into the same
``WeeklyWindow`` rules that ``/hours`` writes (and back), so both ways in save the same thing.

Example: Monday cells 18..23 (09:00-12:00) and 28..34 (14:00-17:30) become the windows
Mon 09:00-12:00 and Mon 14:00-17:30; cells 46, 47 become Mon 23:00-24:00 (end ``time(0)``).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from bot.domain import InvalidInputError, WeeklyWindow

if TYPE_CHECKING:
    from bot.planner.ranges import DateRange

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
    handled where they happen). Each cell of the week stands for the instants the planner reads its
    wall-clock half hour as (``wall_window_to_utc``), and is shown when the partner is available for
    the whole of them. Example, the week of 22 March 2027: Hamburg's Monday 09:00-17:00 (UTC+1) is
    08:00-16:00 UTC, Panjin's (UTC+8) Monday 16:00-24:00: cells (0, 32)..(0, 47).

    Where the city's clock changes, the rule is the planner's, so that the grid's overlap with the
    city's own cells is where the planner can put a meeting:
    - a half hour that happens twice (clocks go back) stands for its first pass, as the city's own
      hours do (the planner keeps a window's first pass of a repeated hour and drops the second). It
      is shown when the partner is available for the whole first pass; the second pass alone shows
      nothing. Lisbon, Sunday 31 October 2027, 02:00 WEST becomes 01:00 WET at 01:00 UTC: Shanghai's
      Sunday 01:30-09:30 is Saturday 17:30 - Sunday 01:30 UTC, so Lisbon's Sunday 00:00-02:00 up to
      01:00 UTC is covered: cells (6, 0)..(6, 3), after Saturday's (5, 37)..(5, 47) from 18:30.
    - a half hour that does not happen (clocks go forward) has no instants: it is shown when the
      partner is available on both sides of the jump, so an unbroken stretch stays unbroken, and one
      that ends or starts at the jump is drawn up to 01:00 or from 02:00 (Lisbon, 28 March 2027).
    A pure function of its arguments, so pages that show the same partners again reuse the answer.
    """
    from bot.planner.calendar import CityCalendar, open_windows
    from bot.planner.ranges import local_day_bounds, merge, wall_window_to_utc

    partner = CityCalendar(id=0, tz=partner_zone, country=None, subdivision=None, windows=partner_windows)
    # A day either side: Auckland's Monday morning is still Sunday in Lisbon. Touching ranges are one
    # stretch: a window to 24:00 and the next day's from 00:00 leave no gap (Kathmandu's midnight is
    # 18:15 UTC, inside a Lisbon half hour).
    available = merge(
        piece
        for window in open_windows(partner, week_start - timedelta(days=1), week_start + timedelta(days=7), skip_closed_days=False)
        for piece in window.ranges
    )
    starts = [piece.start_utc for piece in available]

    def stretch_at(instant: datetime) -> DateRange | None:
        """The partner's stretch that holds ``instant``, if any."""
        index = bisect_right(starts, instant) - 1
        return available[index] if index >= 0 and instant < available[index].end_utc else None

    cells: set[Cell] = set()
    half_hour = timedelta(minutes=SLOT_MINUTES)
    for weekday in range(7):
        day = week_start + timedelta(days=weekday)
        bounds = local_day_bounds(zone, day)
        if bounds.duration == timedelta(days=1):  # no clock change: cell n is the n-th half hour from midnight
            for piece in available:
                if piece.start_utc < bounds.end_utc and bounds.start_utc < piece.end_utc:
                    first = -(-(max(piece.start_utc, bounds.start_utc) - bounds.start_utc) // half_hour)  # rounded up
                    last = (min(piece.end_utc, bounds.end_utc) - bounds.start_utc) // half_hour  # rounded down
                    cells.update((weekday, slot) for slot in range(first, last))
            continue
        for slot in range(SLOTS_PER_DAY):
            if instants := wall_window_to_utc(zone, day, slot * SLOT_MINUTES, (slot + 1) * SLOT_MINUTES):
                shown = all((found := stretch_at(piece.start_utc)) is not None and piece.end_utc <= found.end_utc for piece in instants)
            else:  # skipped: the instant the clock jumps at is the first of the rest of the day
                jump = wall_window_to_utc(zone, day, slot * SLOT_MINUTES, 24 * 60)[0].start_utc
                found = stretch_at(jump)
                shown = found is not None and found.start_utc < jump
            if shown:
                cells.add((weekday, slot))
    return frozenset(cells)
