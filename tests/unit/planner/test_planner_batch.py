"""Batch planning: hubs packed tight, fixed sessions respected, deterministic, and every rule kept."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from hypothesis import Phase, event, given, settings

from bot.planner import CityCalendar, FixedSession, MeetingRequest, PlanningProblem, plan
from tests.unit.planner.cases import Case, planning_cases
from tests.unit.planner.conftest import city, problem, utc
from tests.unit.planner.oracle import Oracle

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


# Several hundred examples each: four times the Hypothesis profile's count (400 by default and in
# CI, where the ``ci`` profile also fixes the examples; see tests/conftest.py).
PROPERTY = settings(max_examples=4 * settings.default.max_examples, deadline=None)


@PROPERTY
@given(planning_cases())
def test_every_planned_meeting_keeps_every_rule_and_no_request_is_left_out_that_still_fits(case: Case) -> None:
    """Checked by an oracle written apart from the planner (oracle.py), minute by minute in each
    city's wall clock. "Left out although it fits" catches a planner that schedules too little: the
    cases are drawn so that nine in ten can schedule something (an earlier generator: under half)."""
    result = plan(case.problem)
    assert set(result.scheduled) | set(result.unscheduled) == {r.id for r in case.problem.requests}
    assert not set(result.scheduled) & set(result.unscheduled)
    oracle = Oracle(case.problem, case.hours)
    assert oracle.violations(result.scheduled) == []
    for request_id in result.unscheduled:
        fits = oracle.still_fits(request_id, result.scheduled)
        assert fits is None, f"{request_id} is left out although {fits.start:%Y-%m-%d %H:%M} UTC keeps every rule"
    event(f"scheduled {min(len(result.scheduled), 3)}+" if result.scheduled else "scheduled nothing")


# The planner is a heuristic: this property finds the rare tiny case where it stops one short of the
# optimum (the cases pinned below: seed 22 and two found by random runs are planned right now; one
# found by the "thorough" profile is still a strict xfail). CI explores the same examples every run
# (the "ci" profile), where it holds; a local run explores new ones and may meet such a case.
@PROPERTY
@given(planning_cases(tiny=True))
def test_on_tiny_problems_the_planner_schedules_as_many_requests_as_a_brute_force_can(case: Case) -> None:
    """Up to six requests, three cities, three days and a 30- or 60-minute grid: every combination of
    starts is tried (oracle.py), so "as many as possible", the first aim of planner-format.md, is
    checked exactly, and a planner that drops a rule shows up as scheduling more than the optimum."""
    oracle = Oracle(case.problem, case.hours)
    optimum, witness = oracle.most_schedulable()
    assert oracle.violations(witness) == []  # the brute force's own plan is valid
    result = plan(case.problem)
    assert oracle.violations(result.scheduled) == []
    assert len(result.scheduled) == optimum, f"the planner schedules {len(result.scheduled)}, the optimum is {optimum}: {witness}"
    assert result.count_bound is not None and optimum <= result.count_bound  # the b-matching bound holds
    event("contested" if optimum < sum(1 for r in case.problem.requests if oracle.starts(r.id)) else "uncontested")
    event(f"optimum {min(optimum, 3)}+" if optimum else "optimum 0")


def test_three_cities_two_days_where_the_planner_once_stopped_one_short_of_the_optimum() -> None:
    """Found by the brute force above (seed 22): Berlin between two Los Angeles cities, one of them
    away on the first day; four of six requests fit (c0's two 30-minute meetings with Berlin on the
    first day, c2's two on the second). The planner gave the second day to the 90-minute r4 and
    to r1, c0's second 30-minute meeting: three. The exchange that swaps r4 for r3 found no filler
    for the rest of the day, whose two seats r1 and r3 held, until the filler r5 could move r1 to
    the first day (a filler chain of one link, in the pass over all requests)."""
    cities = (
        city("c0", "America/Los_Angeles", "US", "Mon-Sun 01:00-02:30"),
        city("c1", "Europe/Berlin", "DE", "Mon 09:00-12:15; Tue 09:00-11:30; Wed 09:00-12:15; Thu 09:00-11:30; Fri 09:00-12:15; Sat-Sun 09:00-11:30"),
        city("c2", "America/Los_Angeles", "US", "Mon-Sun 00:00-02:00", away=[date(2026, 1, 13)]),
    )
    requests = [
        MeetingRequest("r0", "c0", "c1", 30), MeetingRequest("r1", "c0", "c1", 30), MeetingRequest("r2", "c0", "c2", 90),
        MeetingRequest("r3", "c1", "c2", 30), MeetingRequest("r4", "c1", "c2", 90), MeetingRequest("r5", "c1", "c2", 30),
    ]
    case = replace(
        problem(cities, requests=requests, start=date(2026, 1, 13), end=date(2026, 1, 14), now="2026-01-12 10:00", notice_hours=0, cap=2),
        granularity_minutes=60,
    )
    oracle = Oracle(case)
    assert oracle.most_schedulable()[0] == 4
    result = plan(case)
    assert oracle.violations(result.scheduled) == []
    assert len(result.scheduled) == 4


def test_a_filler_moves_a_meeting_along_to_take_the_time_the_exchanged_one_freed() -> None:
    """Found by the brute force above (a random run): one Los Angeles afternoon (c0 15:30-18:00,
    c1 16:00-18:00; c0 is away the next day) is Kathmandu's early morning, where c2 has one seat.
    Three fit: r3 (c0-c2) at 15:30, r2 and r1 (c0-c1) at 16:00 and 17:00. The planner gave c2's
    seat to r0 (c1-c2) at 16:00 and r1 16:30: two. The exchange gives r0's seat to r3, and the
    filler r2 takes 16:00 only by moving r1 on to 17:00 (a filler chain of one link)."""
    cities = (
        city("c0", "America/Los_Angeles", "US", "Mon-Sun 15:30-18:00", away=[date(2026, 1, 14)], cap=3),
        city("c1", "America/Los_Angeles", "US", "Mon-Sun 16:00-18:00", cap=3),
        city("c2", "Asia/Kathmandu", "NP", "Mon-Sun 05:15-07:15"),
    )
    requests = [MeetingRequest("r0", "c1", "c2", 30), MeetingRequest("r1", "c0", "c1", 60), MeetingRequest("r2", "c0", "c1", 60), MeetingRequest("r3", "c0", "c2", 30)]
    case = replace(
        problem(cities, requests=requests, start=date(2026, 1, 13), end=date(2026, 1, 14), now="2026-01-12 10:00", notice_hours=0, cap=1),
        granularity_minutes=30,
    )
    oracle = Oracle(case)
    assert oracle.most_schedulable()[0] == 3
    result = plan(case)
    assert oracle.violations(result.scheduled) == []
    assert len(result.scheduled) == 3


def test_two_days_of_one_pair_are_packed_again_when_a_ninety_minute_meeting_holds_the_longer_one() -> None:
    """Found by the brute force above (the "thorough" profile): two Los Angeles cities, 00:30-02:30
    each day, cap 3; notice leaves 90 minutes of the first day, and a confirmed session takes one
    of c0's seats on the second (outside the window). Five fit: three 30-minute meetings on the
    first day, two 60-minute ones on the second. The b-matching keeps the 90-minute request, which
    takes the second day beside a 30-minute one, and no exchange of one or two meetings undoes it:
    four, until the cities where a request still waits are re-planned shortest first."""
    la = (
        city("c0", "America/Los_Angeles", "US", "Mon-Sun 00:30-02:30", cap=3),
        city("c1", "America/Los_Angeles", "US", "Mon-Sun 00:30-02:30", cap=3),
    )
    requests = [MeetingRequest(f"r{n}", "c0", "c1", minutes) for n, minutes in enumerate((30, 30, 30, 60, 90, 60))]
    fixed = [FixedSession(("c0", "outside"), utc("2026-01-15 10:30"), utc("2026-01-15 11:30"))]
    case = replace(
        problem(la, requests=requests, fixed=fixed, start=date(2026, 1, 13), end=date(2026, 1, 15), now="2026-01-14 09:00", notice_hours=0, cap=1),
        granularity_minutes=30,
    )
    oracle = Oracle(case)
    assert oracle.most_schedulable()[0] == 5
    result = plan(case)
    assert oracle.violations(result.scheduled) == []
    assert len(result.scheduled) == 5


@pytest.mark.xfail(strict=True, reason="known gap: the 90-minute meeting should yield c0's first day to two 60-minute ones")
def test_three_cities_three_days_where_the_planner_still_stops_one_short_of_the_optimum() -> None:
    """Found by the brute force above (the "thorough" profile). c1 (cap 1) gives its first day's
    seat to a confirmed session; c0 has two hours a day, c2 (Kolkata) is open at the same time.
    Five fit: r2 and r4 (60 minutes, c0-c2) on c0's first day, r5 (90) on its second, r3 (c1-c2)
    on c1's second and r0 (c0-c1) on the third. The planner puts r5 on the first day, which leaves no room for
    a second hour there, and no exchange of one or two meetings, nor a rebuild of one city's
    meetings, gets from there to five: four. Strict xfail: when the planner learns it, this says so."""
    cities = (
        city("c0", "America/Los_Angeles", "US", "Mon-Sun 15:30-17:30"),
        city("c1", "America/Los_Angeles", "US", "Mon-Sun 16:00-17:30", cap=1),
        city("c2", "Asia/Kolkata", "IN", "Mon-Sun 05:00-07:00"),
    )
    requests = [
        MeetingRequest("r0", "c0", "c1", 60), MeetingRequest("r1", "c0", "c1", 60), MeetingRequest("r2", "c0", "c2", 60),
        MeetingRequest("r3", "c1", "c2", 30), MeetingRequest("r4", "c0", "c2", 60), MeetingRequest("r5", "c0", "c2", 90),
    ]
    fixed = [FixedSession(("c1", "outside"), utc("2026-01-13 08:00"), utc("2026-01-13 09:00"))]
    case = replace(
        problem(cities, requests=requests, fixed=fixed, start=date(2026, 1, 13), end=date(2026, 1, 15), now="2026-01-12 10:00", notice_hours=0, cap=2),
        granularity_minutes=30,
    )
    oracle = Oracle(case)
    assert oracle.most_schedulable()[0] == 5
    result = plan(case)
    assert oracle.violations(result.scheduled) == []
    assert len(result.scheduled) == 5


def test_a_two_hour_day_takes_two_one_hour_meetings_where_a_ninety_minute_one_leaves_no_room() -> None:
    """Found by the brute force above (issue 18). Two days, each with one common window of two
    hours, cap 2: three 60-minute and three 90-minute requests. Best: one 90-minute meeting on one
    day and two 60-minute ones on the other (3). The scarcer 90-minute requests go first, one a
    day (2); the one-out-two-in exchange then gives a 60-minute request one day's slot and fills
    the rest of the day with another (a 60-minute meeting at 16:00, another at 17:00). It needs
    more than 100 tries for that request: its work budget is now one for the whole pass."""
    la = city("c0", "America/Los_Angeles", "US", "Mon-Sun 16:00-18:00"), city("c1", "America/Los_Angeles", "US", "Mon-Sun 16:00-18:00")
    requests = [MeetingRequest(f"r{n}", "c0", "c1", 60 if n < 3 else 90) for n in range(6)]
    case = problem(la, requests=requests, start=date(2026, 1, 13), end=date(2026, 1, 14), now="2026-01-12 10:00", notice_hours=0, cap=2)
    oracle = Oracle(case)
    assert oracle.most_schedulable()[0] == 3
    result = plan(case)
    assert oracle.violations(result.scheduled) == []
    assert len(result.scheduled) == 3


def _schedules_something(tiny: bool) -> list[bool]:
    """For 100 generated problems: whether the planner schedules at least one request."""
    outcomes: list[bool] = []

    @settings(max_examples=100, derandomize=True, database=None, deadline=None, phases=[Phase.generate])
    @given(planning_cases(tiny=tiny))
    def record(case: Case) -> None:
        outcomes.append(bool(plan(case.problem).scheduled))

    record()
    return outcomes


def test_most_generated_problems_can_schedule_something() -> None:
    """The generators keep their bias: a property over problems where nothing fits proves little."""
    for tiny, at_least in ((False, 0.8), (True, 0.7)):
        outcomes = _schedules_something(tiny)
        share = sum(outcomes) / len(outcomes)
        assert share >= at_least, f"only {share:.0%} of the {'tiny' if tiny else 'general'} problems schedule something"


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
    assert Oracle(case).violations(result.scheduled) == []


def test_a_confirmed_session_across_local_midnight_blocks_the_next_morning_too() -> None:
    """Found by the brute force (seed 23): a session in Sydney 23:45-00:45 was recorded only under
    the day it starts, so a meeting at 00:00 the next day was placed on top of it. Recording it on
    both days fixes the clash but, counted in the next day's cap, costs meetings elsewhere; the next
    day's part is its overhang, which blocks without taking a seat (test_planner_fixed_sessions.py)."""
    cities = (
        city("c0", "Australia/Sydney", "AU", "Mon-Fri 00:00-01:00"),
        city("c1", "Australia/Sydney", "AU", "Mon-Fri 00:00-02:15"),
    )
    requests = [MeetingRequest(f"r{n}", "c0", "c1", minutes) for n, minutes in enumerate((30, 30, 30, 90, 30, 90, 30))]
    fixed = [FixedSession(("c1", "outside"), utc("2026-11-12 12:45"), utc("2026-11-12 13:45"))]  # 23:45-00:45 in Sydney
    case = replace(
        problem(cities, requests=requests, fixed=fixed, start=date(2026, 11, 10), end=date(2026, 11, 25), now="2026-11-06 22:00", notice_hours=36, cap=1),
        granularity_minutes=30,
    )
    result = plan(case)
    assert Oracle(case).violations(result.scheduled) == []
    assert result.scheduled  # the other mornings stay open
