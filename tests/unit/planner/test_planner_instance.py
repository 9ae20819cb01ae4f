"""The schedbench JSON of planner-format.md: reading, clear one-line errors, and the solution shape."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path
from typing import Any

import pytest

from bot.planner.instance import InstanceError, plan_command, read_instance

EXAMPLE = {
    "format": "schedbench-instance", "version": 1, "name": "tiny",
    "horizon": {"start_date": "2027-04-12", "end_date": "2027-04-16"},
    "now_utc": "2027-04-01T00:00:00Z", "min_notice_minutes": 1440, "slot_minutes": 15,
    "max_meetings_per_city_day": 2, "objective": {"comfort_weight": 1.0, "earliness_weight": 0.5},
    "cities": [
        {"id": "panjin", "name": "Panjin", "tz": "Asia/Shanghai", "country": "CN", "subdiv": None,
         "availability": {"mon": [["13:30", "17:30"]], "tue": [["13:30", "17:30"]], "wed": [], "thu": [], "fri": [], "sat": [], "sun": []},
         "blackout_dates": [], "max_meetings_per_day": None},
        {"id": "hamburg", "name": "Hamburg", "tz": "Europe/Berlin", "country": "DE", "subdiv": "HH",
         "availability": {"mon": [["09:00", "12:00"], ["13:00", "16:00"]], "tue": [["09:00", "12:00"]]},
         "blackout_dates": ["2027-04-13"], "max_meetings_per_day": 1},
    ],
    "requests": [
        {"id": "R1", "cities": ["panjin", "hamburg"], "topic": "industry-park", "duration_minutes": 60},
        {"id": "R2", "cities": ["panjin", "hamburg"], "topic": "smart-city", "duration_minutes": 60},
    ],
}


def run(tmp_path: Path, instance: Any) -> tuple[int, str, str]:
    path = tmp_path / "instance.json"
    path.write_text(instance if isinstance(instance, str) else json.dumps(instance))
    out, err = io.StringIO(), io.StringIO()
    code = plan_command(str(path), out, err)
    return code, out.getvalue(), err.getvalue()


def test_solution_lists_every_request_once_with_z_instants_and_reasons(tmp_path: Path) -> None:
    code, out, err = run(tmp_path, EXAMPLE)
    assert (code, err) == (0, "")
    solution = json.loads(out)
    assert solution["format"] == "schedbench-solution" and solution["instance"] == "tiny"
    # Hamburg: cap 1 a day, away Tuesday: only Monday 12 April, 07:00-09:30 UTC common with Panjin.
    assert len(solution["scheduled"]) == 1 and solution["unscheduled"] == ["R2"]
    assert solution["scheduled"][0]["start_utc"].endswith("Z")
    assert solution["scheduled"][0]["start_utc"].startswith("2027-04-12T")
    assert solution["unscheduled_reasons"] == {"R2": "all_taken"}


def test_shared_example_instance_is_read_and_planned() -> None:
    path = Path(__file__).parent / "data" / "example-small.json"
    out, err = io.StringIO(), io.StringIO()
    assert plan_command(str(path), out, err) == 0
    solution = json.loads(out.getvalue())
    ids = [entry["request_id"] for entry in solution["scheduled"]] + solution["unscheduled"]
    assert sorted(ids) == sorted(r["id"] for r in json.loads(path.read_text())["requests"])


def broken(path: list[Any], value: Any) -> dict[str, Any]:
    instance = copy.deepcopy(EXAMPLE)
    target = instance
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return instance


@pytest.mark.parametrize(
    ("instance", "message"),
    [
        (broken(["cities", 1, "tz"], "Europe/Berln"), 'cities[1].tz: unknown time zone "Europe/Berln"'),
        (broken(["cities", 0, "country"], "XX"), 'cities[0].country: unknown country "XX"'),
        (broken(["cities", 1, "subdiv"], "ZZ"), "cities[1].subdiv:"),
        (broken(["cities", 0, "availability", "mon", 0], ["17:30", "13:30"]), "cities[0].availability.mon[0]: ends at 13:30"),
        (broken(["cities", 0, "availability", "mon", 0, 1], "25:00"), 'cities[0].availability.mon[0][1]: "25:00" is not a time of day'),
        (broken(["cities", 0, "availability", "monday"], []), "cities[0].availability.monday: not a weekday"),
        (broken(["horizon", "start_date"], "2027-13-01"), 'horizon.start_date: "2027-13-01" is not a date'),
        (broken(["now_utc"], "2027-04-01T00:00:00"), "now_utc:"),
        (broken(["slot_minutes"], 7), "slot_minutes: 7 does not divide a day"),
        (broken(["requests", 1, "cities"], ["panjin", "cork"]), 'requests[1].cities[1]: unknown city "cork"'),
        (broken(["requests", 1, "id"], "R1"), 'requests[1].id: "R1" appears twice'),
        (broken(["requests", 0, "duration_minutes"], "60"), 'requests[0].duration_minutes: expected an integer, got "60"'),
        (broken(["max_meetings_per_city_day"], KeyError), "max_meetings_per_city_day: missing"),
        (broken(["format"], "other"), 'format: expected "schedbench-instance"'),
    ],
)
def test_invalid_instance_gets_one_line_naming_the_field(tmp_path: Path, instance: Any, message: str) -> None:
    with pytest.raises(InstanceError) as caught:
        read_instance(instance)
    assert str(caught.value).startswith(message)
    code, out, err = run(tmp_path, instance)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err


def test_unreadable_json_is_one_line(tmp_path: Path) -> None:
    code, out, err = run(tmp_path, "{not json")
    assert code == 2 and out == "" and "not JSON" in err and err.count("\n") == 1


def test_missing_file_is_one_line(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert plan_command(str(tmp_path / "nope.json"), out, err) == 2
    assert "cannot read" in err.getvalue()
