"""The schedbench instance and solution JSON of planner-format.md, and ``tandem plan``'s body."""

from __future__ import annotations

import json
import time as wallclock
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, TextIO

from bot.domain import InvalidInputError, TandemError, WeeklyWindow
from bot.planner.calendar import CityCalendar
from bot.planner.problem import MeetingRequest, Objective, PlanningProblem, PlanResult
from bot.planner.solver import plan

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class InstanceError(TandemError):
    """The instance file is not a valid schedbench instance; the message names the field."""


def _field(path: str, value: Any, kind: type | tuple[type, ...], what: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, kind):
        raise InstanceError(f"{path}: expected {what}, got {json.dumps(value)}")
    return value


def _get(obj: dict[str, Any], key: str, path: str) -> Any:
    if key not in obj:
        raise InstanceError(f"{path}.{key}: missing" if path else f"{key}: missing")
    return obj[key]


def _date(path: str, value: Any) -> date:
    _field(path, value, str, "a date YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InstanceError(f'{path}: "{value}" is not a date YYYY-MM-DD') from None


def _instant(path: str, value: Any) -> datetime:
    _field(path, value, str, "an instant such as 2026-03-16T03:00:00Z")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InstanceError(f'{path}: "{value}" is not an ISO 8601 instant') from None
    if parsed.tzinfo is None:
        raise InstanceError(f'{path}: "{value}" has no offset; write it in UTC ending in Z')
    return parsed.astimezone(timezone.utc)


def _clock_time(path: str, value: Any, *, is_end: bool) -> time:
    _field(path, value, str, "a time HH:MM")
    try:
        hours, minutes = value.split(":")
        hour, minute = int(hours), int(minutes)
    except ValueError:
        raise InstanceError(f'{path}: "{value}" is not a time HH:MM') from None
    if is_end and (hour, minute) == (24, 0):
        return time(0)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise InstanceError(f'{path}: "{value}" is not a time of day')
    return time(hour, minute)


def _city(path: str, raw: Any) -> CityCalendar:
    _field(path, raw, dict, "an object")
    city_id = _field(f"{path}.id", _get(raw, "id", path), str, "a string")
    tz = _field(f"{path}.tz", _get(raw, "tz", path), str, "an IANA zone name")
    country = raw.get("country")
    if country is not None:
        _field(f"{path}.country", country, str, "an ISO country code")
    subdiv = raw.get("subdiv")
    if subdiv is not None:
        _field(f"{path}.subdiv", subdiv, str, "a subdivision code or null")
    availability = _field(f"{path}.availability", _get(raw, "availability", path), dict, "an object of weekdays")
    windows: list[WeeklyWindow] = []
    for key in availability:
        if key not in WEEKDAY_KEYS:
            raise InstanceError(f'{path}.availability.{key}: not a weekday (expected one of {", ".join(WEEKDAY_KEYS)})')
    for weekday, key in enumerate(WEEKDAY_KEYS):
        spans = _field(f"{path}.availability.{key}", availability.get(key, []), list, "a list of [start, end]")
        for n, span in enumerate(spans):
            where = f"{path}.availability.{key}[{n}]"
            if not isinstance(span, list) or len(span) != 2:
                raise InstanceError(f"{where}: expected [start, end], got {json.dumps(span)}")
            start = _clock_time(f"{where}[0]", span[0], is_end=False)
            end = _clock_time(f"{where}[1]", span[1], is_end=True)
            if end != time(0) and end <= start:
                raise InstanceError(f"{where}: ends at {span[1]}, not after its start {span[0]}")
            windows.append(WeeklyWindow(weekday, start, end))
    blackout = _field(f"{path}.blackout_dates", raw.get("blackout_dates", []), list, "a list of dates")
    days_away = frozenset(_date(f"{path}.blackout_dates[{n}]", day) for n, day in enumerate(blackout))
    cap = raw.get("max_meetings_per_day")
    if cap is not None and (_field(f"{path}.max_meetings_per_day", cap, int, "an integer or null") < 0):
        raise InstanceError(f"{path}.max_meetings_per_day: {cap} is negative")
    try:
        return CityCalendar(
            city_id, tz, country, subdiv, tuple(windows), days_away, cap,
            # The format reads each weekday's windows literally: a make-up Saturday has Saturday's.
            make_up_days_are_working_days=False,
        )
    except InvalidInputError as error:
        message = str(error)
        field = "tz" if "time zone" in message else "subdiv" if "subdivision" in message.lower() else "country"
        raise InstanceError(f"{path}.{field}: {error}") from None


def read_instance(raw: Any) -> PlanningProblem:
    """A parsed JSON instance as a ``PlanningProblem``; ``InstanceError`` names the first bad field."""
    _field("instance", raw, dict, "a JSON object")
    if raw.get("format") != "schedbench-instance":
        raise InstanceError(f'format: expected "schedbench-instance", got {json.dumps(raw.get("format"))}')
    horizon = _field("horizon", _get(raw, "horizon", ""), dict, "an object")
    start = _date("horizon.start_date", _get(horizon, "start_date", "horizon"))
    end = _date("horizon.end_date", _get(horizon, "end_date", "horizon"))
    if end < start:
        raise InstanceError(f"horizon.end_date: {end} is before horizon.start_date {start}")
    now = _instant("now_utc", _get(raw, "now_utc", ""))
    notice = _field("min_notice_minutes", _get(raw, "min_notice_minutes", ""), int, "an integer")
    slot = _field("slot_minutes", _get(raw, "slot_minutes", ""), int, "an integer")
    if not 0 < slot <= 1440 or 1440 % slot:
        raise InstanceError(f"slot_minutes: {slot} does not divide a day")
    cap = _field("max_meetings_per_city_day", _get(raw, "max_meetings_per_city_day", ""), int, "an integer")
    objective_raw = _field("objective", raw.get("objective", {}), dict, "an object")
    weights = {}
    for key in ("comfort_weight", "earliness_weight"):
        if key in objective_raw:
            weights[key] = float(_field(f"objective.{key}", objective_raw[key], (int, float), "a number"))
    cities: dict[str, CityCalendar] = {}
    for n, raw_city in enumerate(_field("cities", _get(raw, "cities", ""), list, "a list")):
        city = _city(f"cities[{n}]", raw_city)
        if city.id in cities:
            raise InstanceError(f'cities[{n}].id: "{city.id}" appears twice')
        cities[city.id] = city
    requests: list[MeetingRequest] = []
    seen: set[str] = set()
    for n, raw_request in enumerate(_field("requests", _get(raw, "requests", ""), list, "a list")):
        path = f"requests[{n}]"
        _field(path, raw_request, dict, "an object")
        request_id = _field(f"{path}.id", _get(raw_request, "id", path), str, "a string")
        if request_id in seen:
            raise InstanceError(f'{path}.id: "{request_id}" appears twice')
        seen.add(request_id)
        pair = _field(f"{path}.cities", _get(raw_request, "cities", path), list, "two city ids")
        if len(pair) != 2:
            raise InstanceError(f"{path}.cities: expected two city ids, got {json.dumps(pair)}")
        for side, city_id in enumerate(pair):
            if city_id not in cities:
                raise InstanceError(f"{path}.cities[{side}]: unknown city {json.dumps(city_id)}")
        if pair[0] == pair[1]:
            raise InstanceError(f"{path}.cities: a city cannot meet itself ({pair[0]})")
        duration = _field(f"{path}.duration_minutes", _get(raw_request, "duration_minutes", path), int, "an integer")
        if not 0 < duration < 1440:
            raise InstanceError(f"{path}.duration_minutes: {duration} is not between 1 and 1439")
        requests.append(MeetingRequest(request_id, pair[0], pair[1], duration, raw_request.get("topic")))
    try:
        return PlanningProblem(
            now_utc=now, horizon_start=start, horizon_end=end, min_notice=timedelta(minutes=notice),
            granularity_minutes=slot, max_per_city_day=cap, cities=cities, requests=tuple(requests),
            objective=Objective(**weights),
        )
    except InvalidInputError as error:
        raise InstanceError(str(error)) from None


def solution_json(raw: dict[str, Any], problem: PlanningProblem, result: PlanResult, total_s: float) -> dict[str, Any]:
    """The solution object of planner-format.md; unscheduled reasons ride in ``unscheduled_reasons``."""
    return {
        "format": "schedbench-solution",
        "version": 1,
        "instance": raw.get("name"),
        "solver": "tandem",
        "scheduled": [
            {"request_id": request.id, "start_utc": result.scheduled[request.id].strftime("%Y-%m-%dT%H:%M:%SZ")}
            for request in problem.requests
            if request.id in result.scheduled
        ],
        "unscheduled": [request.id for request in problem.requests if request.id in result.unscheduled],
        "unscheduled_reasons": {
            str(request_id): reason.value for request_id, reason in result.unscheduled.items()
        },
        "stats": {
            "scheduled": len(result.scheduled),
            "requests": len(problem.requests),
            "count_bound": result.count_bound,
            "score": round(result.score, 6),
            "comfort": round(sum(result.comfort.values()), 6),
            "total_s": round(total_s, 3),
        },
    }


def plan_command(path: str, stdout: TextIO, stderr: TextIO, *, perf_counter: Callable[[], float] = wallclock.perf_counter) -> int:
    """``tandem plan INSTANCE.json``: the solution on stdout, exit 0; one line on stderr and exit 2 if invalid."""
    started = perf_counter()
    try:
        with open(path, encoding="utf-8") as handle:
            raw = json.load(handle)
    except OSError as error:
        stderr.write(f"{path}: cannot read: {error.strerror or error}\n")
        return 2
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        stderr.write(f"{path}: not JSON: {error}\n")
        return 2
    try:
        problem = read_instance(raw)
    except InstanceError as error:
        stderr.write(f"{path}: {error}\n")
        return 2
    result = plan(problem)
    write_solution(solution_json(raw, problem, result, perf_counter() - started), stdout)
    return 0


def write_solution(solution: dict[str, Any], stdout: TextIO) -> None:
    """The solution as JSON, one key per line and one list item per line.

    Each piece goes through ``json.dumps`` (the C encoder); ``json.dump(..., indent=1)`` would
    take the pure-Python encoder, 0.5 s for the 12,000 entries of an xl plan.
    """
    lines = []
    for key, value in solution.items():
        if isinstance(value, list) and value:
            text = "[\n  " + ",\n  ".join(json.dumps(item) for item in value) + "\n ]"
        else:
            text = json.dumps(value)
        lines.append(f" {json.dumps(key)}: {text}")
    stdout.write("{\n" + ",\n".join(lines) + "\n}\n")
