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
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

from bot.planner.calendar import CityCalendar, CityId, open_days
from bot.planner.problem import FixedSession, MeetingRequest, PlanningProblem
from bot.planner.ranges import wall_window_to_utc

UTC = timezone.utc
MINUTE = timedelta(minutes=1)
_TICK = timedelta(microseconds=1)
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


_UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@lru_cache(maxsize=1 << 16)
def _window_minutes(zone_name: str, day: date, start_minute: int, end_minute: int) -> tuple[tuple[int, int], ...]:
    """``wall_window_to_utc`` in minutes since 1970: cities of one zone share most windows."""
    return tuple(
        ((piece.start_utc - _UNIX_EPOCH) // MINUTE, (piece.end_utc - _UNIX_EPOCH) // MINUTE)
        for piece in wall_window_to_utc(zone_name, day, start_minute, end_minute)
    )


def city_pieces(calendar: CityCalendar, problem: PlanningProblem, clock: MinuteGrid, *, skip_closed_days: bool = True) -> list[Piece]:
    """The city's open windows over the horizon as sorted minute pieces."""
    pieces: list[Piece] = []
    shift = (clock.epoch_utc - _UNIX_EPOCH) // MINUTE
    for day, windows in open_days(calendar, problem.horizon_start, problem.horizon_end, skip_closed_days=skip_closed_days):
        day_index = (day - problem.horizon_start).days
        for start_minute, end_minute in windows:
            parts = _window_minutes(calendar.tz, day, start_minute, end_minute)
            if parts:
                span_start, span_end = parts[0][0] - shift, parts[-1][1] - shift
                for start, end in parts:
                    pieces.append((start - shift, end - shift, span_start, span_end, day_index))
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


def _descending_key(group: np.ndarray, value: np.ndarray) -> np.ndarray:
    """An int64 key that sorts by ``group`` ascending, then ``value`` descending.

    ``value`` is scaled onto 2**k levels, k as large as the group count allows (about 2**42 for a
    million groups), so values that differ by less than a 4,000-billionth of their range tie; a
    stable sort then keeps such ties in their current order.
    """
    if not len(value):
        return group
    low, high = float(value.min()), float(value.max())
    bits = 62 - max(int(group.max()), 1).bit_length()
    levels = (1 << bits) - 1
    scaled = np.zeros(len(value), dtype=np.int64) if high == low else ((high - value) * (levels / (high - low))).astype(np.int64)
    return group * (levels + 1) + np.minimum(scaled, levels)


def _overlap_rows(
    requests: Sequence[MeetingRequest], pieces_of: dict[CityId, list[Piece]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every pair of overlapping pieces of every request: (request index, piece of a, piece of b, pieces).

    Vectorized form of ``overlap_pieces``: all pieces go into one array, city by city, keyed by
    ``city * span + minute`` so that each city's pieces form a sorted run. For a piece of city a
    (start 600, end 720), the overlapping pieces of city b are those from the first whose end is
    after 600 to the last whose start is before 720: two binary searches, no Python loop.
    """
    cities = list(dict.fromkeys(city for request in requests for city in (request.city_a, request.city_b)))
    position = {city: n for n, city in enumerate(cities)}
    counts = np.array([len(pieces_of[city]) for city in cities], dtype=np.int64)
    rows = [piece for city in cities for piece in pieces_of[city]]
    pieces = np.array(rows, dtype=np.int64).reshape(-1, 5)
    empty = np.zeros(0, dtype=np.int64)
    if not len(pieces):
        return empty, empty, empty, pieces
    first = np.zeros(len(cities) + 1, dtype=np.int64)
    np.cumsum(counts, out=first[1:])
    low = int(pieces[:, 0].min())
    span = int(pieces[:, 1].max()) - low + 1
    owner = np.repeat(np.arange(len(cities), dtype=np.int64), counts)
    key_start = owner * span + (pieces[:, 0] - low)
    key_end = owner * span + (pieces[:, 1] - low)
    city_a = np.array([position[request.city_a] for request in requests], dtype=np.int64)
    city_b = np.array([position[request.city_b] for request in requests], dtype=np.int64)
    # One row per (request, piece of a).
    per_request = counts[city_a]
    request_of = np.repeat(np.arange(len(requests), dtype=np.int64), per_request)
    run_start = np.cumsum(per_request) - per_request
    piece_a = first[city_a][request_of] + np.arange(len(request_of), dtype=np.int64) - run_start[request_of]
    base_b = city_b[request_of] * span
    lo = np.searchsorted(key_end, base_b + pieces[piece_a, 0] - low, side="right")
    hi = np.searchsorted(key_start, base_b + pieces[piece_a, 1] - low, side="left")
    matches = np.maximum(hi - lo, 0)
    # One row per overlapping (piece of a, piece of b).
    row_of = np.repeat(np.arange(len(piece_a), dtype=np.int64), matches)
    match_start = np.cumsum(matches) - matches
    piece_b = lo[row_of] + np.arange(len(row_of), dtype=np.int64) - match_start[row_of]
    return request_of[row_of], piece_a[row_of], piece_b, pieces


def build_candidates(
    problem: PlanningProblem,
    clock: MinuteGrid,
    requests: Sequence[MeetingRequest],
    pieces_of: dict[CityId, list[Piece]],
    *,
    apply_notice: bool = True,
) -> Candidates:
    """Every grid start of every request inside both cities' pieces, scored and sorted best first."""
    earliest = clock.earliest_start_minute if apply_notice else -(1 << 40)
    grid = clock.granularity
    durations = np.array([request.duration_minutes for request in requests], dtype=np.int64)
    request_col = np.zeros(0, dtype=np.int64)
    if requests:
        found = _overlap_rows(requests, pieces_of)
        if len(found[0]):
            request_col, piece_a, piece_b, pieces = found
            start = np.maximum(np.maximum(pieces[piece_a, 0], pieces[piece_b, 0]), earliest)
            end = np.minimum(pieces[piece_a, 1], pieces[piece_b, 1])
            first = -(-start // grid) * grid
            last = end - durations[request_col]
            keep = first <= last
            request_col, piece_a, piece_b = request_col[keep], piece_a[keep], piece_b[keep]
            lo_col, hi_col = first[keep], last[keep]
    if not len(request_col):
        return Candidates([0] * (len(requests) + 1), [[] for _ in requests], array("i"), array("i"), array("i"), array("d"), array("d"))
    counts = (hi_col - lo_col) // grid + 1
    owner = np.repeat(np.arange(len(request_col)), counts)
    first_of_piece = np.cumsum(counts) - counts
    start = lo_col[owner] + (np.arange(int(counts.sum())) - first_of_piece[owner]) * grid
    request_of = request_col[owner]
    duration = durations[request_of]
    piece_a, piece_b = piece_a[owner], piece_b[owner]
    comfort = 0.5 * (
        comfort_of(start, duration, pieces[piece_a, 2], pieces[piece_a, 3])
        + comfort_of(start, duration, pieces[piece_b, 2], pieces[piece_b, 3])
    )
    earliness = 1.0 - (start - clock.horizon_start_minute) / clock.horizon_minutes
    objective = problem.objective
    score = objective.comfort_weight * comfort + objective.earliness_weight * earliness
    day_a = pieces[piece_a, 4]
    day_b = pieces[piece_b, 4]
    # Rows come out request by request in time order (pieces are sorted, so are their overlaps),
    # so a bucket - one request on one pair of local days - is a contiguous run already.
    bucket_key = (request_of * DAY_SLOTS + day_a) * DAY_SLOTS + day_b
    run_first = np.flatnonzero(np.concatenate(([True], bucket_key[1:] != bucket_key[:-1])))
    run_of = np.cumsum(np.concatenate(([0], (bucket_key[1:] != bucket_key[:-1]).astype(np.int64))))
    # Inside a run: best score first, ties to the earlier start (the stable sort keeps time order).
    within = np.argsort(_descending_key(run_of, score), kind="stable")
    run_top = score[within[run_first]]
    run_request = request_of[run_first]
    # Runs of one request: best top first, ties to the earlier run (again kept by stability).
    run_order = np.argsort(_descending_key(run_request, run_top), kind="stable")
    run_length = np.diff(np.append(run_first, len(start)))
    lengths = run_length[run_order]
    new_first = np.cumsum(lengths) - lengths
    source = np.repeat(run_first[run_order] - new_first, lengths) + np.arange(len(start))
    order = within[source]
    offsets = np.searchsorted(request_of[order], np.arange(len(requests) + 1)).tolist()
    run_starts = new_first.tolist()
    run_ends = (new_first + lengths).tolist()
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
    """Who uses each city on each local day: lists of (start, end, owner); owner -1 is a fixed session.

    A meeting is filed under the local day it starts, where it takes one of the day's ``caps``
    seats. A fixed session may run past local midnight (Sydney 23:45-00:45) or start before the
    horizon: the part on another local day is that day's ``overhang``, which blocks the day's
    slots it overlaps without taking a seat (the cap counts meetings by their start day).
    Planned meetings never cross local midnight (they lie inside one day's window).
    """

    def __init__(self, caps: Sequence[int]) -> None:
        self.caps = caps
        self.days: dict[int, list[tuple[int, int, int]]] = {}
        self.overhang: dict[int, list[tuple[int, int]]] = {}

    def add_fixed(self, problem: PlanningProblem, clock: MinuteGrid, city_index: dict[CityId, int], sessions: Iterable[FixedSession]) -> None:
        horizon_days = min((problem.horizon_end - problem.horizon_start).days + 1, DAY_SLOTS)
        for session in sessions:
            start, end = clock.minute(session.start_utc), clock.minute(session.end_utc)
            last_instant = max(session.end_utc - _TICK, session.start_utc)  # an end at 00:00 is not on the next day
            for city_id in dict.fromkeys(session.city_ids):
                if city_id not in city_index:
                    continue
                zone = problem.cities[city_id].tz
                base = city_index[city_id] * DAY_SLOTS
                day = local_day_index(zone, session.start_utc, problem.horizon_start)
                if 0 <= day < DAY_SLOTS:
                    self.days.setdefault(base + day, []).append((start, end, -1))
                last_day = local_day_index(zone, last_instant, problem.horizon_start)
                for other_day in range(max(day + 1, 0), min(last_day + 1, horizon_days)):
                    self.overhang.setdefault(base + other_day, []).append((start, end))

    def overhangs(self, key: int, start: int, end: int) -> bool:
        """Whether a fixed session from another local day overlaps ``[start, end)`` on this day."""
        hanging = self.overhang.get(key)
        if not hanging:
            return False
        return any(s < end and start < e for s, e in hanging)

    def fits(self, key: int, cap: int, start: int, end: int) -> bool:
        if self.overhang and self.overhangs(key, start, end):
            return False
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
        if cap <= 0 or (self.overhang and self.overhangs(key, start, end)):
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
