"""tandem plan: the planner-format contract at the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parent / "planner" / "data" / "example-small.json"


def test_tandem_plan_prints_a_solution_with_every_request_once() -> None:
    result = subprocess.run([sys.executable, "-m", "bot.cli", "plan", str(EXAMPLE)], capture_output=True, text=True, check=True)
    solution = json.loads(result.stdout)
    instance = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    assert solution["format"] == "schedbench-solution" and solution["instance"] == instance["name"]
    ids = [s["request_id"] for s in solution["scheduled"]] + list(solution["unscheduled"])
    assert sorted(ids) == sorted(r["id"] for r in instance["requests"])
    assert all(s["start_utc"].endswith("Z") for s in solution["scheduled"])


def test_tandem_plan_names_the_bad_field_in_one_line(tmp_path: Path) -> None:
    instance = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    instance["cities"][3]["tz"] = "Europe/Berln"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(instance), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "bot.cli", "plan", str(path)], capture_output=True, text=True)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "cities[3].tz" in result.stderr and "Europe/Berln" in result.stderr


def _plan(path: Path) -> dict:
    result = subprocess.run([sys.executable, "-m", "bot.cli", "plan", str(path)], capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


@pytest.mark.parametrize("source", ["example-small", "lookalike-medium"])
def test_tandem_plan_keeps_every_rule_of_the_format(source: str, tmp_path: Path) -> None:
    """The independent validator walks every minute of every meeting in both cities' local time.

    The look-alike is a seeded instance of the public instances' family (benchmarks/planner).
    """
    from benchmarks.planner.generator import generate
    from benchmarks.planner.validator import validate

    if source == "example-small":
        path = EXAMPLE
        instance = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    else:
        instance = generate("medium", 7)
        path = tmp_path / "lookalike-medium.json"
        path.write_text(json.dumps(instance), encoding="utf-8")
    solution = _plan(path)
    report = validate(instance, solution)
    assert report.valid, report.examples
    assert report.scheduled == solution["stats"]["scheduled"] <= solution["stats"]["count_bound"] <= report.requests
    assert abs(report.score - solution["stats"]["score"]) < 1e-6 * report.requests


def test_tandem_plan_gives_the_same_plan_for_the_same_instance(tmp_path: Path) -> None:
    from benchmarks.planner.generator import generate

    path = tmp_path / "lookalike-small.json"
    path.write_text(json.dumps(generate("small", 3)), encoding="utf-8")
    first, second = _plan(path), _plan(path)
    for solution in (first, second):
        del solution["stats"]["total_s"]  # the only field that is measured, not computed
    assert first == second
