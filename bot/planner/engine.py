"""Stages two and three of the pipeline on integer minutes: intersect windows, expand slots, score.

Instants become whole minutes after an epoch (00:00 UTC two days before the horizon) so that the
search compares ints. Candidate starts of all requests live in flat ``array`` columns, each
request's run sorted best score first; numpy builds them, the search reads them as Python ints.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np

from bot.planner.calendar import CityCalendar, CityId, open_windows
from bot.planner.problem import FixedSession, MeetingRequest, PlanningProblem

UTC = timezone.utc
DAY_SLOTS = 1 << 12  # day indexes per city in an occupancy key: city * DAY_SLOTS + day


@dataclass(frozen=True)
class MinuteGrid:
    """Minutes after ``epoch_utc``; horizon and notice already in minutes."""

    epoch_utc: datetime
    horizon_start: date
    horizon_start_minute: int
    horizon_minutes: int
    earliest_start_minute: int
    granularity: int

    @classmethod
    def of(cls, problem: PlanningProblem) -> MinuteGrid:
        epoch = datetime.combine(problem.horizon_start - timedelta(days=2), time(0), UTC)
        days = (problem.horizon_end - problem.horizon_start).days + 1
        earliest = problem.now_utc + problem.min_notice
        earliest_minute = -((epoch - earliest) // timedelta(minutes=1))  # ceiling
        return cls(epoch, problem.horizon_start, 2 * 1440, days * 1440, earliest_minute, problem.granularity_minutes)

    def minute(self, instant_utc: datetime) -> int:
        return (instant_utc - self.epoch_utc) // timedelta(minutes=1)

    def instant(self, minute: int) -> datetime:
        return self.epoch_utc + timedelta(minutes=minute)


# A window piece in minutes: (start, end, span_start, span_end, local day index)
Piece = tuple[int, int, int, int, int]


def city_pieces(calendar: CityCalendar, problem: PlanningProblem, clock: MinuteGrid, *, skip_closed_days: bool = True) -> list[Piece]:
    """The city's open windows over the horizon as sorted minute pieces."""
    pieces: list[Piece] = []
    for window in open_windows(calendar, problem.horizon_start, problem.horizon_end, skip_closed_days=skip_closed_days):
        span_start = clock.minute(window.span.start_utc)
        span_end = clock.minute(window.span.end_utc)
        day = (window.local_date - problem.horizon_start).days
        for piece in window.ranges:
            pieces.append((clock.minute(piece.start_utc), clock.minute(piece.end_utc), span_start, span_end, day))
    pieces.sort()
    return pieces


def overlap_pieces(left: Sequence[Piece], right: Sequence[Piece]) -> list[tuple[int, int, Piece, Piece]]:
    """Where two cities' pieces overlap: (start, end, left piece, right piece), by two pointers."""
    result = []
    i = j = 0
    while i < len(left) and j < len(right):
        a, b = left[i], right[j]
        start = a[0] if a[0] > b[0] else b[0]
        end = a[1] if a[1] < b[1] else b[1]
        if start < end:
            result.append((start, end, a, b))
        if a[1] <= b[1]:
            i += 1
        else:
            j += 1
    return result


# A run of one request's candidates on one pair of local days: (day a, day b, first k, end k, best score)
Bucket = tuple[int, int, int, int, float]


@dataclass
class Candidates:
    """Flat candidate columns; request ``r`` owns indexes ``offsets[r]:offsets[r + 1]``.

    Within a request, candidates are grouped into ``buckets`` by their pair of local days (a full
    day rules out a whole bucket with one look), buckets ordered by their best score, candidates in
    a bucket best score first, ties to the earlier start.
    """

    offsets: list[int]
    buckets: list[list[Bucket]]
    start: array  # minute
    day_a: array  # local day index in city a
    day_b: array
    comfort: array
    score: array

    def __len__(self) -> int:
        return len(self.start)

    def by_score(self, request: int) -> list[int]:
        """The request's candidate indexes, best score first (ties: earlier start)."""
        ks = range(self.offsets[request], self.offsets[request + 1])
        return sorted(ks, key=lambda k: (-self.score[k], self.start[k]))


def comfort_of(start: np.ndarray, duration: np.ndarray, span_start: np.ndarray, span_end: np.ndarray) -> np.ndarray:
    """1 in the middle of the window, 0 touching an edge, 1 when the window leaves no slack.

    Window 15:00-17:30, 60 min: slack 90 min; a start at 15:45 sits in the middle (comfort 1),
    15:00 or 16:30 touch an edge (0), 16:00 is 15 of 45 minutes from the middle (2/3).
    """
    slack = (span_end - span_start - duration).astype(np.float64)
    offset = (start - span_start).astype(np.float64)
    safe = np.where(slack > 0, slack, 1.0)
    return np.where(slack > 0, 1.0 - np.abs(2.0 * offset - slack) / safe, 1.0)


