"""The chat's questions: a pair's slots, why there are none, alternatives, and weekly overlaps."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from benchmarks.planner.generator import generate
from bot.planner import FixedSession, MeetingRequest, NoTimeReason, plan
from bot.planner.instance import read_instance
from bot.planner.queries import alternatives, candidate_slots, every_alternative, every_explanation, explain, weekly_overlap
from tests.unit.planner.conftest import AUCKLAND, LISBON, LOS_ANGELES, PANJIN, RAVENNA, city, problem, utc


def test_panjin_and_lisbon_meet_only_after_the_eu_clock_change_and_not_on_qingming(panjin_lisbon) -> None:
    # Panjin 13:30-17:30 CST is 05:30-09:30 UTC; Lisbon 09:30-12:30 is 09:30 UTC (WET) until
    # 2027-03-28, then 08:30 UTC (WEST): one common hour, 08:30-09:30 UTC, from Monday 03-29.
    slots = candidate_slots(panjin_lisbon, "panjin", "lisbon", 60)
    starts = sorted(slot.start_utc for slot in slots)
    assert starts[0] == utc("2027-03-29 08:30")
    assert {s.time() for s in starts} == {time(8, 30)}
    assert utc("2027-04-05 08:30") not in starts  # Qingming in Panjin
    assert len(starts) == 9  # 03-29..04-02 and 04-06..04-09


def test_notice_is_measured_from_the_injected_now() -> None:
    later = problem([PANJIN, LISBON], now="2027-03-29 07:00")
    slots = candidate_slots(later, "panjin", "lisbon", 60)
    assert min(slot.start_utc for slot in slots) == utc("2027-03-31 08:30")


def test_slots_are_ranked_by_comfort_then_date() -> None:
    slots = candidate_slots(problem([PANJIN, RAVENNA]), "panjin", "ravenna", 60)
    keys = [(-slot.comfort, slot.start_utc) for slot in slots]
    assert keys == sorted(keys)
    assert slots[0].comfort > slots[-1].comfort


def test_busy_sessions_and_the_daily_cap_remove_slots(panjin_lisbon) -> None:
    day_full = [
        FixedSession(("panjin", "x"), utc("2027-03-29 01:00"), utc("2027-03-29 02:00")),
        FixedSession(("panjin", "y"), utc("2027-03-29 02:00"), utc("2027-03-29 03:00")),
    ]
    starts = {slot.start_utc for slot in candidate_slots(panjin_lisbon, "panjin", "lisbon", 60, busy=day_full)}
    assert utc("2027-03-29 08:30") not in starts
    assert utc("2027-03-30 08:30") in starts


def test_limit_returns_the_best_few(panjin_lisbon) -> None:
    assert len(candidate_slots(panjin_lisbon, "panjin", "lisbon", 60, limit=3)) == 3


@pytest.mark.parametrize(
    ("horizon", "duration", "now", "reason"),
    [
        ((date(2027, 3, 22), date(2027, 3, 27)), 60, "2027-03-20 00:00", NoTimeReason.WINDOWS_NEVER_OVERLAP),
        ((date(2027, 3, 29), date(2027, 4, 2)), 90, "2027-03-20 00:00", NoTimeReason.OVERLAP_TOO_SHORT),
        ((date(2027, 3, 29), date(2027, 3, 30)), 60, "2027-03-29 00:00", NoTimeReason.NOT_AFTER_NOTICE),
        ((date(2027, 4, 5), date(2027, 4, 5)), 60, "2027-03-20 00:00", NoTimeReason.CLOSED_DAYS),
    ],
)
def test_no_time_is_explained(horizon: tuple[date, date], duration: int, now: str, reason: NoTimeReason) -> None:
    request = MeetingRequest("m1", "panjin", "lisbon", duration)
    case = problem([PANJIN, LISBON], start=horizon[0], end=horizon[1], now=now, requests=[request])
    result = plan(case)
    assert result.unscheduled == {"m1": reason}
    assert explain(case, "m1", result).reason is reason


def test_closed_days_name_the_side_and_the_holiday() -> None:
    case = problem([PANJIN, LISBON], start=date(2027, 4, 5), end=date(2027, 4, 5), now="2027-03-20 00:00",
                   requests=[MeetingRequest("m1", "panjin", "lisbon", 60)])
    explanation = explain(case, "m1")
    assert [(d.city_id, d.local_date, d.kind, d.name) for d in explanation.closed_days] == [
        ("panjin", date(2027, 4, 5), "holiday", "Tomb-Sweeping Day")
    ]


def test_a_day_away_is_named_as_such() -> None:
    lisbon_away = city("lisbon", "Europe/Lisbon", "PT", "Mon-Fri 09:30-12:30", away=[date(2027, 4, 6)])
    case = problem([PANJIN, lisbon_away], start=date(2027, 4, 6), end=date(2027, 4, 6), now="2027-03-20 00:00",
                   requests=[MeetingRequest("m1", "panjin", "lisbon", 60)])
    explanation = explain(case, "m1")
    assert explanation.reason is NoTimeReason.CLOSED_DAYS
    assert [(d.city_id, d.kind) for d in explanation.closed_days] == [("lisbon", "away")]


def test_everything_taken_names_the_busy_city() -> None:
    fixed = [FixedSession(("panjin", "x"), utc(f"2027-03-{day} 08:00"), utc(f"2027-03-{day} 09:30")) for day in (29, 30)]
    case = problem([PANJIN, LISBON], start=date(2027, 3, 29), end=date(2027, 3, 30), now="2027-03-20 00:00",
                   requests=[MeetingRequest("m1", "panjin", "lisbon", 60)], fixed=fixed)
    result = plan(case)
    assert result.unscheduled == {"m1": NoTimeReason.ALL_TAKEN}
    assert explain(case, "m1", result).blocking_city_ids == ("panjin",)


def test_alternatives_put_the_planned_slot_first_and_respect_other_meetings() -> None:
    requests = [MeetingRequest("rav", "panjin", "ravenna", 60), MeetingRequest("lis", "panjin", "lisbon", 60)]
    case = problem([PANJIN, LISBON, RAVENNA], requests=requests)
    result = plan(case)
    options = alternatives(case, result, "rav", 5)
    assert options[0].start_utc == result.scheduled["rav"]
    assert len(options) == 5
    lisbon_start = result.scheduled["lis"]
    lisbon_end = lisbon_start + timedelta(minutes=60)
    assert all(not (o.start_utc < lisbon_end and lisbon_start < o.end_utc) for o in options)  # Panjin is busy then


def test_weekly_overlap_of_panjin_and_ravenna_in_panjin_time_before_and_after_the_eu_change() -> None:
    before = weekly_overlap(PANJIN, RAVENNA, date(2027, 3, 22))
    after = weekly_overlap(PANJIN, RAVENNA, date(2027, 4, 5))
    assert before == [(d, time(16), time(17, 30)) for d in range(5)]
    assert after == [(d, time(15), time(17, 30)) for d in range(5)]


def test_auckland_and_los_angeles_lose_an_hour_when_new_zealand_leaves_summer_time() -> None:
    # LA is on PDT since 2027-03-14; Auckland leaves NZDT on 2027-04-04. Auckland's Tuesday to
    # Friday mornings meet LA's Monday to Thursday afternoons: 09:00-13:00, then 09:00-12:00.
    assert weekly_overlap(AUCKLAND, LOS_ANGELES, date(2027, 3, 29)) == [(d, time(9), time(13)) for d in range(1, 5)]
    assert weekly_overlap(AUCKLAND, LOS_ANGELES, date(2027, 4, 5)) == [(d, time(9), time(12)) for d in range(1, 5)]
    assert weekly_overlap(LOS_ANGELES, AUCKLAND, date(2027, 4, 5)) == [(d, time(14), time(17)) for d in range(0, 4)]


def test_an_overlap_that_ends_when_lisbon_falls_back_ends_on_the_summer_clock() -> None:
    # 31 October 2027, 01:00 UTC: Lisbon's 02:00 WEST becomes 01:00 WET. Shanghai's Sunday 01:30-09:30
    # is Saturday 17:30 - Sunday 01:30 UTC; Lisbon's day keeps the first pass of 01:00-02:00 only, so
    # the overlap runs to the instant the clocks go back, which Lisbon read as 02:00 until then.
    lisbon = city("lis", "Europe/Lisbon", None, "Mon-Sun 00:00-24:00")
    shanghai = city("sha", "Asia/Shanghai", None, "Sun 01:30-09:30")
    assert weekly_overlap(lisbon, shanghai, date(2027, 10, 25)) == [(5, time(18, 30), time(0)), (6, time(0), time(2))]
    # The week of 22 March: Lisbon springs forward on Sunday 28 March at 01:00 UTC (01:00 WET is 02:00
    # WEST). Shanghai's Sunday 08:00-09:00 ends then: on the clock that ran up to it, at 01:00.
    shanghai = city("sha", "Asia/Shanghai", None, "Sun 08:00-09:00")
    assert weekly_overlap(lisbon, shanghai, date(2027, 3, 22)) == [(6, time(0), time(1))]


def test_a_partners_windows_that_touch_at_its_midnight_overlap_as_one() -> None:
    # Kathmandu's Monday 20:00-24:00 and Tuesday 00:00-02:00 (UTC+5:45) are Lisbon's (WEST) Monday 15:15-21:15.
    lisbon = city("lis", "Europe/Lisbon", None, "Mon 09:00-24:00")
    kathmandu = city("ktm", "Asia/Kathmandu", None, "Mon 20:00-24:00; Tue 00:00-02:00")
    assert weekly_overlap(lisbon, kathmandu, date(2027, 6, 7)) == [(0, time(15, 15), time(21, 15))]


def test_kolkata_and_kathmandu_slots_sit_on_the_utc_grid() -> None:
    kolkata = city("pune", "Asia/Kolkata", "IN", "Mon-Fri 09:00-12:00")
    kathmandu = city("pokhara", "Asia/Kathmandu", "NP", "Mon-Fri 09:00-12:00")
    slots = candidate_slots(problem([kolkata, kathmandu]), "pune", "pokhara", 60)
    assert slots and all(s.start_utc.minute % 15 == 0 for s in slots)
    # Kolkata 09:00-12:00 = 03:30-06:30 UTC; Kathmandu = 03:15-06:15 UTC; 60 min fit 03:30-05:15.
    assert {s.start_utc.time() for s in slots} == {time(3, 30), time(3, 45), time(4), time(4, 15), time(4, 30), time(4, 45), time(5), time(5, 15)}


@pytest.mark.parametrize(("size", "seed"), [("small", 1), ("medium", 1)])
def test_every_alternative_and_every_explanation_answer_as_the_one_request_queries_do(size: str, seed: int) -> None:
    """The planning run's batched queries give exactly what asking request by request gives."""
    problem = read_instance(generate(size, seed))
    result = plan(problem)
    assert result.scheduled and len(result.scheduled) < len(problem.requests)  # both kinds to compare
    batched = every_alternative(problem, result, 5)
    assert batched == {r: alternatives(problem, result, r, 5) for r in result.scheduled}
    explained = every_explanation(problem, result)
    assert explained == {r.id: explain(problem, r.id, result) for r in problem.requests if r.id not in result.scheduled}
