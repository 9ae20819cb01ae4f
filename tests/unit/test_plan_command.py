"""tandem plan: the planner-format contract at the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parent / "planner" / "data" / "example-small.json"


def test_tandem_plan_prints_a_solution_with_every_request_once() -> None:
    result = subprocess.run([sys.executable, "-m", "tandem.cli", "plan", str(EXAMPLE)], capture_output=True, text=True, check=True)
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
    result = subprocess.run([sys.executable, "-m", "tandem.cli", "plan", str(path)], capture_output=True, text=True)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "cities[3].tz" in result.stderr and "Europe/Berln" in result.stderr
