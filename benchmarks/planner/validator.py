"""An independent checker of schedbench solutions: every rule of planner-format.md, minute by minute.

It shares no code with ``bot.planner``: it reads the instance JSON itself, walks every minute of
every meeting in each city's wall-clock time with ``zoneinfo`` and recomputes comfort and
earliness from the format's definitions.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays

DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass
class Report:
    scheduled: int = 0
    requests: int = 0
    comfort: float = 0.0
    earliness: float = 0.0
    score: float = 0.0
    violations: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    examples: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.violations

    def flag(self, rule: str, detail: str) -> None:
        self.violations[rule] += 1
        if len(self.examples) < 5:
            self.examples.append(f"{rule}: {detail}")


def _hm(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _merged(spans: list[list[str]]) -> list[tuple[int, int]]:
    merged: list[list[int]] = []
    for start, end in sorted((_hm(a), _hm(b)) for a, b in spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


@cache
def _holiday_dates(country: str, subdiv: str | None, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, subdiv=subdiv, years=year).keys())


def validate(instance: dict[str, Any], solution: dict[str, Any]) -> Report:
    report = Report()
    cities = {city["id"]: city for city in instance["cities"]}
    requests = {request["id"]: request for request in instance["requests"]}
    report.requests = len(requests)
    horizon_start = date.fromisoformat(instance["horizon"]["start_date"])
    horizon_end = date.fromisoformat(instance["horizon"]["end_date"])
    h0 = datetime(horizon_start.year, horizon_start.month, horizon_start.day, tzinfo=timezone.utc)
    h_len = (horizon_end - horizon_start).days * 1440 + 1440
    now = datetime.fromisoformat(instance["now_utc"].replace("Z", "+00:00"))
    earliest = now + timedelta(minutes=instance["min_notice_minutes"])
    slot = instance["slot_minutes"]
    weights = instance.get("objective", {})
    comfort_weight = weights.get("comfort_weight", 1.0)
    earliness_weight = weights.get("earliness_weight", 0.5)
    windows = {cid: {i: _merged(c["availability"].get(k, [])) for i, k in enumerate(DAY_KEYS)} for cid, c in cities.items()}

    seen: dict[str, int] = defaultdict(int)
    for entry in solution.get("scheduled", []):
        seen[entry["request_id"]] += 1
    for request_id in solution.get("unscheduled", []):
        seen[request_id] += 1
    for request_id in requests:
        if seen.get(request_id, 0) != 1:
            report.flag("every-request-once", f"{request_id} appears {seen.get(request_id, 0)} times")
    for request_id in seen:
        if request_id not in requests:
            report.flag("every-request-once", f"unknown request {request_id}")

    busy: dict[str, list[tuple[datetime, datetime, str]]] = defaultdict(list)
    per_day: dict[tuple[str, date], int] = defaultdict(int)
    for entry in solution.get("scheduled", []):
        request = requests.get(entry["request_id"])
        if request is None:
            continue
        text = entry["start_utc"]
        if not text.endswith("Z"):
            report.flag("format", f"{text} does not end in Z")
        start = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)
        duration = request["duration_minutes"]
        end = start + timedelta(minutes=duration)
        report.scheduled += 1
        if start.second or start.microsecond or (start.hour * 60 + start.minute) % slot:
            report.flag("grid", f"{request['id']} starts {text}")
        if start < earliest:
            report.flag("notice", f"{request['id']} starts {text} before {earliest}")
        comforts = []
        for city_id in request["cities"]:
            city = cities[city_id]
            zone = ZoneInfo(city["tz"])
            busy[city_id].append((start, end, request["id"]))
            local_start = start.astimezone(zone)
            day = local_start.date()
            per_day[(city_id, day)] += 1
            if not horizon_start <= day <= horizon_end:
                report.flag("horizon", f"{request['id']} on {day} in {city_id}")
            holder = None
            for minute in range(duration):
                local = (start + timedelta(minutes=minute)).astimezone(zone)
                if local.date() != day:
                    report.flag("window", f"{request['id']} crosses local midnight in {city_id}")
                    break
                wall = local.hour * 60 + local.minute
                inside = [w for w in windows[city_id][local.weekday()] if w[0] <= wall < w[1]]
                if not inside:
                    report.flag("window", f"{request['id']} minute {local:%Y-%m-%d %H:%M} outside {city_id}'s windows")
                    break
                holder = holder or inside[0]
            if city.get("country") and day in _holiday_dates(city["country"], city.get("subdiv"), day.year):
                report.flag("holiday", f"{request['id']} on {day}, a holiday in {city_id}")
            if day.isoformat() in set(city.get("blackout_dates", [])):
                report.flag("blackout", f"{request['id']} on {day}, a blackout date of {city_id}")
            if holder is not None:
                slack = holder[1] - holder[0] - duration
                offset = local_start.hour * 60 + local_start.minute - holder[0]
                comforts.append(1.0 if slack <= 0 else max(0.0, 1.0 - abs(2 * offset - slack) / slack))
        comfort = sum(comforts) / len(comforts) if comforts else 0.0
        earliness = 1.0 - ((start - h0) / timedelta(minutes=1)) / h_len
        report.comfort += comfort
        report.earliness += earliness
    for city_id, meetings in busy.items():
        meetings.sort()
        for (_s1, e1, r1), (s2, _e2, r2) in zip(meetings, meetings[1:]):
            if s2 < e1:
                report.flag("overlap", f"{city_id}: {r1} and {r2}")
    for (city_id, day), count in per_day.items():
        cap = cities[city_id].get("max_meetings_per_day")
        cap = instance["max_meetings_per_city_day"] if cap is None else cap
        if count > cap:
            report.flag("cap", f"{city_id} has {count} meetings on {day} (cap {cap})")
    report.score = comfort_weight * report.comfort + earliness_weight * report.earliness
    return report
