"""Generated planning problems, biased so that most of them can schedule something.

Drawn freely, two cities' hours rarely meet (an earlier generator scheduled nothing in about half
of its examples, so a planner that schedules nothing passed its property). Here most cities open
around one shared UTC time, converted into each city's own wall clock on the first day of the
horizon, and the notice mostly ends inside the horizon; the rest of the input stays free (more
windows, weekends, days away, caps, a fixed session, DST changes, holidays, make-up days), so
some cases still cannot schedule anything and the rules are met from every side.

Every bound is a multiple of 15 minutes, as the oracle (``oracle.py``) requires.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from bot.domain import WeeklyWindow
from bot.planner import CityCalendar, FixedSession, MeetingRequest, PlanningProblem

UTC = timezone.utc
ZONES = {  # zone -> country for holidays; offsets from -08:00 to +13:45, with and without DST
    "Asia/Shanghai": "CN", "Europe/Lisbon": "PT", "Europe/Berlin": "DE", "America/New_York": "US",
    "America/Santiago": "CL", "Australia/Sydney": "AU", "Pacific/Auckland": "NZ",
    "America/Los_Angeles": "US", "Asia/Kolkata": "IN", "Asia/Kathmandu": "NP",
}
EVERY_DAY, WORKING_WEEK = tuple(range(7)), tuple(range(5))
WEEKDAY_SETS = [EVERY_DAY, WORKING_WEEK, (1, 2, 3), (5, 6), (0, 2, 4)]


@dataclass(frozen=True)
class Case:
    problem: PlanningProblem
    hours: dict[Hashable, tuple[WeeklyWindow, ...]]  # as drawn, before the planner merged them

    def __repr__(self) -> str:  # what a failing example prints: enough to rebuild it by hand
        p = self.problem
        lines = [f"horizon {p.horizon_start}..{p.horizon_end}, now {p.now_utc:%Y-%m-%d %H:%M}Z, notice {p.min_notice}, "
                 f"grid {p.granularity_minutes}, cap {p.max_per_city_day}"]
        for calendar in p.cities.values():
            hours = ", ".join(f"{w.weekday}:{w.start:%H:%M}-{w.end:%H:%M}" for w in self.hours[calendar.id])
            lines.append(f"  {calendar.id} {calendar.tz} cap={calendar.max_per_day} away={sorted(map(str, calendar.days_away))} {hours}")
        lines += [f"  {r.id}: {r.city_a}-{r.city_b} {r.duration_minutes} min" for r in p.requests]
        lines += [f"  fixed {f.city_ids} {f.start_utc:%Y-%m-%d %H:%M}-{f.end_utc:%H:%M}Z" for f in p.fixed_sessions]
        return "Case(\n" + "\n".join(lines) + "\n)"


def _clock(minutes: int) -> time:
    return time(0) if minutes >= 1440 else time(minutes // 60, minutes % 60)


def _windows(weekdays: tuple[int, ...], start: int, end: int) -> list[WeeklyWindow]:
    return [WeeklyWindow(d, _clock(start), _clock(end)) for d in weekdays] if start < end else []


@st.composite
def planning_cases(draw: st.DrawFn, *, tiny: bool = False) -> Case:
    """A problem of 2-4 cities and 1-8 requests over up to three weeks; ``tiny``: 2-3 cities, 1-6
    requests, up to three days, short windows and a 30- or 60-minute grid, so that a brute force can
    try every combination."""
    start = date(2026, 1, 13) + timedelta(days=draw(st.integers(0, 730)))  # 2026-01-13: no holiday, a Tuesday
    end = start + timedelta(days=draw(st.integers(1, 2) if tiny else st.integers(0, 20)))
    step = 30 if tiny else 15  # tiny problems have a 30- or 60-minute grid; keep their hours on it
    shared_start = draw(st.integers(0, 1440 // step - 1)) * step  # UTC time of day most cities are open at
    shared_length = draw(st.integers(4, 8 if tiny else 16)) * 15
    shared_days = draw(st.sampled_from([EVERY_DAY, EVERY_DAY, WORKING_WEEK]))
    noon = datetime.combine(start, time(12), UTC)
    cities, hours = [], {}
    for n in range(draw(st.integers(2, 3 if tiny else 4))):
        zone = draw(st.sampled_from(sorted(ZONES)))
        windows = []
        if tiny or draw(st.integers(0, 9)) < 9:  # nine in ten cities (all tiny ones) are open around the shared time
            offset = ZoneInfo(zone).utcoffset(noon.replace(tzinfo=None)) // timedelta(minutes=1)
            local = (shared_start + offset) % 1440
            before, after = draw(st.integers(0, 4 if tiny else 12)) * step, draw(st.integers(0, 4 if tiny else 12)) * step
            windows += _windows(shared_days, max(0, local - before), min(1440, local + shared_length + after))
        for _ in range(draw(st.integers(0 if windows else 1, 1 if tiny else 2))):  # and at other times
            first = draw(st.integers(0, 95)) * 15
            last = min(first + draw(st.integers(2, 12 if tiny else 40)) * 15, 1440)
            windows += _windows(draw(st.sampled_from(WEEKDAY_SETS)), first, last)
        away = []
        if draw(st.integers(0, 3)) == 3:  # one city in four is away for a day or two (0, the likelier draw, is not)
            away = [start + timedelta(days=d) for d in draw(st.lists(st.integers(0, (end - start).days + 1), min_size=1, max_size=2))]
        city_id = f"c{n}"
        hours[city_id] = tuple(windows)
        cities.append(CityCalendar(city_id, zone, ZONES[zone], None, tuple(windows), frozenset(away),
                                   draw(st.sampled_from([None, None, 1, 3]))))
    ids = [c.id for c in cities]
    pairs = [(a, b) for a in ids for b in ids if a < b]
    durations = [30, 45, 60, 90] if not tiny else [30, 60, 90]
    requests = [
        MeetingRequest(f"r{n}", *draw(st.sampled_from(pairs)), draw(st.sampled_from(durations)))
        for n in range(draw(st.integers(1, 6 if tiny else 8)))
    ]
    midnight = datetime.combine(start, time(0), UTC)
    notice = timedelta(hours=draw(st.integers(0, 24 if tiny else 48)))
    # Mostly the notice ends before the horizon's first local day begins anywhere (14 hours before
    # its UTC midnight, in Auckland's summer); one case in four it ends inside the horizon.
    earliest = midnight - timedelta(hours=14 + draw(st.integers(0, 24)))
    if draw(st.integers(0, 3)) == 3:
        earliest = midnight + timedelta(hours=draw(st.integers(-14, 36)))
    now = earliest - notice
    fixed = []
    if draw(st.booleans()):  # a confirmed session of one city with a city outside the problem
        # From a day before the horizon (it may run into the first local day) to its last day.
        at = midnight + timedelta(minutes=15 * draw(st.integers(-96, 96 * ((end - start).days + 1))))
        fixed.append(FixedSession((draw(st.sampled_from(ids)), "outside"), at, at + timedelta(minutes=draw(st.sampled_from([60, 60, 90, 150])))))
    problem = PlanningProblem(
        now_utc=now, horizon_start=start, horizon_end=end, min_notice=notice,
        granularity_minutes=draw(st.sampled_from([30, 60] if tiny else [15, 30])),
        max_per_city_day=draw(st.integers(1, 2)), cities={c.id: c for c in cities},
        requests=tuple(requests), fixed_sessions=tuple(fixed),
    )
    return Case(problem, hours)


def instance_json(case: Case, name: str) -> dict[str, Any]:
    """The case as a schedbench instance (planner-format.md); fixed sessions have no place there."""
    p = case.problem
    keys = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

    def availability(windows: tuple[WeeklyWindow, ...]) -> dict[str, list[list[str]]]:
        days: dict[str, list[list[str]]] = {key: [] for key in keys}
        for w in windows:
            end = "24:00" if w.end == time(0) else f"{w.end:%H:%M}"
            days[keys[w.weekday]].append([f"{w.start:%H:%M}", end])
        return days

    return {
        "format": "schedbench-instance", "version": 1, "name": name,
        "horizon": {"start_date": p.horizon_start.isoformat(), "end_date": p.horizon_end.isoformat()},
        "now_utc": p.now_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "min_notice_minutes": p.min_notice // timedelta(minutes=1),
        "slot_minutes": p.granularity_minutes,
        "max_meetings_per_city_day": p.max_per_city_day,
        "objective": {"comfort_weight": 1.0, "earliness_weight": 0.5},
        "cities": [
            {"id": c.id, "name": c.id, "tz": c.tz, "country": c.country, "subdiv": c.subdivision,
             "availability": availability(case.hours[c.id]),
             "blackout_dates": sorted(d.isoformat() for d in c.days_away), "max_meetings_per_day": c.max_per_day}
            for c in p.cities.values()
        ],
        "requests": [
            {"id": r.id, "cities": [r.city_a, r.city_b], "topic": "generated", "duration_minutes": r.duration_minutes}
            for r in p.requests
        ],
    }
