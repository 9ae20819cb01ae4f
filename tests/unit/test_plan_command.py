"""tandem plan: the planner-format contract at the command line, checked by the independent validator.

``benchmarks/planner/validator.py`` reads the instance itself and checks every rule of
planner-format.md minute by minute (grid, notice, horizon, windows, holidays, blackout dates,
overlap, caps, every request exactly once); it shares no code with the planner. A valid plan that
schedules nothing would pass it, so the count is checked too: against the optimum CP-SAT proved
for the example, and against the oracle of tests/unit/planner on generated instances.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from benchmarks.planner.generator import generate
from benchmarks.planner.validator import validate
from tests.tandem_command import tandem_command
from tests.unit.planner.cases import Case, instance_json, planning_cases
from tests.unit.planner.oracle import Oracle

EXAMPLE = Path(__file__).resolve().parent / "planner" / "data" / "example-small.json"


def tandem_plan(instance: dict[str, Any], folder: Path) -> dict[str, Any]:
    path = folder / f"{instance['name']}.json"
    path.write_text(json.dumps(instance), encoding="utf-8")
    result = subprocess.run([*tandem_command(), "plan", str(path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def assert_valid(instance: dict[str, Any], solution: dict[str, Any]) -> None:
    report = validate(instance, solution)
    assert report.valid, f"{dict(report.violations)}: {report.examples}"
    assert solution["format"] == "schedbench-solution" and solution["instance"] == instance["name"]
    assert solution["stats"]["scheduled"] == report.scheduled and solution["stats"]["requests"] == len(instance["requests"])


def test_tandem_plan_solves_the_example_as_well_as_the_proven_optimum_keeping_every_rule(tmp_path: Path) -> None:
    instance = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    solution = tandem_plan(instance, tmp_path)
    assert_valid(instance, solution)
    # CP-SAT proved 29 of the 30 the most that fit (benchmarks/README.md: "count OPTIMAL (bound 29)").
    assert len(solution["scheduled"]) == 29


@pytest.mark.parametrize(("size", "seed"), [("small", 2), ("medium", 1)])
def test_tandem_plan_keeps_every_rule_on_the_benchmark_instances(tmp_path: Path, size: str, seed: int) -> None:
    """Hubs wanted by 40 partners, lunch-split windows, the EU clock change inside the horizon."""
    instance = generate(size, seed)
    solution = tandem_plan(instance, tmp_path)
    assert_valid(instance, solution)
    assert len(solution["scheduled"]) >= 0.75 * len(instance["requests"])  # the benchmark's tandem figures: 77-85 %


def as_the_format_reads_it(case: Case) -> Case:
    """The format has no confirmed sessions and reads each weekday's hours literally (no make-up days)."""
    cities = {key: replace(c, make_up_days_are_working_days=False) for key, c in case.problem.cities.items()}
    return Case(replace(case.problem, cities=cities, fixed_sessions=()), case.hours)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=planning_cases())
def test_tandem_plan_keeps_every_rule_on_generated_instances_and_leaves_out_only_what_cannot_fit(tmp_path: Path, case: Case) -> None:
    """DST changes, holidays, blackout dates, caps, Kathmandu's quarter-hour offset; one process each."""
    instance = instance_json(case, "generated-" + hashlib.sha1(repr(case).encode()).hexdigest()[:10])
    solution = tandem_plan(instance, tmp_path)
    assert_valid(instance, solution)
    scheduled = {s["request_id"]: datetime.fromisoformat(s["start_utc"].replace("Z", "+00:00")) for s in solution["scheduled"]}
    oracle = Oracle(as_the_format_reads_it(case).problem, case.hours)
    for request_id in solution["unscheduled"]:
        fits = oracle.still_fits(request_id, scheduled)
        assert fits is None, f"{request_id} is left out although {fits.start:%Y-%m-%d %H:%M} UTC keeps every rule"


def test_tandem_plan_names_the_bad_field_in_one_line(tmp_path: Path) -> None:
    instance = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    instance["cities"][3]["tz"] = "Europe/Berln"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(instance), encoding="utf-8")
    result = subprocess.run([*tandem_command(), "plan", str(path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "cities[3].tz" in result.stderr and "Europe/Berln" in result.stderr



def test_tandem_plan_reports_a_bound_the_plan_stays_under_and_the_score_the_validator_computes(tmp_path: Path) -> None:
    instance = generate("medium", 7)
    solution = tandem_plan(instance, tmp_path)
    report = validate(instance, solution)
    assert report.valid, report.examples
    assert report.scheduled <= solution["stats"]["count_bound"] <= report.requests
    assert abs(report.score - solution["stats"]["score"]) < 1e-6 * report.requests


def test_tandem_plan_gives_the_same_plan_byte_for_byte_for_the_same_instance(tmp_path: Path) -> None:
    instance = generate("small", 3)
    first, second = tandem_plan(instance, tmp_path), tandem_plan(instance, tmp_path)
    for solution in (first, second):
        del solution["stats"]["total_s"]  # the only field that is measured, not computed
    assert json.dumps(first) == json.dumps(second)
