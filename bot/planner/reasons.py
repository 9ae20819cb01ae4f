"""Why a request has no time: peel the causes off one at a time, most basic first."""

from __future__ import annotations

from datetime import timedelta

from bot.planner.calendar import DayKind, day_kind, holiday_name
from bot.planner.engine import DAY_SLOTS, Occupancy, Prepared, build_candidates, overlap_pieces
from bot.planner.problem import ClosedDay, MeetingRequest, NoTimeExplanation, NoTimeReason


def explain_request(prepared: Prepared, request: MeetingRequest, occupancy: Occupancy) -> NoTimeExplanation:
    """The first of: windows never overlap; overlap too short; all before notice; closed days; taken.

    ``occupancy`` holds every other session (fixed ones and the other planned requests).
    """
    problem, clock = prepared.problem, prepared.clock
    raw = {city: prepared.raw_pieces(city) for city in (request.city_a, request.city_b)}
    overlaps = overlap_pieces(raw[request.city_a], raw[request.city_b])
    if not overlaps:
        return NoTimeExplanation(NoTimeReason.WINDOWS_NEVER_OVERLAP, request.id, duration_minutes=request.duration_minutes)
    everything = build_candidates(problem, clock, [request], raw, apply_notice=False)
    if not len(everything):
        longest = max(end - start for start, end, _, _ in overlaps)
        return NoTimeExplanation(
            NoTimeReason.OVERLAP_TOO_SHORT, request.id,
            longest_overlap_minutes=longest, duration_minutes=request.duration_minutes,
        )
    after_notice = build_candidates(problem, clock, [request], raw)
    if not len(after_notice):
        return NoTimeExplanation(
            NoTimeReason.NOT_AFTER_NOTICE, request.id, duration_minutes=request.duration_minutes,
            earliest_start_utc=problem.now_utc + problem.min_notice,
        )
    open_pieces = {city: prepared.pieces[city] for city in (request.city_a, request.city_b)}
    usable = build_candidates(problem, clock, [request], open_pieces)
    if not len(usable):
        closed: dict[ClosedDay, None] = {}
        for k in range(len(after_notice)):
            for city_id, day_index in ((request.city_a, after_notice.day_a[k]), (request.city_b, after_notice.day_b[k])):
                calendar = problem.cities[city_id]
                local_date = problem.horizon_start + timedelta(days=day_index)
                kind = day_kind(calendar, local_date)
                if kind == DayKind.WORKING:
                    continue
                name = holiday_name(calendar, local_date) if kind == DayKind.HOLIDAY else None
                closed[ClosedDay(city_id, local_date, kind, name)] = None
        return NoTimeExplanation(
            NoTimeReason.CLOSED_DAYS, request.id, duration_minutes=request.duration_minutes,
            closed_days=tuple(sorted(closed, key=lambda day: (day.local_date, str(day.city_id)))),
        )
    key_a, key_b = prepared.keys(request)
    cap_a, cap_b = prepared.caps[key_a // DAY_SLOTS], prepared.caps[key_b // DAY_SLOTS]
    blocking: dict[object, None] = {}
    for k in range(len(usable)):
        start = usable.start[k]
        end = start + request.duration_minutes
        if not occupancy.fits(key_a + usable.day_a[k], cap_a, start, end):
            blocking[request.city_a] = None
        if not occupancy.fits(key_b + usable.day_b[k], cap_b, start, end):
            blocking[request.city_b] = None
    return NoTimeExplanation(
        NoTimeReason.ALL_TAKEN, request.id, duration_minutes=request.duration_minutes,
        blocking_city_ids=tuple(blocking),
    )



def reasons_without_slots(prepared: Prepared, requests: list[MeetingRequest]) -> list[NoTimeReason]:
    """``explain_request(...).reason`` for requests that have no slot at all, all at once.

    The same stages as ``explain_request``, but each stage builds the candidates of all these
    requests in one go (public-xl has 719 such requests: one build instead of 719 per stage).
    Such a request is never ALL_TAKEN, so its usable slots need not be looked at.
    """
    problem, clock = prepared.problem, prepared.clock
    raw = {city: prepared.raw_pieces(city) for request in requests for city in (request.city_a, request.city_b)}
    everything = build_candidates(problem, clock, requests, raw, apply_notice=False)
    after_notice = build_candidates(problem, clock, requests, raw)
    reasons = []
    for n, request in enumerate(requests):
        if everything.offsets[n] == everything.offsets[n + 1]:
            overlaps = overlap_pieces(raw[request.city_a], raw[request.city_b])
            reasons.append(NoTimeReason.OVERLAP_TOO_SHORT if overlaps else NoTimeReason.WINDOWS_NEVER_OVERLAP)
        elif after_notice.offsets[n] == after_notice.offsets[n + 1]:
            reasons.append(NoTimeReason.NOT_AFTER_NOTICE)
        else:
            reasons.append(NoTimeReason.CLOSED_DAYS)
    return reasons
