"""The planner is pure: no Telegram, no database; and its range algebra behaves."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from bot.planner.ranges import DateRange, intersect, subtract

BASE = datetime(2027, 3, 22, tzinfo=timezone.utc)
MINUTE = timedelta(minutes=1)


def test_planner_imports_neither_telegram_nor_sqlalchemy() -> None:
    code = "import sys, bot.planner, bot.planner.instance; print(sorted(m for m in ('telegram', 'sqlalchemy') if m in sys.modules))"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "[]"


def disjoint_ranges() -> st.SearchStrategy[list[DateRange]]:
    """Sorted, disjoint half-open ranges on whole minutes; neighbours may touch (10:00-11:00, 11:00-12:00)."""

    def build(points: list[int]) -> list[DateRange]:
        ordered = sorted(points)
        pairs = [(a, b) for a, b in zip(ordered[::2], ordered[1::2]) if a < b]
        return [DateRange(BASE + timedelta(minutes=a), BASE + timedelta(minutes=b)) for a, b in pairs]

    return st.lists(st.integers(0, 3000), max_size=20).map(build)


def minutes(ranges: list[DateRange]) -> set[int]:
    """The whole minutes a list of ranges covers: the meaning both sides of each check share."""
    covered: set[int] = set()
    for piece in ranges:
        covered.update(range((piece.start_utc - BASE) // MINUTE, (piece.end_utc - BASE) // MINUTE))
    return covered


def well_formed(ranges: list[DateRange]) -> bool:
    """Sorted, non-empty and disjoint (touching allowed): what ``intersect`` and ``subtract`` accept."""
    return all(not r.is_empty() for r in ranges) and all(a.end_utc <= b.start_utc for a, b in zip(ranges, ranges[1:]))


@given(disjoint_ranges(), disjoint_ranges())
def test_intersection_holds_exactly_the_minutes_in_both(left: list[DateRange], right: list[DateRange]) -> None:
    both = intersect(left, right)
    assert minutes(both) == minutes(left) & minutes(right)  # sound and complete: no minute lost, none added
    assert well_formed(both)
    assert both == intersect(right, left)


@given(disjoint_ranges(), disjoint_ranges(), disjoint_ranges())
def test_intersection_is_associative(a: list[DateRange], b: list[DateRange], c: list[DateRange]) -> None:
    grouped_left, grouped_right = intersect(intersect(a, b), c), intersect(a, intersect(b, c))
    assert minutes(grouped_left) == minutes(grouped_right) == minutes(a) & minutes(b) & minutes(c)


@given(disjoint_ranges(), disjoint_ranges())
def test_subtraction_holds_exactly_the_minutes_not_taken(ranges: list[DateRange], busy: list[DateRange]) -> None:
    free = subtract(ranges, busy)
    assert minutes(free) == minutes(ranges) - minutes(busy)
    assert well_formed(free)

