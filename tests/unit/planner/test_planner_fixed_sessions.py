"""Confirmed sessions that run past local midnight or start before the horizon.

A fixed session takes a seat of the daily cap on the local day it starts (as the oracle and
planner-format.md count meetings) and blocks every minute it runs, on that day and the next.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from bot.planner import FixedSession, MeetingRequest, NoTimeReason, PlanningProblem, plan
from bot.planner.queries import candidate_slots, explain
from tests.unit.planner.conftest import city, problem, utc
from tests.unit.planner.oracle import Oracle

SYDNEY_NIGHT = (
    city("syd", "Australia/Sydney", "AU", "Mon-Sun 00:00-02:00"),
    city("syd2", "Australia/Sydney", "AU", "Mon-Sun 00:00-02:00"),
)


def _sydney(start: date, end: date, cap: int, fixed: FixedSession, *requests: MeetingRequest) -> PlanningProblem:
    return problem(SYDNEY_NIGHT, requests=requests, fixed=[fixed], start=start, end=end, now="2026-11-01 00:00", notice_hours=0, cap=cap)


def _starts(case: PlanningProblem, minutes: int) -> list[datetime]:
    return sorted(slot.start_utc for slot in candidate_slots(case, "syd", "syd2", minutes))


def test_a_session_across_midnight_in_sydney_blocks_the_next_morning_without_taking_its_seat() -> None:
    # Thursday 23:30-00:45 AEDT (UTC+11): the cap of one is spent on Thursday; Friday keeps its
    # seat, but its window opens at 00:00 under the session, so a meeting starts at 00:45 at the
    # earliest (the most comfortable start of the free part: the middle, 00:30, is taken).
    fixed = FixedSession(("syd", "outside"), utc("2026-11-12 12:30"), utc("2026-11-12 13:45"))
    case = _sydney(date(2026, 11, 12), date(2026, 11, 13), 1, fixed, MeetingRequest("r0", "syd", "syd2", 60))
    result = plan(case)
    assert Oracle(case).violations(result.scheduled) == []
    assert result.scheduled == {"r0": utc("2026-11-12 13:45")}  # Friday 00:45 in Sydney
    assert _starts(case, 60) == [utc("2026-11-12 13:45"), utc("2026-11-12 14:00")]
    assert _starts(case, 90) == []  # Friday's 00:00-01:30 would sit on the session
    lonely = replace(case, requests=(MeetingRequest("long", "syd", "syd2", 90),))
    why = explain(lonely, "long")
    assert (why.reason, why.blocking_city_ids) == (NoTimeReason.ALL_TAKEN, ("syd",))


def test_a_session_that_starts_before_the_horizon_blocks_its_first_morning_and_takes_no_seat() -> None:
    # Thursday 23:30 to Friday 01:00 in Sydney; the horizon is Friday alone, cap 1.
    fixed = FixedSession(("syd", "outside"), utc("2026-11-12 12:30"), utc("2026-11-12 14:00"))
    case = _sydney(date(2026, 11, 13), date(2026, 11, 13), 1, fixed, MeetingRequest("r0", "syd", "syd2", 60))
    result = plan(case)
    assert Oracle(case).violations(result.scheduled) == []
    assert result.scheduled == {"r0": utc("2026-11-12 14:00")}  # Friday 01:00, the one start left
    assert _starts(case, 60) == [utc("2026-11-12 14:00")]


def test_an_ejection_chain_does_not_place_a_meeting_on_a_session_from_the_day_before() -> None:
    # Cap 2 and a free hour 01:00-02:00: the second request may not take 00:00 by displacing
    # nobody (the repair's chains ask which meetings block a slot; the session counts too).
    fixed = FixedSession(("syd", "outside"), utc("2026-11-12 12:30"), utc("2026-11-12 14:00"))
    requests = [MeetingRequest(f"r{n}", "syd", "syd2", 60) for n in range(2)]
    case = _sydney(date(2026, 11, 13), date(2026, 11, 13), 2, fixed, *requests)
    result = plan(case)
    assert Oracle(case).violations(result.scheduled) == []
    assert list(result.scheduled.values()) == [utc("2026-11-12 14:00")]


def test_a_session_across_midnight_and_the_new_zealand_clock_change_blocks_sunday_until_it_ends() -> None:
    # Auckland springs forward on Sunday 27 September 2026 at 02:00 NZST (14:00 UTC) to 03:00 NZDT.
    # The session runs Saturday 23:00 NZST to Sunday 03:30 NZDT (11:00-14:30 UTC). Sunday's
    # window 00:00-06:00 is 12:00-17:00 UTC (five hours); its middle for an hour, 14:00 UTC,
    # is under the session, so the meeting starts when the session ends. Saturday's seat (cap 1)
    # is the session's.
    auckland = (
        city("akl", "Pacific/Auckland", "NZ", "Mon-Sun 00:00-06:00"),
        city("akl2", "Pacific/Auckland", "NZ", "Mon-Sun 00:00-06:00"),
    )
    fixed = FixedSession(("akl", "outside"), utc("2026-09-26 11:00"), utc("2026-09-26 14:30"))
    requests = [MeetingRequest(f"r{n}", "akl", "akl2", 60) for n in range(2)]
    case = problem(auckland, requests=requests, fixed=[fixed], start=date(2026, 9, 26), end=date(2026, 9, 27),
                   now="2026-09-20 00:00", notice_hours=0, cap=1)
    result = plan(case)
    assert Oracle(case).violations(result.scheduled) == []
    assert list(result.scheduled.values()) == [utc("2026-09-26 14:30")]
    sunday = [slot.start_utc for slot in candidate_slots(case, "akl", "akl2", 60) if slot.start_utc >= utc("2026-09-26 11:00")]
    assert min(sunday) == utc("2026-09-26 14:30")  # 03:30 NZDT
