"""A seeded generator of schedbench instances (planner-format.md) with realistic zones and hubs.

Asia-Europe overlaps come out at one to three hours a day and grow by an hour when the EU clocks
change inside the four-week horizon (2026-03-29); hub cities (Panjin-like) are wanted by about 40
partners each, mostly European.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

SIZES = {  # cities, requests, hubs
    "small": (10, 30, 1),
    "medium": (60, 400, 2),
    "large": (300, 3000, 8),
    "xl": (1000, 15000, 25),
}
HUB_PARTNERS = 40

# region, country, zone, city names; several cities share a zone as in real networks
PLACES = [
    ("AS", "CN", "Asia/Shanghai", ["Panjin", "Wuhan", "Hefei", "Shenyang", "Dalian", "Chengdu", "Qingdao", "Xiamen"]),
    ("AS", "JP", "Asia/Tokyo", ["Sapporo", "Kobe", "Sendai", "Fukuoka"]),
    ("AS", "KR", "Asia/Seoul", ["Busan", "Daegu", "Incheon"]),
    ("AS", "IN", "Asia/Kolkata", ["Pune", "Kochi", "Surat", "Indore"]),
    ("AS", "NP", "Asia/Kathmandu", ["Pokhara"]),
    ("EU", "DE", "Europe/Berlin", ["Hamburg", "Leipzig", "Bremen", "Freiburg"]),
    ("EU", "FR", "Europe/Paris", ["Lyon", "Nantes", "Lille"]),
    ("EU", "IT", "Europe/Rome", ["Ravenna", "Turin", "Bologna"]),
    ("EU", "ES", "Europe/Madrid", ["Valencia", "Bilbao", "Seville"]),
    ("EU", "PT", "Europe/Lisbon", ["Lisbon", "Porto"]),
    ("EU", "IE", "Europe/Dublin", ["Cork", "Galway"]),
    ("EU", "DK", "Europe/Copenhagen", ["Aarhus", "Odense"]),
    ("EU", "PL", "Europe/Warsaw", ["Gdansk", "Wroclaw"]),
    ("EU", "FI", "Europe/Helsinki", ["Tampere", "Oulu"]),
    ("EU", "NL", "Europe/Amsterdam", ["Utrecht", "Eindhoven"]),
    ("AM", "US", "America/New_York", ["Pittsburgh", "Boston"]),
    ("AM", "US", "America/Los_Angeles", ["Portland", "San Diego"]),
    ("AM", "BR", "America/Sao_Paulo", ["Curitiba"]),
    ("AM", "CL", "America/Santiago", ["Valparaiso"]),
    ("AM", "MX", "America/Mexico_City", ["Puebla"]),
]
REGION_WEIGHTS = {"AS": 0.35, "EU": 0.47, "AM": 0.18}
HOURS = {  # lunch-split working windows per region (local time)
    "AS": [[("08:30", "12:00"), ("13:30", "17:30")], [("09:00", "12:00"), ("14:00", "17:30")],
           [("08:00", "11:30"), ("13:00", "17:00")]],
    "EU": [[("09:00", "12:30"), ("13:30", "17:00")], [("08:00", "12:00"), ("13:00", "16:00")],
           [("09:30", "13:00"), ("14:30", "18:00")], [("08:30", "12:00"), ("13:00", "16:30")]],
    "AM": [[("09:00", "12:00"), ("13:00", "17:00")], [("08:00", "12:00"), ("13:00", "16:00")]],
}
PAIR_MIX = [  # (region, region, weight) of non-hub requests
    (("AS", "EU"), 0.45), (("EU", "EU"), 0.2), (("EU", "AM"), 0.15), (("AS", "AS"), 0.12), (("AS", "AM"), 0.08),
]
TOPICS = ["wetlands", "smart-city", "tourism", "industry-park", "urban-rural", "vocational-education", "rural-expo"]
DURATIONS = [(60, 0.6), (90, 0.25), (45, 0.1), (30, 0.05)]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class _City:
    id: str
    name: str
    region: str
    country: str
    tz: str


def _weighted(rng: random.Random, items: list[tuple[Any, float]]) -> Any:
    return rng.choices([item for item, _ in items], weights=[weight for _, weight in items])[0]


def generate(size: str, seed: int = 1) -> dict[str, Any]:
    """A schedbench instance of ``size`` (see ``SIZES``); the same seed gives the same instance."""
    city_count, request_count, hub_count = SIZES[size]
    rng = random.Random(f"{size}-{seed}")
    by_region: dict[str, list[tuple[str, str, str, list[str]]]] = {}
    for region, country, zone, names in PLACES:
        by_region.setdefault(region, []).append((region, country, zone, names))
    cities: list[_City] = []
    hubs: list[_City] = []
    for n in range(city_count):
        if n < hub_count:  # hubs are Chinese cities, as Panjin is
            region, country, zone, names = PLACES[0]
        else:
            region = _weighted(rng, list(REGION_WEIGHTS.items()))
            region, country, zone, names = rng.choice(by_region[region])
        name = names[n % len(names)] if n < len(names) else f"{rng.choice(names)} {n}"
        city = _City(f"c{n:04d}", name, region, country, zone)
        cities.append(city)
        if n < hub_count:
            hubs.append(city)
    members = {region: [c for c in cities if c.region == region and c not in hubs] for region in REGION_WEIGHTS}
    pairs: list[tuple[_City, _City]] = []
    per_hub = min(HUB_PARTNERS, max(1, request_count * 2 // 5 // hub_count))
    for hub in hubs:
        partners = [c for c in cities if c is not hub]
        for _ in range(per_hub):
            region = "EU" if rng.random() < 0.8 else rng.choice(["AS", "AM"])
            pool = members[region] or partners
            pairs.append((hub, rng.choice(pool)))
    while len(pairs) < request_count:
        left, right = _weighted(rng, PAIR_MIX)
        if not members[left] or not members[right]:
            continue
        a, b = rng.choice(members[left]), rng.choice(members[right])
        if a is not b:
            pairs.append((a, b))
    requests = [
        {"id": f"R{n + 1:05d}", "cities": [a.id, b.id], "topic": rng.choice(TOPICS),
         "duration_minutes": _weighted(rng, DURATIONS)}
        for n, (a, b) in enumerate(pairs[:request_count])
    ]
    return {
        "format": "schedbench-instance", "version": 1, "name": f"{size}-s{seed}",
        "generator": {"tool": "benchmarks.planner.generator", "size": size, "seed": seed},
        "horizon": {"start_date": "2026-03-16", "end_date": "2026-04-12"},
        "now_utc": "2026-03-16T03:00:00Z",
        "min_notice_minutes": 1440,
        "slot_minutes": 15,
        "max_meetings_per_city_day": 2,
        "objective": {"comfort_weight": 1.0, "earliness_weight": 0.5},
        "cities": [_city_json(rng, city) for city in cities],
        "requests": requests,
    }


def _city_json(rng: random.Random, city: _City) -> dict[str, Any]:
    hours = rng.choice(HOURS[city.region])
    availability: dict[str, list[list[str]]] = {day: [] for day in WEEKDAYS}
    for day in WEEKDAYS[:5]:
        availability[day] = [list(span) for span in hours]
    if rng.random() < 0.2:  # a short Friday
        availability["fri"] = [list(hours[0])]
    blackout = []
    if rng.random() < 0.25:
        blackout = sorted({f"2026-{rng.choice(['03', '04'])}-{rng.randint(1, 28):02d}" for _ in range(rng.randint(1, 3))})
    cap = rng.choice([1, 3]) if rng.random() < 0.1 else None
    return {
        "id": city.id, "name": city.name, "tz": city.tz, "country": city.country, "subdiv": None,
        "region": city.region, "availability": availability, "blackout_dates": blackout,
        "max_meetings_per_day": cap,
    }
