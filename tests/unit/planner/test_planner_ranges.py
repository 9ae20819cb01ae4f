"""The planner's range algebra behaves (that the planner is pure is an import-linter contract)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from bot.planner.ranges import DateRange, intersect

BASE = datetime(2027, 3, 22, tzinfo=timezone.utc)


def disjoint_ranges() -> st.SearchStrategy[list[DateRange]]:
    def build(points: list[int]) -> list[DateRange]:
        ordered = sorted(set(points))
        return [DateRange(BASE + timedelta(minutes=a), BASE + timedelta(minutes=b)) for a, b in zip(ordered[::2], ordered[1::2])]

    return st.lists(st.integers(0, 5000), max_size=20).map(build)


@given(disjoint_ranges(), disjoint_ranges())
def test_intersection_is_commutative_and_inside_both(left: list[DateRange], right: list[DateRange]) -> None:
    both = intersect(left, right)
    assert both == intersect(right, left)
    for piece in both:
        assert any(r.start_utc <= piece.start_utc and piece.end_utc <= r.end_utc for r in left)
        assert any(r.start_utc <= piece.start_utc and piece.end_utc <= r.end_utc for r in right)
