"""Run one solver on one instance in a fresh process: ``python -m benchmarks.planner.worker SOLVER IN OUT [SECONDS]``.

SOLVER is tandem, greedy, lp-greedy or cpsat (2 workers; cpsat-1 for one).

A process per run keeps the peak memory figure (``ru_maxrss``) honest. Writes the solution JSON
(with ``stats.total_s`` and ``stats.peak_rss_mib``) to OUT.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time

from benchmarks.planner.baselines import cpsat, greedy, lp_greedy
from bot.planner.instance import read_instance, solution_json
from bot.planner.problem import PlanResult
from bot.planner.solver import plan


def main(argv: list[str]) -> int:
    solver, instance_path, output_path = argv[:3]
    seconds = float(argv[3]) if len(argv) > 3 else 60.0
    started = time.perf_counter()
    cpu_started = time.process_time()
    with open(instance_path, encoding="utf-8") as handle:
        raw = json.load(handle)
    problem = read_instance(raw)
    extra = {}
    if solver == "tandem":
        result = plan(problem)
    else:
        if solver == "greedy":
            scheduled = greedy(problem)
        elif solver == "lp-greedy":
            scheduled = lp_greedy(problem)
        elif solver.startswith("cpsat"):  # cpsat, or cpsat-N for N workers
            os.nice(5)  # a long run on a shared machine: others' work goes first
            workers = int(solver.partition("-")[2] or 2)
            scheduled, extra = cpsat(problem, seconds, workers=workers)
        else:
            raise SystemExit(f"unknown solver {solver!r}")
        result = PlanResult(scheduled, {}, {}, 0.0)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    solution = solution_json(raw, problem, result, elapsed)
    solution["stats"]["cpu_s"] = round(cpu, 3)  # this process's CPU time (all threads), against the wall time
    solution["solver"] = solver
    solution["unscheduled"] = [request.id for request in problem.requests if request.id not in result.scheduled]
    solution["stats"].update(extra)
    solution["stats"]["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with open(output_path, "w", encoding="utf-8") as handle:
        json.dump(solution, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
