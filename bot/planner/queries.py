"""What the chat asks the planner: a pair's best slots, alternatives to a plan, why not, overlaps."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain import InvalidInputError
from bot.planner.calendar import CityCalendar, CityId, open_windows
from bot.planner.engine import DAY_SLOTS, Occupancy, Prepared, build_candidates, local_day_index
from bot.planner.problem import (
    FixedSession,
    MeetingRequest,
    NoTimeExplanation,
    PlanningProblem,
    PlanResult,
    RequestId,
    Slot,
)
from bot.planner.ranges import UTC, intersect, merge
from bot.planner.reasons import explain_request

_QUERY_ID = "pair-query"


def candidate_slots(
    problem: PlanningProblem,
    city_a_id: CityId,
    city_b_id: CityId,
    duration_minutes: int,
    busy: Iterable[FixedSession] = (),
    limit: int | None = None,
) -> list[Slot]:
    """Free slots for two cities, most comfortable first, then earliest.

    ``busy`` adds sessions to the problem's fixed ones; both occupy time and count toward the caps.
    """
    request = MeetingRequest(_QUERY_ID, city_a_id, city_b_id, duration_minutes)
    return _free_slots(problem, request, busy, limit)


def _free_slots(
    problem: PlanningProblem, request: MeetingRequest, busy: Iterable[FixedSession], limit: int | None
) -> list[Slot]:
    for city_id in (request.city_a, request.city_b):
        if city_id not in problem.cities:
            raise InvalidInputError(f"unknown city {city_id!r}")
    prepared = Prepared(problem)
    return _free_in(prepared, request, prepared.occupancy(busy), limit)


def _free_in(prepared: Prepared, request: MeetingRequest, occupancy: Occupancy, limit: int | None) -> list[Slot]:
    problem = prepared.problem
    candidates = build_candidates(problem, prepared.clock, [request], prepared.pieces)
    key_a, key_b = prepared.keys(request)
    cap_a, cap_b = problem.cap_of(request.city_a), problem.cap_of(request.city_b)
    free = []
    for k in range(len(candidates)):
        start = candidates.start[k]
        end = start + request.duration_minutes
        if occupancy.fits(key_a + candidates.day_a[k], cap_a, start, end) and occupancy.fits(
            key_b + candidates.day_b[k], cap_b, start, end
        ):
            free.append((-candidates.comfort[k], start))
    free.sort()
    clock = prepared.clock
    chosen = free if limit is None else free[:limit]
    return [
        Slot(clock.instant(start), clock.instant(start + request.duration_minutes), -negative_comfort)
        for negative_comfort, start in chosen
    ]


def _other_sessions(problem: PlanningProblem, result: PlanResult, request_id: RequestId) -> list[FixedSession]:
    sessions = []
    for request in problem.requests:
        start = result.scheduled.get(request.id)
        if start is not None and request.id != request_id:
            end = start + timedelta(minutes=request.duration_minutes)
            sessions.append(FixedSession((request.city_a, request.city_b), start, end))
    return sessions


def alternatives(problem: PlanningProblem, result: PlanResult, request_id: RequestId, k: int) -> list[Slot]:
    """The ``k`` best slots for one request with every other planned meeting kept; the planned one first."""
    request = problem.request(request_id)
    slots = _free_slots(problem, request, _other_sessions(problem, result, request_id), None)
    planned = result.scheduled.get(request_id)
    if planned is not None:
        slots.sort(key=lambda slot: slot.start_utc != planned)  # stable: the rest keep their rank
    return slots[:k]


def every_alternative(problem: PlanningProblem, result: PlanResult, k: int) -> dict[RequestId, list[Slot]]:
    """``alternatives(problem, result, r, k)`` for every planned request ``r``, in one pass.

    The same answers, without rebuilding the minute grid, each city's open pieces and the
    occupancy of all other meetings once per request (which made a run over 450 matches spend
    seconds here): one occupancy holds every planned meeting, and each request's own two entries
    are taken out while its free slots are listed.
    """
    prepared = Prepared(problem)
    occupancy = prepared.occupancy()
    own: dict[RequestId, list[tuple[int, int, int, int]]] = {}  # (day key, start, end, owner) of each planned meeting
    planned = [request for request in problem.requests if request.id in result.scheduled]
    for owner, request in enumerate(planned):
        own[request.id] = [(key, start, end, owner) for key, start, end in _entries(prepared, request, result.scheduled[request.id])]
        for key, start, end, _ in own[request.id]:
            occupancy.add(key, start, end, owner)
    found = {}
    for request in planned:
        for key, _, _, owner in own[request.id]:
            occupancy.remove(key, owner)
        slots = _free_in(prepared, request, occupancy, None)
        for key, start, end, owner in own[request.id]:
            occupancy.add(key, start, end, owner)
        chosen = result.scheduled[request.id]  # first; the rest keep their rank
        found[request.id] = ([slot for slot in slots if slot.start_utc == chosen] + [slot for slot in slots if slot.start_utc != chosen])[:k]
    return found


def every_explanation(problem: PlanningProblem, result: PlanResult) -> dict[RequestId, NoTimeExplanation]:
    """``explain(problem, r, result)`` for every request ``r`` the plan left out, sharing one occupancy."""
    prepared = Prepared(problem)
    occupancy = prepared.occupancy(_other_sessions(problem, result, _QUERY_ID))  # every planned meeting
    return {
        request.id: explain_request(prepared, request, occupancy)
        for request in problem.requests
        if request.id not in result.scheduled
    }


def _entries(prepared: Prepared, request: MeetingRequest, start_utc: datetime) -> list[tuple[int, int, int]]:
    """(day key, start, end) of a meeting at ``start_utc`` in each of its cities, as ``Occupancy.add_fixed`` files it."""
    problem, clock = prepared.problem, prepared.clock
    start = clock.minute(start_utc)
    end = start + request.duration_minutes
    entries = []
    for city_id in dict.fromkeys((request.city_a, request.city_b)):
        day = local_day_index(problem.cities[city_id].tz, start_utc, problem.horizon_start)
        if 0 <= day < DAY_SLOTS:
            entries.append((prepared.city_index[city_id] * DAY_SLOTS + day, start, end))
    return entries


def explain(problem: PlanningProblem, request_id: RequestId, result: PlanResult | None = None) -> NoTimeExplanation:
    """Why ``request_id`` has no time, given the other meetings of ``result`` (if any)."""
    request = problem.request(request_id)
    if result is not None and request_id in result.scheduled:
        raise InvalidInputError(f"request {request_id!r} is planned; there is nothing to explain")
    prepared = Prepared(problem)
    occupancy = prepared.occupancy(_other_sessions(problem, result, request_id) if result else ())
    return explain_request(prepared, request, occupancy)


def weekly_overlap(
    city_a: CityCalendar, city_b: CityCalendar, week_start: date
) -> list[tuple[int, time, time]]:
    """Where the two cities' usual hours overlap in the week from ``week_start``, in city A's time.

    Holidays and days away are ignored (this describes a usual week); DST is not: pick the week
    you mean. An overlap that runs to A's midnight ends at ``time(0)``. Example: Panjin 13:30-17:30
    with Ravenna 09:00-13:00 in a summer week gives (weekday, 15:00, 17:30) in Panjin's time.
    """
    zone = ZoneInfo(city_a.tz)
    week_end = week_start + timedelta(days=6)
    a_windows = open_windows(city_a, week_start, week_end, skip_closed_days=False)
    b_ranges = merge(  # B's windows of two days that touch at B's midnight overlap A's as one stretch
        piece
        for window in open_windows(city_b, week_start - timedelta(days=1), week_end + timedelta(days=1), skip_closed_days=False)
        for piece in window.ranges
    )
    result = []
    for window in a_windows:
        for overlap in intersect(list(window.ranges), b_ranges):
            result.append((window.local_date.weekday(), _local_time(overlap.start_utc, zone), _local_end(overlap.end_utc, zone)))
    return result


def _local_time(instant_utc: datetime, zone: ZoneInfo) -> time:
    local = instant_utc.astimezone(zone)
    return time(local.hour, local.minute)


def _local_end(instant_utc: datetime, zone: ZoneInfo) -> time:
    """The wall-clock reading of a range's (exclusive) end, on the clock that ran up to it.

    Where a clock changes at the end, the end's own reading belongs to what follows. Lisbon falls
    back at 01:00 UTC on 31 October 2027 (02:00 WEST becomes 01:00 WET): a range of A's first pass
    that ends there ends at 02:00, not at 01:00 - the repeated hour's second pass, which A's day
    leaves out. Lisbon springs forward at 01:00 UTC on 28 March 2027 (01:00 WET becomes 02:00 WEST):
    a range that ends there ends at 01:00 (A's window 00:00-01:30 that day is 00:00-01:00 UTC, and
    overlaps a partner there all night as 00:00-01:00, not 00:00-02:00), so the skipped 01:00-02:00
    is part of an overlap only when it runs across the jump.
    """
    offset = (instant_utc - timedelta(seconds=1)).astimezone(zone).utcoffset()
    assert offset is not None
    local = instant_utc.astimezone(UTC) + offset
    return time(local.hour, local.minute)
