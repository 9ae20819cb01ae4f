"""The two baselines: a plain greedy and OR-Tools CP-SAT, both on the planner's candidate slots.

Both see exactly the slots Tandem's planner sees (same grid, windows, holidays, notice), so the
table compares assignment methods, not slot generation.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from bot.planner.engine import DAY_SLOTS, Prepared, build_candidates
from bot.planner.problem import PlanningProblem

SCORE_SCALE = 1000  # CP-SAT wants integer objective coefficients


def greedy(problem: PlanningProblem) -> dict[str, datetime]:
    """Most-constrained request first (fewest candidate slots), each at its earliest feasible slot."""
    prepared = Prepared(problem)
    candidates = build_candidates(problem, prepared.clock, problem.requests, prepared.pieces)
    occupancy = prepared.occupancy()
    offsets = candidates.offsets
    order = sorted(range(len(problem.requests)), key=lambda r: (offsets[r + 1] - offsets[r], r))
    scheduled: dict[str, datetime] = {}
    for r in order:
        request = problem.requests[r]
        key_a, key_b = prepared.keys(request)
        cap_a, cap_b = prepared.caps[prepared.city_index[request.city_a]], prepared.caps[prepared.city_index[request.city_b]]
        for k in sorted(range(offsets[r], offsets[r + 1]), key=lambda k: candidates.start[k]):
            start = candidates.start[k]
            end = start + request.duration_minutes
            if occupancy.fits(key_a + candidates.day_a[k], cap_a, start, end) and occupancy.fits(
                key_b + candidates.day_b[k], cap_b, start, end
            ):
                occupancy.add(key_a + candidates.day_a[k], start, end, r)
                occupancy.add(key_b + candidates.day_b[k], start, end, r)
                scheduled[request.id] = prepared.clock.instant(start)
                break
    return scheduled


def cpsat(
    problem: PlanningProblem, seconds: float, workers: int = 2, hint: dict[str, datetime] | None = None
) -> tuple[dict[str, datetime], dict[str, Any]]:
    """Two phases, ``seconds`` each: maximize the count; then, count fixed, maximize the score.

    ``hint`` (a greedy plan, for the warm-started variant) seeds the count phase.
    """
    from ortools.sat.python import cp_model

    prepared = Prepared(problem)
    c = build_candidates(problem, prepared.clock, problem.requests, prepared.pieces)
    model = cp_model.CpModel()
    x = [model.NewBoolVar("") for _ in range(len(c))]
    per_city: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    per_day: dict[int, list[int]] = defaultdict(list)
    taken = []
    for r, request in enumerate(problem.requests):
        ks = range(c.offsets[r], c.offsets[r + 1])
        if not ks:
            continue
        model.AddAtMostOne(x[k] for k in ks)
        taken.extend(ks)
        key_a, key_b = prepared.keys(request)
        for k in ks:
            start = c.start[k]
            end = start + request.duration_minutes
            for key, day in ((key_a, c.day_a[k]), (key_b, c.day_b[k])):
                per_city[key].append((start, end, k))
                per_day[key + day].append(k)
    for key, ks in per_day.items():
        cap = prepared.caps[key // DAY_SLOTS]
        if len(ks) > cap:
            model.Add(sum(x[k] for k in ks) <= cap)
    # No overlap: two meetings of a city overlap iff both cover the later one's start, so an
    # at-most-one at every start point of the city is exact (and a strong relaxation).
    for intervals in per_city.values():
        intervals.sort()
        active: list[tuple[int, int]] = []
        points = sorted({start for start, _, _ in intervals})
        position = 0
        for point in points:
            while position < len(intervals) and intervals[position][0] <= point:
                active.append((intervals[position][1], intervals[position][2]))
                position += 1
            active = [(end, k) for end, k in active if end > point]
            if len(active) > 1:
                model.AddAtMostOne(x[k] for _, k in active)
    if hint:
        clock = prepared.clock
        for r, request in enumerate(problem.requests):
            wanted = hint.get(request.id)
            for k in range(c.offsets[r], c.offsets[r + 1]):
                model.AddHint(x[k], wanted is not None and clock.instant(c.start[k]) == wanted)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = 1
    count = sum(x[k] for k in taken)
    model.Maximize(count)
    status = solver.Solve(model)
    info: dict[str, Any] = {"variables": len(c)}
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        info["count_status"] = solver.StatusName(status)
        return {}, info
    best_count = round(solver.ObjectiveValue())
    info["count_status"] = solver.StatusName(status)
    info["count_bound"] = round(solver.BestObjectiveBound())
    info["count_s"] = solver.WallTime()
    first_phase = {k for k in taken if solver.Value(x[k])}
    model.ClearHints()
    for k in taken:
        model.AddHint(x[k], k in first_phase)
    model.Add(count >= best_count)
    model.Maximize(sum(round(SCORE_SCALE * c.score[k]) * x[k] for k in taken))
    status = solver.Solve(model)
    info["score_status"] = solver.StatusName(status)
    info["score_s"] = solver.WallTime()
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        chosen = {k for k in taken if solver.Value(x[k])}
    else:  # no solution within the limit in the score phase: report the count phase's
        chosen = first_phase
    scheduled: dict[str, datetime] = {}
    for r, request in enumerate(problem.requests):
        for k in range(c.offsets[r], c.offsets[r + 1]):
            if k in chosen:
                scheduled[request.id] = prepared.clock.instant(c.start[k])
    return scheduled, info
