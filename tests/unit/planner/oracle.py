"""An oracle for the planner written apart from it: the starts that keep every rule, and the optimum.

It reads the wall clock of each city with ``zoneinfo`` and the public holidays with ``holidays``
and shares no code with ``bot.planner`` except one table lookup, ``make_up_weekday``: which
weekday an official make-up working day (China's 调休) pays back is data from ``holidays``, not a
rule of ours. The rules are those of planner-format.md plus the planner's documented reading of a
fall-back night: the repeated hour is counted once (its second occurrence, ``fold=1``, is closed).

To stay fast without losing exactness it reads the clock once an hour of UTC, near the windows
only: every generated window bound, duration and grid is a multiple of 15 minutes, and so is every
offset of the zones used, so in an hour whose two ends show the same offset and no repeated hour
the wall clock runs with UTC and each quarter of it is wholly in or out of a window, on one local
date; an hour with a clock change inside is read minute by minute.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from bot.domain import WeeklyWindow
from bot.planner import PlanningProblem
from bot.planner.calendar import make_up_weekday

UTC = timezone.utc
CELL = 15  # minutes
MINUTE, QUARTER, BLOCK = timedelta(minutes=1), timedelta(minutes=CELL), timedelta(hours=1)


def wall_minutes(moment: time, *, is_end: bool = False) -> int:
    minutes = moment.hour * 60 + moment.minute
    return 1440 if is_end and minutes == 0 else minutes  # an end of time(0) is 24:00


def spans_by_weekday(windows: Iterable[WeeklyWindow]) -> dict[int, list[tuple[int, int]]]:
    """Wall-clock windows per weekday in minutes; those of one day that touch or overlap merged."""
    raw: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for window in windows:
        raw[window.weekday].append((wall_minutes(window.start), wall_minutes(window.end, is_end=True)))
    merged: dict[int, list[tuple[int, int]]] = {}
    for weekday, spans in raw.items():
        result: list[tuple[int, int]] = []
        for start, end in sorted(spans):
            if result and start <= result[-1][1]:
                result[-1] = (result[-1][0], max(result[-1][1], end))
            else:
                result.append((start, end))
        merged[weekday] = result
    return merged


@lru_cache(maxsize=512)
def official_holidays(country: str, subdivision: str | None, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(country, subdiv=subdivision, years=year)


@dataclass(frozen=True)
class Meeting:
    request_id: Hashable
    start: datetime
    end: datetime
    local_dates: tuple[tuple[Hashable, date], ...]  # (city, local date) for each city in the meeting


class Oracle:
    """The rules of one planning problem, read from the clock; ``hours`` are the windows as drawn
    (before the planner normalized them), defaulting to the calendars' own."""

    def __init__(self, problem: PlanningProblem, hours: Mapping[Hashable, Sequence[WeeklyWindow]] | None = None) -> None:
        self.problem = problem
        self.spans = {
            city_id: spans_by_weekday(hours[city_id] if hours is not None else calendar.windows)
            for city_id, calendar in problem.cities.items()
        }
        assert problem.granularity_minutes % CELL == 0 and all(r.duration_minutes % CELL == 0 for r in problem.requests)
        assert all(a % CELL == 0 and b % CELL == 0 for spans in self.spans.values() for day in spans.values() for a, b in day)
        earliest = problem.now_utc + problem.min_notice
        grid = timedelta(minutes=problem.granularity_minutes)
        day_start = datetime.combine(earliest.date(), time(0), UTC)
        self.earliest = day_start + -(-(earliest - day_start) // grid) * grid  # the first grid start after the notice
        # Every local date of the horizon, in any zone, lies within 14 hours of its UTC dates.
        self.first = max(self.earliest, datetime.combine(problem.horizon_start, time(0), UTC) - timedelta(hours=14))
        self.last = datetime.combine(problem.horizon_end + timedelta(days=1), time(0), UTC) + timedelta(hours=14)
        self._runs: dict[Hashable, list[tuple[datetime, datetime, date]]] = {}
        self._spans_on: dict[tuple[Hashable, date], list[tuple[int, int]] | None] = {}
        self._starts: dict[Hashable, list[Meeting]] = {}

    # -- one city, one local date -------------------------------------------------------------

    def spans_on(self, city_id: Hashable, day: date) -> list[tuple[int, int]] | None:
        """The windows of a local date, or None when the date is closed (horizon, away, holiday)."""
        key = (city_id, day)
        if key not in self._spans_on:
            self._spans_on[key] = self._read_spans_on(city_id, day)
        return self._spans_on[key]

    def _read_spans_on(self, city_id: Hashable, day: date) -> list[tuple[int, int]] | None:
        problem = self.problem
        calendar = problem.cities[city_id]
        if not problem.horizon_start <= day <= problem.horizon_end or day in calendar.days_away:
            return None
        spans = self.spans[city_id]
        weekday = day.weekday()
        # The coordinators' overrides win over the package; a subdivision's over its country's.
        overrides = [o for o in calendar.overrides if o.day == day]
        if overrides:
            override = max(overrides, key=lambda o: o.subdivision is not None)
            if override.works_as_weekday is None:
                return None
            return spans.get(weekday) or spans.get(override.works_as_weekday, [])
        if calendar.country is not None:
            official = official_holidays(calendar.country, calendar.subdivision, day.year)
            if day in official:
                return None
            if calendar.make_up_days_are_working_days and day in official.weekend_workdays and not spans.get(weekday):
                weekday = make_up_weekday(calendar, day)
        return spans.get(weekday, [])

    def _open_at(self, city_id: Hashable, local: datetime) -> date | None:
        """The local date of a local reading (naive wall time, or aware with its fold) if a window
        of that date holds it, else None."""
        if local.fold:
            return None  # the second time a fall-back night reads this hour
        spans = self.spans_on(city_id, local.date())
        wall = local.hour * 60 + local.minute
        return local.date() if spans and any(a <= wall < b for a, b in spans) else None

    def _hours_near_windows(self, city_id: Hashable, zone: ZoneInfo) -> list[datetime]:
        """The UTC hours worth reading: those within two hours of where a window of an open local
        date roughly falls (no clock change moves a wall time by more than two hours)."""
        hours: set[datetime] = set()
        day = self.problem.horizon_start
        while day <= self.problem.horizon_end:
            for start, end in self.spans_on(city_id, day) or ():
                midnight = datetime.combine(day, time(0))
                low = (midnight + timedelta(minutes=start)).replace(tzinfo=zone).astimezone(UTC) - 2 * BLOCK
                high = (midnight + timedelta(minutes=end)).replace(tzinfo=zone).astimezone(UTC) + 2 * BLOCK
                hour = max(low, self.first - BLOCK).replace(minute=0, second=0, microsecond=0)
                while hour < high:
                    hours.add(hour)
                    hour += BLOCK
            day += timedelta(days=1)
        return sorted(hours)

    def open_runs(self, city_id: Hashable) -> list[tuple[datetime, datetime, date]]:
        """Maximal UTC runs ``[start, end)`` in which every minute is open on one local date."""
        if city_id in self._runs:
            return self._runs[city_id]
        zone = ZoneInfo(self.problem.cities[city_id].tz)
        runs: list[tuple[datetime, datetime, date]] = []
        for block in self._hours_near_windows(city_id, zone):  # clock changes never come twice within an hour
            block_end = block + BLOCK
            first, last = block.astimezone(zone), (block_end - MINUTE).astimezone(zone)
            if first.utcoffset() == last.utcoffset() and not first.fold and not last.fold:
                wall = first.replace(tzinfo=None)  # the wall clock runs with UTC for the whole hour
                pieces = [(block + n * QUARTER, block + (n + 1) * QUARTER, self._open_at(city_id, wall + n * QUARTER)) for n in range(4)]
            else:  # a clock change inside the hour: read it minute by minute
                minutes = [block + n * MINUTE for n in range(60)]
                pieces = [(m, m + MINUTE, self._open_at(city_id, m.astimezone(zone))) for m in minutes]
            for start, end, day in pieces:
                if day is None:
                    continue
                if runs and runs[-1][1] == start and runs[-1][2] == day:
                    runs[-1] = (runs[-1][0], end, day)
                else:
                    runs.append((start, end, day))
        self._runs[city_id] = runs
        return runs

    # -- requests --------------------------------------------------------------------------------

    def starts(self, request_id: Hashable) -> list[Meeting]:
        """Every start of the request that keeps the per-meeting rules (grid, notice, horizon, windows,
        holidays, days away), ignoring the other meetings."""
        if request_id in self._starts:
            return self._starts[request_id]
        request = self.problem.request(request_id)
        duration = timedelta(minutes=request.duration_minutes)
        grid = timedelta(minutes=self.problem.granularity_minutes)
        result = []
        for a_start, a_end, a_day in self.open_runs(request.city_a):
            for b_start, b_end, b_day in self.open_runs(request.city_b):
                low, high = max(a_start, b_start, self.earliest), min(a_end, b_end)
                if high - low < duration:
                    continue
                start = low + (-(low - self.earliest) % grid)  # grid starts are the earliest one plus whole steps
                while start + duration <= high:
                    result.append(Meeting(request.id, start, start + duration, ((request.city_a, a_day), (request.city_b, b_day))))
                    start += grid
        self._starts[request_id] = sorted(result, key=lambda m: m.start)
        return self._starts[request_id]

    def fixed_meetings(self) -> list[Meeting]:
        meetings = []
        for n, fixed in enumerate(self.problem.fixed_sessions):
            cities = [c for c in dict.fromkeys(fixed.city_ids) if c in self.problem.cities]
            days = tuple((c, fixed.start_utc.astimezone(ZoneInfo(self.problem.cities[c].tz)).date()) for c in cities)
            meetings.append(Meeting(("fixed", n), fixed.start_utc, fixed.end_utc, days))
        return meetings

    def meeting(self, request_id: Hashable, start: datetime) -> Meeting | None:
        """The request at ``start`` if that start keeps the per-meeting rules."""
        return next((m for m in self.starts(request_id) if m.start == start), None)

    # -- the whole plan --------------------------------------------------------------------------

    def violations(self, scheduled: Mapping[Hashable, datetime]) -> list[str]:
        """Every rule a plan breaks, in words (empty for a valid plan)."""
        problems = []
        meetings = self.fixed_meetings()
        for request_id, start in scheduled.items():
            meeting = self.meeting(request_id, start)
            if meeting is None:
                problems.append(f"{request_id} at {start:%Y-%m-%d %H:%M} UTC breaks a per-meeting rule")
            else:
                meetings.append(meeting)
        problems += self.conflicts(meetings)
        return problems

    def conflicts(self, meetings: Sequence[Meeting]) -> list[str]:
        found = []
        by_city: dict[Hashable, list[Meeting]] = defaultdict(list)
        per_day: Counter[tuple[Hashable, date]] = Counter()
        for meeting in meetings:
            for city_id, day in meeting.local_dates:
                by_city[city_id].append(meeting)
                per_day[(city_id, day)] += 1
        for city_id, list_ in by_city.items():
            list_.sort(key=lambda m: m.start)
            for first, second in zip(list_, list_[1:]):
                if second.start < first.end:
                    found.append(f"{city_id} is in {first.request_id} and {second.request_id} at once")
        for (city_id, day), count in per_day.items():
            if count > self.problem.cap_of(city_id):
                found.append(f"{city_id} has {count} meetings on {day} (cap {self.problem.cap_of(city_id)})")
        return found

    def still_fits(self, request_id: Hashable, scheduled: Mapping[Hashable, datetime]) -> Meeting | None:
        """A start of ``request_id`` that keeps every rule next to the plan's meetings, if any."""
        others = self.fixed_meetings() + [self.meeting(r, s) for r, s in scheduled.items() if r != request_id]
        busy, per_day = _occupancy([m for m in others if m is not None])
        cap = self.problem.cap_of
        for candidate in self.starts(request_id):
            if _fits(candidate, busy, per_day, cap):
                return candidate
        return None

    def most_schedulable(self) -> tuple[int, dict[Hashable, datetime]]:
        """The most requests that can be scheduled together, by exhaustive search, and one such plan.

        Branch and bound over the requests (each unscheduled or at one of its starts); a branch is cut
        when even scheduling every remaining request that still has a free start could not beat the
        best found. Meant for tiny problems (a handful of requests, a few dozen starts each).
        """
        requests = sorted(self.problem.requests, key=lambda r: len(self.starts(r.id)))
        options = [self.starts(r.id) for r in requests]
        busy, per_day = _occupancy(self.fixed_meetings())
        cap = self.problem.cap_of
        best: list[Meeting] = []
        chosen: list[Meeting] = []

        def search(index: int) -> None:
            nonlocal best
            if len(chosen) > len(best):
                best = list(chosen)
            if index == len(requests) or len(best) == len(requests):
                return
            hopeful = sum(1 for later in options[index:] if any(_fits(m, busy, per_day, cap) for m in later))
            if len(chosen) + hopeful <= len(best):
                return
            for candidate in options[index]:
                if _fits(candidate, busy, per_day, cap):
                    _add(candidate, busy, per_day, +1)
                    chosen.append(candidate)
                    search(index + 1)
                    chosen.pop()
                    _add(candidate, busy, per_day, -1)
            search(index + 1)  # leave this request out

        search(0)
        return len(best), {m.request_id: m.start for m in best}


Busy = dict[Hashable, list[tuple[datetime, datetime]]]


def _occupancy(meetings: Iterable[Meeting]) -> tuple[Busy, Counter[tuple[Hashable, date]]]:
    busy: Busy = defaultdict(list)
    per_day: Counter[tuple[Hashable, date]] = Counter()
    for meeting in meetings:
        _add(meeting, busy, per_day, +1)
    return busy, per_day


def _add(meeting: Meeting, busy: Busy, per_day: Counter[tuple[Hashable, date]], sign: int) -> None:
    for city_id, day in meeting.local_dates:
        per_day[(city_id, day)] += sign
        if sign > 0:
            busy[city_id].append((meeting.start, meeting.end))
        else:
            busy[city_id].remove((meeting.start, meeting.end))


def _fits(meeting: Meeting, busy: Busy, per_day: Counter[tuple[Hashable, date]], cap) -> bool:  # noqa: ANN001
    for city_id, day in meeting.local_dates:
        if per_day[(city_id, day)] >= cap(city_id):
            return False
        if any(start < meeting.end and meeting.start < end for start, end in busy.get(city_id, ())):
            return False
    return True