def build_candidates(
    problem: PlanningProblem,
    clock: MinuteGrid,
    requests: Sequence[MeetingRequest],
    pieces_of: dict[CityId, list[Piece]],
    *,
    apply_notice: bool = True,
) -> Candidates:
    """Every grid start of every request inside both cities' pieces, scored and sorted best first."""
    # One row per overlap piece: request, first start, last start, both spans, both local days.
    columns: list[list[int]] = [[] for _ in range(9)]
    request_col, lo_col, hi_col, sa0, sa1, sb0, sb1, da, db = columns
    durations: list[int] = []
    earliest = clock.earliest_start_minute if apply_notice else -(1 << 40)
    grid = clock.granularity
    for index, request in enumerate(requests):
        duration = request.duration_minutes
        durations.append(duration)
        for start, end, a, b in overlap_pieces(pieces_of[request.city_a], pieces_of[request.city_b]):
            if start < earliest:
                start = earliest
            first = -(-start // grid) * grid
            if first + duration > end:
                continue
            request_col.append(index)
            lo_col.append(first)
            hi_col.append(end - duration)
            sa0.append(a[2])
            sa1.append(a[3])
            sb0.append(b[2])
            sb1.append(b[3])
            da.append(a[4])
            db.append(b[4])
    objective = problem.objective
    if not request_col:
        return Candidates([0] * (len(requests) + 1), [[] for _ in requests], array("i"), array("i"), array("i"), array("d"), array("d"))
    req = np.asarray(request_col, dtype=np.int64)
    lo = np.asarray(lo_col, dtype=np.int64)
    hi = np.asarray(hi_col, dtype=np.int64)
    counts = (hi - lo) // grid + 1
    owner = np.repeat(np.arange(len(req)), counts)
    first_of_piece = np.cumsum(counts) - counts
    start = lo[owner] + (np.arange(int(counts.sum())) - first_of_piece[owner]) * grid
    request_of = req[owner]
    duration = np.asarray(durations, dtype=np.int64)[request_of]
    comfort = 0.5 * (
        comfort_of(start, duration, np.asarray(sa0)[owner], np.asarray(sa1)[owner])
        + comfort_of(start, duration, np.asarray(sb0)[owner], np.asarray(sb1)[owner])
    )
    earliness = 1.0 - (start - clock.horizon_start_minute) / clock.horizon_minutes
    score = objective.comfort_weight * comfort + objective.earliness_weight * earliness
    day_a = np.asarray(da, dtype=np.int64)[owner]
    day_b = np.asarray(db, dtype=np.int64)[owner]
    # Bucket = (request, day a, day b); rank buckets within a request by their best score.
    bucket_key = (request_of * DAY_SLOTS + day_a) * DAY_SLOTS + day_b
    bucket_keys, bucket_of = np.unique(bucket_key, return_inverse=True)
    bucket_top = np.full(len(bucket_keys), -np.inf)
    np.maximum.at(bucket_top, bucket_of, score)
    bucket_first = np.full(len(bucket_keys), np.iinfo(np.int64).max)
    np.minimum.at(bucket_first, bucket_of, start)
    bucket_request = bucket_keys // (DAY_SLOTS * DAY_SLOTS)
    bucket_rank = np.empty(len(bucket_keys), dtype=np.int64)
    bucket_rank[np.lexsort((bucket_first, -bucket_top, bucket_request))] = np.arange(len(bucket_keys))
    order = np.lexsort((start, -score, bucket_rank[bucket_of]))
    ranked = bucket_rank[bucket_of][order]
    offsets = np.searchsorted(request_of[order], np.arange(len(requests) + 1)).tolist()
    bounds = np.flatnonzero(np.diff(ranked)) + 1
    run_starts = np.concatenate(([0], bounds)).tolist()
    run_ends = np.concatenate((bounds, [len(order)])).tolist()
    sorted_score = score[order]
    sorted_day_a = day_a[order]
    sorted_day_b = day_b[order]
    buckets: list[list[Bucket]] = [[] for _ in requests]
    run_request = request_of[order][run_starts].tolist()
    run_day_a = sorted_day_a[run_starts].tolist()
    run_day_b = sorted_day_b[run_starts].tolist()
    run_top = sorted_score[run_starts].tolist()
    for n, request_index in enumerate(run_request):
        buckets[request_index].append((run_day_a[n], run_day_b[n], run_starts[n], run_ends[n], run_top[n]))
    return Candidates(
        offsets,
        buckets,
        array("i", start[order].astype(np.int32).tobytes()),
        array("i", sorted_day_a.astype(np.int32).tobytes()),
        array("i", sorted_day_b.astype(np.int32).tobytes()),
        array("d", comfort[order].tobytes()),
        array("d", sorted_score.tobytes()),
    )


def local_day_index(zone_name: str, instant_utc: datetime, horizon_start: date) -> int:
    return (instant_utc.astimezone(ZoneInfo(zone_name)).date() - horizon_start).days


class Occupancy:
    """Who uses each city on each local day: lists of (start, end, owner); owner -1 is a fixed session."""

    def __init__(self, caps: Sequence[int]) -> None:
        self.caps = caps
        self.days: dict[int, list[tuple[int, int, int]]] = {}

    def add_fixed(self, problem: PlanningProblem, clock: MinuteGrid, city_index: dict[CityId, int], sessions: Iterable[FixedSession]) -> None:
        for session in sessions:
            start, end = clock.minute(session.start_utc), clock.minute(session.end_utc)
            for city_id in dict.fromkeys(session.city_ids):
                if city_id not in city_index:
                    continue
                day = local_day_index(problem.cities[city_id].tz, session.start_utc, problem.horizon_start)
                if 0 <= day < DAY_SLOTS:
                    self.days.setdefault(city_index[city_id] * DAY_SLOTS + day, []).append((start, end, -1))

    def fits(self, key: int, cap: int, start: int, end: int) -> bool:
        entries = self.days.get(key)
        if not entries:
            return cap > 0
        if len(entries) >= cap:
            return False
        for other_start, other_end, _ in entries:
            if other_start < end and start < other_end:
                return False
        return True

    def blockers(self, key: int, cap: int, start: int, end: int) -> list[frozenset[int]] | None:
        """Sets of owners whose removal makes room; None when a fixed session or a cap of 0 blocks."""
        if cap <= 0:
            return None
        entries = self.days.get(key, ())
        overlapping = [owner for s, e, owner in entries if s < end and start < e]
        if -1 in overlapping:
            return None
        need = len(entries) - len(overlapping) - cap + 1
        base = frozenset(overlapping)
        if need <= 0:
            return [base]
        if need > 1:
            return None
        others = [owner for s, e, owner in entries if not (s < end and start < e) and owner >= 0]
        return [base | {owner} for owner in others]

    def add(self, key: int, start: int, end: int, owner: int) -> None:
        self.days.setdefault(key, []).append((start, end, owner))

    def remove(self, key: int, owner: int) -> None:
        entries = self.days[key]
        for position, entry in enumerate(entries):
            if entry[2] == owner:
                del entries[position]
                return
        raise KeyError(owner)


class _PiecesByCity(dict):  # type: ignore[type-arg]
    """City id -> open pieces, computed on first use (a pair query needs two cities, not all)."""

    def __init__(self, prepared: Prepared) -> None:
        super().__init__()
        self.prepared = prepared

    def __missing__(self, city_id: CityId) -> list[Piece]:
        prepared = self.prepared
        pieces = city_pieces(prepared.problem.cities[city_id], prepared.problem, prepared.clock)
        self[city_id] = pieces
        return pieces


class Prepared:
    """One problem turned into minutes: clock, city indexes, open pieces, caps and fixed occupancy."""

    def __init__(self, problem: PlanningProblem) -> None:
        self.problem = problem
        self.clock = MinuteGrid.of(problem)
        self.city_ids: list[CityId] = list(problem.cities)
        self.city_index = {city_id: index for index, city_id in enumerate(self.city_ids)}
        self.caps = [problem.cap_of(city_id) for city_id in self.city_ids]
        self.pieces = _PiecesByCity(self)
        self._raw_pieces: dict[CityId, list[Piece]] = {}

    def raw_pieces(self, city_id: CityId) -> list[Piece]:
        """The city's pieces with holidays and days away left in (for explanations)."""
        if city_id not in self._raw_pieces:
            self._raw_pieces[city_id] = city_pieces(
                self.problem.cities[city_id], self.problem, self.clock, skip_closed_days=False
            )
        return self._raw_pieces[city_id]

    def occupancy(self, extra_busy: Iterable[FixedSession] = ()) -> Occupancy:
        occupancy = Occupancy(self.caps)
        occupancy.add_fixed(self.problem, self.clock, self.city_index, self.problem.fixed_sessions)
        occupancy.add_fixed(self.problem, self.clock, self.city_index, extra_busy)
        return occupancy

    def keys(self, request: MeetingRequest) -> tuple[int, int]:
        return self.city_index[request.city_a] * DAY_SLOTS, self.city_index[request.city_b] * DAY_SLOTS
