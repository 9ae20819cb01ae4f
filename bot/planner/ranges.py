"""Half-open UTC ranges and the one place that turns a local wall-clock time into an instant.

Cal.com's pipeline, in Python: rules (wall-clock windows) are expanded one local day at a time in
the city's zone into ``DateRange`` values; those are intersected and subtracted; slots come last.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

UTC = timezone.utc


@dataclass(frozen=True, order=True)
class DateRange:
    """``[start_utc, end_utc)``: the end instant itself is not included."""

    start_utc: datetime
    end_utc: datetime

    def __post_init__(self) -> None:
        if self.end_utc < self.start_utc:
            raise ValueError(f"range ends before it starts: {self.start_utc} > {self.end_utc}")

    @property
    def duration(self) -> timedelta:
        return self.end_utc - self.start_utc

    def is_empty(self) -> bool:
        return self.end_utc == self.start_utc

    def overlaps(self, other: DateRange) -> bool:
        return self.start_utc < other.end_utc and other.start_utc < self.end_utc


def merge(ranges: Iterable[DateRange]) -> list[DateRange]:
    """Sorted, with ranges that touch or overlap joined: one city's windows of two days, 20:00-24:00
    and 00:00-02:00, are one stretch 20:00-02:00."""
    merged: list[DateRange] = []
    for piece in sorted(ranges):
        if merged and piece.start_utc <= merged[-1].end_utc:
            if piece.end_utc > merged[-1].end_utc:
                merged[-1] = DateRange(merged[-1].start_utc, piece.end_utc)
        else:
            merged.append(piece)
    return merged


def intersect(left: Sequence[DateRange], right: Sequence[DateRange]) -> list[DateRange]:
    """Intersection of two sorted, disjoint range lists (two pointers, linear)."""
    result: list[DateRange] = []
    i = j = 0
    while i < len(left) and j < len(right):
        start = max(left[i].start_utc, right[j].start_utc)
        end = min(left[i].end_utc, right[j].end_utc)
        if start < end:
            result.append(DateRange(start, end))
        if left[i].end_utc <= right[j].end_utc:
            i += 1
        else:
            j += 1
    return result


def subtract(ranges: Sequence[DateRange], busy: Iterable[DateRange]) -> list[DateRange]:
    """``ranges`` minus every busy range; both sorted, ``ranges`` disjoint."""
    result = list(ranges)
    for taken in sorted(busy):
        next_result: list[DateRange] = []
        for piece in result:
            if not piece.overlaps(taken):
                next_result.append(piece)
                continue
            if piece.start_utc < taken.start_utc:
                next_result.append(DateRange(piece.start_utc, taken.start_utc))
            if taken.end_utc < piece.end_utc:
                next_result.append(DateRange(taken.end_utc, piece.end_utc))
        result = next_result
    return result


@dataclass(frozen=True)
class _DayClock:
    """How wall-clock times of one local day map to instants: at most one offset change a day."""

    offset_before: timedelta
    offset_after: timedelta
    transition_utc: datetime | None  # naive UTC; None when the offset is the same all day

    def to_utc(self, wall: datetime) -> datetime:
        """The first instant whose wall-clock reading is ``wall`` or later (naive in, naive UTC out).

        Spring forward (Europe/Berlin, 2027-03-28: 02:00 CET becomes 03:00 CEST at 01:00 UTC):
        02:30 does not exist, so it maps to the transition, 01:00 UTC, the first instant that reads
        03:00 - a window 02:30-04:00 is shortened to 03:00-04:00, never moved to 03:30-05:00.
        Fall back (2027-10-31: 03:00 CEST becomes 02:00 CET at 01:00 UTC): 02:30 happens twice and
        maps to its first occurrence, 00:30 UTC.
        """
        if self.transition_utc is None:
            return wall - self.offset_before
        wall_at_transition = self.transition_utc + self.offset_before
        if wall < wall_at_transition:
            return wall - self.offset_before
        if self.offset_after > self.offset_before and wall < self.transition_utc + self.offset_after:
            return self.transition_utc  # inside the gap
        return wall - self.offset_after

    def repeated_utc(self) -> tuple[datetime, datetime] | None:
        """The instants whose wall-clock reading already happened once today (fall back), if any."""
        if self.transition_utc is None or self.offset_after >= self.offset_before:
            return None
        return self.transition_utc, self.transition_utc + (self.offset_before - self.offset_after)


def _offset(zone: ZoneInfo, instant_utc: datetime) -> timedelta:
    offset = instant_utc.replace(tzinfo=UTC).astimezone(zone).utcoffset()
    assert offset is not None
    return offset


@lru_cache(maxsize=65536)
def _day_clock(zone_name: str, day: date) -> _DayClock:
    zone = ZoneInfo(zone_name)
    # Bracket the local day generously in UTC (offsets lie within -12:00..+14:00); assume at most
    # one offset change in these ~2.7 days, which holds for every zone since 1970 that uses DST.
    low = datetime.combine(day, time(0)) - timedelta(hours=16)
    high = datetime.combine(day + timedelta(days=1), time(0)) + timedelta(hours=16)
    before = _offset(zone, low)
    after = _offset(zone, high)
    if before == after:
        return _DayClock(before, before, None)
    # Binary search the second the offset changes (tzdata transitions fall on whole seconds).
    low_s, high_s = 0, int((high - low).total_seconds())
    while high_s - low_s > 1:
        middle_s = (low_s + high_s) // 2
        if _offset(zone, low + timedelta(seconds=middle_s)) == before:
            low_s = middle_s
        else:
            high_s = middle_s
    high = low + timedelta(seconds=high_s)
    # A change belongs to the day whose wall clock it touches: the day of the gap (spring forward)
    # or of the repeated hour (fall back). Santiago falls back at Sunday 00:00 to Saturday 23:00:
    # the repeated hour 23:00-24:00 is Saturday's, although the change happens "at" Sunday 00:00.
    change_day = (high + min(before, after)).date()
    if change_day == day:
        return _DayClock(before, after, high)
    offset = after if change_day < day else before
    return _DayClock(offset, offset, None)


def local_day_bounds(zone_name: str, day: date) -> DateRange:
    """The instants of one local calendar day."""
    clock = _day_clock(zone_name, day)
    start = clock.to_utc(datetime.combine(day, time(0)))
    end = _day_clock(zone_name, day + timedelta(days=1)).to_utc(
        datetime.combine(day + timedelta(days=1), time(0))
    )
    return DateRange(start.replace(tzinfo=UTC), end.replace(tzinfo=UTC))


def wall_window_to_utc(zone_name: str, day: date, start_minute: int, end_minute: int) -> list[DateRange]:
    """The instants of ``day`` whose local reading lies in ``[start_minute, end_minute)``.

    A window cut by a spring-forward gap comes out shorter; a fall-back hour inside it counts once
    (its second occurrence is removed), so the result may be two ranges or none.
    """
    clock = _day_clock(zone_name, day)
    midnight = datetime.combine(day, time(0))
    start = clock.to_utc(midnight + timedelta(minutes=start_minute))
    if end_minute >= 1440:
        next_day = day + timedelta(days=1)
        end = _day_clock(zone_name, next_day).to_utc(datetime.combine(next_day, time(0)))
    else:
        end = clock.to_utc(midnight + timedelta(minutes=end_minute))
    if end <= start:
        return []
    pieces = [DateRange(start.replace(tzinfo=UTC), end.replace(tzinfo=UTC))]
    repeated = clock.repeated_utc()
    if repeated is not None:
        pieces = subtract(pieces, [DateRange(repeated[0].replace(tzinfo=UTC), repeated[1].replace(tzinfo=UTC))])
    return pieces
