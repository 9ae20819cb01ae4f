"""The example programme (tandem/demo/scenario.toml, the copy of shared/scenario the demo plays): all 11 matches planned."""

from __future__ import annotations

import tomllib
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.planner import CityCalendar, MeetingRequest, PlanningProblem, parse_days_away, parse_weekly_hours, plan
from tandem.demo.scenario import EMBEDDED

SCENARIO = EMBEDDED


def scenario_problem() -> PlanningProblem:
    config = tomllib.loads(SCENARIO.read_text(encoding="utf-8"))
    scheduling = config["scheduling"]
    now = datetime.fromisoformat(config["programme"]["now"].replace("Z", "+00:00"))
    cities = {
        entry["name"]: CityCalendar(
            entry["name"], entry["timezone"], entry["country"], None, parse_weekly_hours(entry["hours"]),
            frozenset(parse_days_away(", ".join(entry["away"]))) if entry.get("away") else frozenset(),
        )
        for entry in config["cities"]
    }
    china = [c for c in config["cities"] if c["group"] == "China"]
    europe = [c for c in config["cities"] if c["group"] == "EU"]
    requests = [
        MeetingRequest(f"{a['name']}/{b['name']}/{topic}", a["name"], b["name"], scheduling["duration_minutes"], topic)
        for a in china for b in europe for topic in a["topics"] if topic in b["topics"]
    ]
    start = now.date()
    return PlanningProblem(
        now_utc=now, horizon_start=start, horizon_end=start + timedelta(days=scheduling["horizon_days"] - 1),
        min_notice=timedelta(hours=scheduling["min_notice_hours"]), granularity_minutes=scheduling["granularity_minutes"],
        max_per_city_day=scheduling["max_sessions_per_city_per_day"], cities=cities, requests=tuple(requests),
    )


def test_scenario_plans_all_eleven_matches_lisbon_after_the_clock_change_none_on_qingming() -> None:
    case = scenario_problem()
    assert len(case.requests) == 11
    result = plan(case)
    assert result.unscheduled == {}
    assert len(result.scheduled) == 11
    for request in case.requests:
        start = result.scheduled[request.id]
        if "Lisbon" in (request.city_a, request.city_b):
            assert start.astimezone(ZoneInfo("Europe/Lisbon")).date() >= date(2027, 3, 29)
        assert start.astimezone(ZoneInfo("Asia/Shanghai")).date() != date(2027, 4, 5)
        assert start >= case.now_utc + timedelta(hours=48)


def test_aarhus_is_not_planned_on_its_day_away() -> None:
    result = plan(scenario_problem())
    aarhus = [start for request_id, start in result.scheduled.items() if "/Aarhus/" in request_id]
    assert aarhus and all(start.astimezone(ZoneInfo("Europe/Copenhagen")).date() != date(2027, 3, 25) for start in aarhus)
