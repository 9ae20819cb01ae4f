"""The baselines: plain and LP-guided greedies, and OR-Tools CP-SAT seeded with the better of them.

All see exactly the slots Tandem's planner sees (same grid, windows, holidays, notice), so the
table compares assignment methods, not slot generation.

The CP-SAT model is the one the shared folder's README describes for its reference figures, so
that "ahead of CP-SAT" means something: one boolean per request and feasible start; per city, at
most one meeting in each maximal clique of overlapping candidate intervals, and the daily cap as
a linear constraint; maximize the count, then (only where the count is proven optimal) the score
with the count fixed; hinted with the better of the plain greedy and the greedy guided by the LP
relaxation. The relaxation here is the city-level b-matching LP, solved exactly as a maximum flow
(``bot.planner.selection``); its value is a proven upper bound on the count, reported beside
CP-SAT's own bound.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from bot.planner.engine import DAY_SLOTS, Candidates, Prepared, build_candidates
from bot.planner.problem import PlanningProblem
from bot.planner.selection import fractional_b_matching
from bot.planner.solver import Search, _capacities

SCORE_SCALE = 1000  # CP-SAT wants integer objective coefficients


def _setup(problem: PlanningProblem) -> tuple[Prepared, Candidates]:
    prepared = Prepared(problem)
    return prepared, build_candidates(problem, prepared.clock, problem.requests, prepared.pieces)


def lp_relaxation(prepared: Prepared, candidates: Candidates) -> tuple[list[float], float]:
    """The city-level b-matching LP: x per request and the bound (see ``bot.planner.selection``)."""
    search = Search.of(prepared, candidates, prepared.occupancy())
    offsets = candidates.offsets
    edges = [
        (search.keys_a[r] // DAY_SLOTS, search.keys_b[r] // DAY_SLOTS) if offsets[r] < offsets[r + 1] else None
        for r in range(len(offsets) - 1)
    ]
    return fractional_b_matching(len(prepared.city_ids), _capacities(prepared, search), edges)


def _earliest_first(prepared: Prepared, candidates: Candidates, order: list[int]) -> dict[int, int]:
    """Each request in ``order`` at its earliest feasible slot: request index -> candidate index."""
    search = Search.of(prepared, candidates, prepared.occupancy())
    c = candidates
    chosen: dict[int, int] = {}
    for r in order:
        for k in sorted(range(c.offsets[r], c.offsets[r + 1]), key=c.start.__getitem__):
            if search.fits(r, k):
                search.assign(r, k)
                chosen[r] = k
                break
    return chosen


def _fewest_first(candidates: Candidates) -> list[int]:
    offsets = candidates.offsets
    return sorted(range(len(offsets) - 1), key=lambda r: (offsets[r + 1] - offsets[r], r))


def _as_starts(problem: PlanningProblem, prepared: Prepared, candidates: Candidates, chosen: dict[int, int]) -> dict[str, datetime]:
    return {problem.requests[r].id: prepared.clock.instant(candidates.start[k]) for r, k in chosen.items()}


def greedy(problem: PlanningProblem) -> dict[str, datetime]:
    """Most-constrained request first (fewest candidate slots), each at its earliest feasible slot."""
    prepared, candidates = _setup(problem)
    return _as_starts(problem, prepared, candidates, _earliest_first(prepared, candidates, _fewest_first(candidates)))


def lp_greedy(problem: PlanningProblem) -> dict[str, datetime]:
    """The greedy, with the requests the LP relaxation keeps (x = 1, then 1/2) first."""
    prepared, candidates = _setup(problem)
    x, _ = lp_relaxation(prepared, candidates)
    order = sorted(_fewest_first(candidates), key=lambda r: -x[r])
    return _as_starts(problem, prepared, candidates, _earliest_first(prepared, candidates, order))


def cpsat(problem: PlanningProblem, seconds: float, workers: int = 2) -> tuple[dict[str, datetime], dict[str, Any]]:
    """Count phase of ``seconds``, then (count proven optimal) a score phase of ``seconds``."""
    from ortools.sat.python import cp_model

    prepared, c = _setup(problem)
    x_lp, lp_bound = lp_relaxation(prepared, c)
    fewest = _fewest_first(c)
    hints = [
        _earliest_first(prepared, c, fewest),
        _earliest_first(prepared, c, sorted(fewest, key=lambda r: -x_lp[r])),
    ]
    hint = max(hints, key=len)
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
    cliques = 0
    for intervals in per_city.values():
        for clique in maximal_cliques(intervals):
            if len(clique) > 1:
                model.AddAtMostOne(x[k] for k in clique)
                cliques += 1
    for r in range(len(problem.requests)):
        for k in range(c.offsets[r], c.offsets[r + 1]):
            model.AddHint(x[k], hint.get(r) == k)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = 1
    count = sum(x[k] for k in taken)
    model.Maximize(count)
    status = solver.Solve(model)
    info: dict[str, Any] = {
        "variables": len(c), "cliques": cliques, "hint_count": len(hint), "lp_bound": lp_bound,
        "count_status": solver.StatusName(status),
    }
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return _as_starts(problem, prepared, c, hint), info
    info["count_bound"] = int(round(solver.BestObjectiveBound()))
    info["count_s"] = round(solver.WallTime(), 1)
    chosen = {r: k for r in range(len(problem.requests)) for k in range(c.offsets[r], c.offsets[r + 1]) if solver.Value(x[k])}
    if status == cp_model.OPTIMAL:
        model.ClearHints()
        for k in taken:
            model.AddHint(x[k], bool(solver.Value(x[k])))
        model.Add(count >= len(chosen))
        model.Maximize(sum(round(SCORE_SCALE * c.score[k]) * x[k] for k in taken))
        status = solver.Solve(model)
        info["score_status"] = solver.StatusName(status)
        info["score_s"] = round(solver.WallTime(), 1)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            chosen = {r: k for r in range(len(problem.requests)) for k in range(c.offsets[r], c.offsets[r + 1]) if solver.Value(x[k])}
    return _as_starts(problem, prepared, c, chosen), info


def maximal_cliques(intervals: list[tuple[int, int, int]]) -> list[list[int]]:
    """The maximal sets of pairwise overlapping intervals ``(start, end, id)``, half-open.

    Intervals overlap pairwise iff they all contain the latest start among them, so each maximal
    clique is the set of intervals that contain some start point p, taken at a p after which an
    interval ends before the next one starts: starts 0, 15, 30 with ends 60, 75, 90 give one
    clique at p = 30; with ends 20, 75, 90 they give {0-20, 15-75} at 15 and {15-75, 30-90} at 30.
    """
    ordered = sorted(intervals)
    cliques: list[list[int]] = []
    active: list[tuple[int, int]] = []  # (end, id)
    position = 0
    while position < len(ordered):
        point = ordered[position][0]
        while position < len(ordered) and ordered[position][0] == point:
            active.append((ordered[position][1], ordered[position][2]))
            position += 1
        active = [(end, k) for end, k in active if end > point]
        next_start = ordered[position][0] if position < len(ordered) else None
        if next_start is None or min(end for end, _ in active) <= next_start:
            cliques.append([k for _, k in active])
    return cliques
