"""``python -m benchmarks.planner [--sizes ...] [--seeds 1,2,3] [--solvers ...] [--cpsat-seconds 60]``.

Runs the public instances of the programme's shared folder (with their reference figures) and
seeded look-alikes of their generator family, each solver in a fresh process, validates every
solution with the independent validator and prints one table. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from benchmarks.planner.generator import SIZES, generate
from benchmarks.planner.validator import validate

# The programme's shared folder sits beside the checkout (``../shared``); TANDEM_SHARED points elsewhere.
SHARED = Path(os.environ.get("TANDEM_SHARED", Path(__file__).resolve().parents[3] / "shared")) / "planner"
# The shared README's reference figures: CP-SAT 60 s (2 workers, LP-guided hint), CP-SAT 300 s,
# and the proven upper bound of a day-level LP, measured on the same 2-core machine.
REFERENCES = {
    "public-small": (29, 29, 29),
    "public-medium": (356, 356, 356),
    "public-large": (2656, 2658, 2661),
    "public-xl": (12082, 12119, 12215),
}


@dataclass
class Run:
    solver: str
    scheduled: int
    score: float
    seconds: list[float]
    cpu_seconds: list[float]
    peak_mib: float
    valid: str
    notes: str
    bound: int | None = None


def _run(solver: str, instance_path: Path, out_dir: Path, seconds: float) -> tuple[dict, bytes]:
    output = out_dir / f"{instance_path.stem}.{solver}.json"
    subprocess.run(
        [sys.executable, "-m", "benchmarks.planner.worker", solver, str(instance_path), str(output), str(seconds)],
        check=True,
    )
    solution = json.loads(output.read_text())
    plan = json.dumps([solution["scheduled"], solution["unscheduled"]]).encode()
    return solution, plan


def _measure(solver: str, path: Path, instance: dict, out_dir: Path, seconds: float, repeat: int) -> Run:
    runs = [_run(solver, path, out_dir, seconds) for _ in range(repeat)]
    solution = runs[0][0]
    report = validate(instance, solution)
    stats = solution["stats"]
    notes = []
    if len({plan for _, plan in runs}) > 1:
        notes.append("NOT DETERMINISTIC")
    elif repeat > 1:
        notes.append(f"same plan in {repeat} runs")
    if solver.startswith("cpsat"):
        notes.append(f"{stats.get('count_status')}, hint {stats.get('hint_count')}")
    bounds = [int(stats[key]) for key in ("count_bound", "lp_bound") if stats.get(key) is not None]
    bound = min(bounds) if bounds else None
    if not report.valid:
        notes.append("; ".join(report.examples))
    return Run(
        solver, report.scheduled, report.score, [s["stats"]["total_s"] for s, _ in runs],
        [s["stats"]["cpu_s"] for s, _ in runs], max(s["stats"]["peak_rss_mib"] for s, _ in runs), "yes" if report.valid else "NO", ", ".join(notes), bound,
    )


def _pair_query_speed() -> str:
    """Median time of a 21-day pair query (Panjin x Lisbon with a 40-session busy list)."""
    from benchmarks.planner.pairquery import measure

    return measure()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.planner", description=__doc__)
    parser.add_argument("--sizes", default="small,medium,large,xl", help="sizes of the public instances and look-alikes")
    parser.add_argument("--seeds", default="1,2,3", help="look-alike generator seeds ('' for none)")
    parser.add_argument("--solvers", default="tandem,greedy,lp-greedy,cpsat", help="any of tandem, greedy, lp-greedy, cpsat, cpsat-1")
    parser.add_argument("--cpsat-seconds", type=float, default=60.0, help="limit of each CP-SAT phase (count, then score)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of tandem per instance (time: median and max)")
    parser.add_argument("--public", default=str(SHARED), help="folder of public-<size>.json ('' to skip)")
    parser.add_argument("--out", default=str(Path(tempfile.gettempdir()) / "tandem-planner-bench"), help="where instances and solutions go")
    args = parser.parse_args(argv)
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    solvers = [s for s in args.solvers.split(",") if s]
    sizes = [s for s in args.sizes.split(",") if s]
    for size in sizes:
        if size not in SIZES:
            parser.error(f"unknown size {size!r}; expected {', '.join(SIZES)}")
    instances: list[Path] = []
    for size in sizes:
        public = Path(args.public) / f"public-{size}.json" if args.public else None
        if public is not None and public.exists():
            instances.append(public)
        for seed in [int(s) for s in args.seeds.split(",") if s]:
            path = out_dir / f"lookalike-{size}-s{seed}.json"
            path.write_text(json.dumps(generate(size, seed)))
            instances.append(path)
    header = (
        f"{'instance':<22}{'solver':<11}{'sched':>7}{'best':>7}{'Δbest':>7}{'bound':>7}{'Δbound':>8}"
        f"{'score':>10}{'time s':>8}{'max s':>7}{'cpu s':>7}{'MiB':>6}  valid  notes"
    )
    print(f"load average at the start: {' '.join(f'{n:.1f}' for n in os.getloadavg())} ({os.cpu_count()} cores)")
    print(header)
    print("-" * len(header), flush=True)
    for path in instances:
        instance = json.loads(path.read_text())
        runs = [
            _measure(solver, path, instance, out_dir, args.cpsat_seconds, args.repeat if solver == "tandem" else 1)
            for solver in solvers
        ]
        reference = REFERENCES.get(path.stem)
        best = max([run.scheduled for run in runs] + ([reference[1]] if reference else []))
        bounds = [run.bound for run in runs if run.bound is not None] + ([reference[2]] if reference else [])
        bound = min(bounds) if bounds else None
        if reference:
            print(f"{path.stem:<22}{'reference':<11}  CP-SAT 60 s {reference[0]}, 300 s {reference[1]}, bound {reference[2]} (shared README)")
        for run in runs:
            gap_bound = f"{run.scheduled - bound:>+8d}" if bound is not None else f"{'':>8}"
            print(
                f"{path.stem:<22}{run.solver:<11}{run.scheduled:>7}{best:>7}{run.scheduled - best:>+7d}"
                f"{bound if bound is not None else '':>7}{gap_bound}{run.score:>10.2f}"
                f"{statistics.median(run.seconds):>8.2f}{max(run.seconds):>7.2f}{statistics.median(run.cpu_seconds):>7.2f}"
                f"{run.peak_mib:>6.0f}  {run.valid:<5}  {run.notes}",
                flush=True,
            )
    print(f"load average at the end: {' '.join(f'{n:.1f}' for n in os.getloadavg())}")
    print()
    print(_pair_query_speed())
    return 0


if __name__ == "__main__":
    sys.exit(main())
