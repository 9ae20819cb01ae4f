"""Batch planning: hubs packed tight, fixed sessions respected, deterministic, and every rule kept."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
from hypothesis import event, given, settings
from hypothesis import strategies as st

from bot.planner import CityCalendar, FixedSession, MeetingRequest, PlanningProblem, plan
from bot.planner.availability import window_end_minutes
from bot.planner.calendar import make_up_weekday
from tests.unit.planner.conftest import city, problem, utc

HUB = city("hub", "Asia/Shanghai", "CN", "Mon-Fri 13:30-17:30")  # 05:30-09:30 UTC
# Berlin 09:30-17:00 CEST is 07:30-15:00 UTC: two common hours a day with the hub, 07:30-09:30.
PARTNERS = [city(f"p{n}", "Europe/Berlin", "DE", "Mon-Fri 09:30-17:00") for n in range(10)]
WEEK = dict(start=date(2027, 4, 12), end=date(2027, 4, 16), now="2027-04-01 00:00")


def test_hub_overlap_is_packed_two_a_day() -> None:
    # Ten partners, five days, two hours a day, cap 2: all ten fit only at 07:30 and 08:30 UTC;
    # a planner that puts each meeting in the comfortable middle (08:00) fits five.
    requests = [MeetingRequest(f"r{n}", "hub", f"p{n}", 60) for n in range(10)]
    result = plan(problem([HUB, *PARTNERS], requests=requests, **WEEK))
    assert len(result.scheduled) == 10
    assert Counter(start.time().strftime("%H:%M") for start in result.scheduled.values()) == {"07:30": 5, "08:30": 5}


def test_fixed_sessions_occupy_time_and_count_toward_the_cap() -> None:
    requests = [MeetingRequest(f"r{n}", "hub", f"p{n}", 60) for n in range(10)]
    fixed = [FixedSession(("hub", "elsewhere"), utc("2027-04-12 02:00"), utc("2027-04-12 03:00"))]  # Monday, morning
    result = plan(problem([HUB, *PARTNERS], requests=requests, fixed=fixed, **WEEK))
    assert len(result.scheduled) == 9
    assert sum(start.date() == date(2027, 4, 12) for start in result.scheduled.values()) == 1


def test_same_problem_gives_the_same_plan() -> None:
    requests = [MeetingRequest(f"r{n}", "hub", f"p{n % 10}", 60 if n % 3 else 90) for n in range(25)]
    case = problem([HUB, *PARTNERS], requests=requests, start=date(2027, 4, 12), end=date(2027, 4, 30), now="2027-04-01 00:00")
    assert plan(case) == plan(case)


def test_city_cap_of_its_own_overrides_the_default() -> None:
    hub = CityCalendar("hub", HUB.tz, HUB.country, None, HUB.windows, max_per_day=1)
    requests = [MeetingRequest(f"r{n}", "hub", f"p{n}", 60) for n in range(10)]
    result = plan(problem([hub, *PARTNERS], requests=requests, **WEEK))
    assert len(result.scheduled) == 5


ZONES = [
    "Asia/Shanghai", "Europe/Lisbon", "Europe/Berlin", "America/New_York", "America/Santiago",
    "Australia/Sydney", "Pacific/Auckland", "America/Los_Angeles", "Asia/Kolkata", "Asia/Kathmandu",
]
COUNTRY = {
    "Asia/Shanghai": "CN", "Europe/Lisbon": "PT", "Europe/Berlin": "DE", "America/New_York": "US",
    "America/Santiago": "CL", "Australia/Sydney": "AU", "Pacific/Auckland": "NZ",
    "America/Los_Angeles": "US", "Asia/Kolkata": "IN", "Asia/Kathmandu": "NP",
}


@st.composite
def planning_problems(draw: st.DrawFn) -> PlanningProblem:
    start = date(2026, 1, 1) + timedelta(days=draw(st.integers(0, 730)))
    end = start + timedelta(days=draw(st.integers(0, 20)))
    cities = []
    for n in range(draw(st.integers(2, 4))):
        zone = draw(st.sampled_from(ZONES))
        spans = []
        for _ in range(draw(st.integers(1, 3))):
            first = draw(st.integers(0, 88)) * 15
            last = min(first + draw(st.integers(2, 40)) * 15, 1440)
            spans.append(f"{first // 60:02d}:{first % 60:02d}-{last // 60:02d}:{last % 60:02d}")
        day_specs = draw(st.lists(st.sampled_from(["Mon-Fri", "Sat", "Sun", "Tue-Thu"]), min_size=1, max_size=2))
        hours = "; ".join(f"{days} {span}" for days in day_specs for span in spans)
        away = [start + timedelta(days=d) for d in draw(st.lists(st.integers(0, 20), max_size=3))]
        calendar = city(f"c{n}", zone, COUNTRY[zone], hours, away=away, cap=draw(st.sampled_from([None, 1, 3])))
        cities.append(calendar)
    ids = [c.id for c in cities]
    requests = []
    for n in range(draw(st.integers(1, 8))):
        a, b = draw(st.sampled_from([(x, y) for x in ids for y in ids if x < y]))
        requests.append(MeetingRequest(f"r{n}", a, b, draw(st.sampled_from([30, 45, 60, 90]))))
    now = datetime.combine(start, datetime.min.time()).replace(tzinfo=ZoneInfo("UTC")) + timedelta(hours=draw(st.integers(-48, 96)))
    fixed = []
    if draw(st.booleans()):
        fixed.append(FixedSession((ids[0], "outside"), now + timedelta(hours=30), now + timedelta(hours=31)))
    return PlanningProblem(
        now_utc=now, horizon_start=start, horizon_end=end, min_notice=timedelta(hours=draw(st.integers(0, 72))),
        granularity_minutes=draw(st.sampled_from([15, 30])), max_per_city_day=draw(st.integers(1, 2)),
        cities={c.id: c for c in cities}, requests=tuple(requests), fixed_sessions=tuple(fixed),
    )


def _check_every_rule(case: PlanningProblem, scheduled: dict[object, datetime]) -> None:
    """An independent check, minute by minute in each city's wall-clock time."""
    sessions: dict[object, list[tuple[datetime, datetime]]] = {}
    per_day: Counter[tuple[object, date]] = Counter()
    for fixed in case.fixed_sessions:
        for city_id in fixed.city_ids:
            if city_id in case.cities:
                sessions.setdefault(city_id, []).append((fixed.start_utc, fixed.end_utc))
                per_day[(city_id, fixed.start_utc.astimezone(ZoneInfo(case.cities[city_id].tz)).date())] += 1
    for request in case.requests:
        start = scheduled.get(request.id)
        if start is None:
            continue
        end = start + timedelta(minutes=request.duration_minutes)
        assert start >= case.now_utc + case.min_notice
        assert (start.hour * 60 + start.minute) % case.granularity_minutes == 0
        for city_id in (request.city_a, request.city_b):
            calendar = case.cities[city_id]
            zone = ZoneInfo(calendar.tz)
            day = start.astimezone(zone).date()
            assert case.horizon_start <= day <= case.horizon_end
            assert day not in calendar.days_away
            official = holidays.country_holidays(calendar.country, years=day.year)
            assert day not in official
            weekday = day.weekday()
            if day in official.weekend_workdays:
                # An official make-up working day (调休, e.g. Sunday 4 January 2026 in China) has the
                # hours of the weekday it pays back; which one that is, is the planner's own lookup.
                weekday = make_up_weekday(calendar, day)
            spans = [(w.start.hour * 60 + w.start.minute, window_end_minutes(w)) for w in calendar.windows if w.weekday == weekday]
            for minute in range(request.duration_minutes):
                local = (start + timedelta(minutes=minute)).astimezone(zone)
                wall = local.hour * 60 + local.minute
                assert local.date() == day
                assert any(a <= wall < b for a, b in spans), f"{request.id} at {local} outside {calendar.id}'s windows"
            sessions.setdefault(city_id, []).append((start, end))
            per_day[(city_id, day)] += 1
    for city_id, spans in sessions.items():
        spans.sort()
        for (_, first_end), (second_start, _) in zip(spans, spans[1:]):
            assert first_end <= second_start, f"{city_id} is in two meetings at once"
    for (city_id, day), count in per_day.items():
        assert count <= case.cap_of(city_id), f"{city_id} has {count} meetings on {day}"


