"""``python -m benchmarks.planner [--sizes small,medium,large,xl] [--cpsat-seconds 60] [--solvers ...]``.

Generates the seeded instances, runs each solver in its own process, validates every solution
with the independent validator and prints one table. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.planner.generator import SIZES, generate
from benchmarks.planner.validator import validate

# The shared example instance of planner-format.md, as the tests keep it.
EXAMPLE = Path(__file__).resolve().parents[2] / "tests" / "unit" / "planner" / "data" / "example-small.json"


def _run(solver: str, instance_path: Path, out_dir: Path, seconds: float) -> dict:
    output = out_dir / f"{instance_path.stem}.{solver}.json"
    subprocess.run(
        [sys.executable, "-m", "benchmarks.planner.worker", solver, str(instance_path), str(output), str(seconds)],
        check=True,
    )
    return json.loads(output.read_text())


def _pair_query_speed() -> str:
    """Median time of a 21-day pair query (Panjin x Lisbon with a 40-session busy list)."""
    from benchmarks.planner.pairquery import measure

    return measure()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.planner", description=__doc__)
    parser.add_argument("--sizes", default="small,medium,large,xl")
    parser.add_argument("--solvers", default="tandem,greedy,cpsat,cpsat-warm", help="any of tandem, greedy, cpsat, cpsat-warm")
    parser.add_argument("--cpsat-seconds", type=float, default=60.0, help="limit per CP-SAT phase (count, then score)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default=str(Path(tempfile.gettempdir()) / "tandem-planner-bench"), help="where instances and solutions go")
    parser.add_argument("--example", default=str(EXAMPLE), help="a shared instance to validate as well ('' to skip)")
    args = parser.parse_args(argv)
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    solvers = [s for s in args.solvers.split(",") if s]
    instances: list[Path] = []
    if args.example and Path(args.example).exists():
        instances.append(Path(args.example))
    for size in args.sizes.split(","):
        if size not in SIZES:
            parser.error(f"unknown size {size!r}; expected {', '.join(SIZES)}")
        path = out_dir / f"{size}-s{args.seed}.json"
        path.write_text(json.dumps(generate(size, args.seed)))
        instances.append(path)
    header = f"{'instance':<14}{'solver':<11}{'sched':>7}{'/req':>7}{'comfort':>10}{'score':>10}{'time s':>9}{'RSS MiB':>9}  valid  notes"
    print(header)
    print("-" * len(header))
    for path in instances:
        instance = json.loads(path.read_text())
        for solver in solvers:
            started = time.perf_counter()
            solution = _run(solver, path, out_dir, args.cpsat_seconds)
            wall = time.perf_counter() - started
            report = validate(instance, solution)
            stats = solution["stats"]
            notes = []
            if solver.startswith("cpsat"):
                notes.append(f"count {stats.get('count_status')} (bound {stats.get('count_bound')}), score {stats.get('score_status')}")
            if not report.valid:
                notes.append("; ".join(report.examples))
            print(
                f"{path.stem:<14}{solver:<11}{report.scheduled:>7}{report.requests:>7}{report.comfort:>10.2f}"
                f"{report.score:>10.2f}{stats['total_s']:>9.2f}{stats['peak_rss_mib']:>9.0f}  "
                f"{'yes' if report.valid else 'NO'}    {' '.join(notes)}  (process {wall:.1f} s)",
                flush=True,
            )
    print()
    print(_pair_query_speed())
    return 0


if __name__ == "__main__":
    sys.exit(main())
