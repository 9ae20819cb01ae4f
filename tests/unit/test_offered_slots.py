"""Coordinators are offered real alternatives: the planner's choice, then other days."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bot.planner import Slot
from bot.planner.proposals import distinct_days

WED = datetime(2027, 3, 31, 8, 0, tzinfo=timezone.utc)


def slot(start: datetime, comfort: float) -> Slot:
    return Slot(start, start + timedelta(hours=1), comfort)


def test_the_first_slot_stays_first_and_the_others_come_from_other_days() -> None:
    ranked = [
        slot(WED, 0.9),
        slot(WED + timedelta(minutes=15), 0.85),
        slot(WED + timedelta(minutes=30), 0.8),
        slot(WED - timedelta(days=1), 0.7),
        slot(WED + timedelta(days=1), 0.6),
    ]
    assert [s.start_utc for s in distinct_days(ranked, 3)] == [WED, WED - timedelta(days=1), WED + timedelta(days=1)]


def test_same_day_slots_fill_in_when_there_are_not_enough_days() -> None:
    ranked = [slot(WED, 0.9), slot(WED + timedelta(minutes=15), 0.85), slot(WED + timedelta(days=2), 0.5)]
    assert [s.start_utc for s in distinct_days(ranked, 3)] == [WED, WED + timedelta(days=2), WED + timedelta(minutes=15)]
    assert distinct_days([], 3) == []
