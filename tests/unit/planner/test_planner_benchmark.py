"""The planner benchmark's own parts: the CP-SAT model's cliques, the look-alike generator, a small run."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from benchmarks.planner.__main__ import main
from benchmarks.planner.baselines import maximal_cliques
from benchmarks.planner.generator import generate
from bot.planner.instance import read_instance


@given(st.lists(st.tuples(st.integers(0, 20), st.integers(1, 8)), max_size=9))
def test_cliques_are_exactly_the_maximal_sets_of_overlapping_intervals(spans: list[tuple[int, int]]) -> None:
    intervals = [(start, start + length, n) for n, (start, length) in enumerate(spans)]
    found = {frozenset(clique) for clique in maximal_cliques(intervals)}
    # Brute force: the intervals holding each instant, keeping the sets no other set contains.
    holding = {frozenset(k for s, e, k in intervals if s <= t < e) for t in range(0, 30)} - {frozenset()}
    assert found == {c for c in holding if not any(c < other for other in holding)}


def test_the_look_alike_generator_is_seeded_and_gives_valid_instances() -> None:
    first = generate("medium", 4)
    assert first == generate("medium", 4) != generate("medium", 5)
    problem = read_instance(first)
    assert (len(problem.cities), len(problem.requests)) == (60, 400)
    assert "panjin" in problem.cities


def test_a_small_run_prints_every_solver_valid_and_the_same_plan_each_time(tmp_path: Path) -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(["--sizes", "small", "--seeds", "2", "--solvers", "tandem,greedy,lp-greedy", "--repeat", "2",
              "--public", "", "--out", str(tmp_path)])
    lines = out.getvalue().splitlines()
    valid = next(line for line in lines if line.startswith("instance")).index("valid")
    rows = [line for line in lines if line.startswith("lookalike-small-s2")]
    assert [row.split()[1] for row in rows] == ["tandem", "greedy", "lp-greedy"]
    assert all(row[valid:valid + 3] == "yes" for row in rows)
    assert "same plan in 2 runs" in out.getvalue()