@settings(max_examples=60, deadline=None)
@given(planning_problems())
def test_every_planned_meeting_keeps_every_rule(case: PlanningProblem) -> None:
    result = plan(case)
    assert set(result.scheduled) | set(result.unscheduled) == {r.id for r in case.requests}
    assert not set(result.scheduled) & set(result.unscheduled)
    _check_every_rule(case, result.scheduled)
    event(f"scheduled {min(len(result.scheduled), 3)}+" if result.scheduled else "nothing scheduled")


def test_an_official_make_up_sunday_in_china_is_planned_with_the_hours_it_pays_back() -> None:
    """Found by the property above: Sunday 4 January 2026 is a working day in China (调休 for 2 January)."""
    from datetime import time, timezone

    from bot.domain import WeeklyWindow

    windows = tuple(WeeklyWindow(d, time(0, 0), time(0, 30)) for d in range(5))  # Mon-Fri 00:00-00:30
    cities = {c: CityCalendar(c, "Asia/Shanghai", "CN", None, windows) for c in ("c0", "c1")}
    case = PlanningProblem(
        now_utc=datetime(2026, 1, 1, tzinfo=timezone.utc), horizon_start=date(2026, 1, 1), horizon_end=date(2026, 1, 4),
        min_notice=timedelta(0), granularity_minutes=15, max_per_city_day=1, cities=cities,
        requests=(MeetingRequest("r0", "c0", "c1", 30),),
    )
    result = plan(case)
    # 1-3 January are the New Year holiday; Sunday the 4th is worked with Friday's hours.
    assert result.scheduled == {"r0": datetime(2026, 1, 3, 16, 0, tzinfo=timezone.utc)}
    _check_every_rule(case, result.scheduled)
