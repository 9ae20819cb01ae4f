"""A seeded look-alike of the public instances' generator family (planner-format.md).

The public instances (``planner/public-*.json`` in the programme's shared folder) come from a
generator that is not ours; the planner must do as well on its unseen seeds. This one mimics what
those instances show, measured on them, so that the benchmark checks the planner on instances
nobody tuned to, from the same kind of world:

- cities: 45 % Asia (a quarter of all cities Chinese; Japan, India, Korea, South-East Asia, a
  few in Central Asia, Nepal and the Gulf), 45 % Europe (Germany the most), 10 % the Americas;
  real zones, and subdivisions (England, New York, Ontario, São Paulo, German states ...) so that
  regional holidays apply;
- working windows split by lunch, with the variations found there: Chinese and South-East Asian
  long Tuesdays and Thursdays (to 19:00-19:30), Saturday mornings in Asia, European short
  Fridays and free Wednesday afternoons, one-piece days (08:00-16:00), American 07:00 starts on
  some days; so Asia-Europe overlaps are one to three hours and grow by an hour after the EU
  clock change (2026-03-29) inside the horizon 2026-03-16..2026-04-10;
- a quarter of the cities with one to five blackout dates; a daily cap of 3 for about one city in
  ten and of 1 for one in twenty (default 2); 60- or 90-minute meetings (70 / 30 %); a 15- or
  30-minute grid;
- requests: two in three between Asia and Europe, the rest within Europe, Europe-Americas,
  within Asia; partners drawn by a heavy-tailed popularity, plus hub cities (1 / 2 / 8 / 25 by
  size, the first one Panjin) wanted by 30-60 extra partners each, mostly on the other continent,
  so that a fifth of the cities are asked for more meetings than their days can hold.
"""

from __future__ import annotations

import math
import random
from typing import Any

SIZES = {  # cities, requests, hubs
    "small": (10, 30, 1),
    "medium": (60, 400, 2),
    "large": (300, 3000, 8),
    "xl": (1000, 15000, 25),
}
REGION_SHARE = {"AS": 0.45, "EU": 0.45, "AM": 0.10}
# country, zones (weights), subdivisions (weights; None: none), share within its region
COUNTRIES: dict[str, list[tuple[str, list[tuple[str, int]], list[tuple[str | None, int]], int]]] = {
    "AS": [
        ("CN", [("Asia/Shanghai", 1)], [(None, 1)], 243),
        ("IN", [("Asia/Kolkata", 1)], [(None, 8), ("MH", 1), ("GJ", 1), ("TN", 1), ("KA", 1)], 54),
        ("JP", [("Asia/Tokyo", 1)], [(None, 1)], 53),
        ("KR", [("Asia/Seoul", 1)], [(None, 1)], 28),
        ("TH", [("Asia/Bangkok", 1)], [(None, 1)], 17),
        ("MY", [("Asia/Kuala_Lumpur", 1)], [(None, 1)], 15),
        ("VN", [("Asia/Ho_Chi_Minh", 1)], [(None, 1)], 13),
        ("ID", [("Asia/Jakarta", 1)], [(None, 1)], 12),
        ("PH", [("Asia/Manila", 1)], [(None, 1)], 10),
        ("SG", [("Asia/Singapore", 1)], [(None, 1)], 1),
        ("KZ", [("Asia/Almaty", 1)], [(None, 1)], 1),
        ("UZ", [("Asia/Samarkand", 1)], [(None, 1)], 1),
        ("NP", [("Asia/Kathmandu", 1)], [(None, 1)], 1),
        ("AE", [("Asia/Dubai", 1)], [(None, 1)], 1),
    ],
    "EU": [
        ("DE", [("Europe/Berlin", 1)], [(None, 8), ("NW", 2), ("BY", 1), ("BW", 1), ("SN", 1), ("HH", 1)], 111),
        ("IT", [("Europe/Rome", 1)], [(None, 1)], 44),
        ("FR", [("Europe/Paris", 1)], [(None, 12), ("57", 1)], 40),
        ("GB", [("Europe/London", 1)], [("ENG", 14), ("SCT", 1), ("WLS", 1), ("NIR", 1)], 39),
        ("ES", [("Europe/Madrid", 1)], [(None, 6), ("CT", 1), ("AN", 1), ("PV", 1)], 37),
        ("PL", [("Europe/Warsaw", 1)], [(None, 1)], 29),
        ("NL", [("Europe/Amsterdam", 1)], [(None, 1)], 19),
        ("FI", [("Europe/Helsinki", 1)], [(None, 1)], 17),
        ("SE", [("Europe/Stockholm", 1)], [(None, 1)], 17),
        ("CZ", [("Europe/Prague", 1)], [(None, 1)], 16),
        ("AT", [("Europe/Vienna", 1)], [(None, 1)], 14),
        ("HU", [("Europe/Budapest", 1)], [(None, 1)], 12),
        ("RO", [("Europe/Bucharest", 1)], [(None, 1)], 11),
        ("PT", [("Europe/Lisbon", 1)], [(None, 1)], 10),
        ("BE", [("Europe/Brussels", 1)], [(None, 1)], 8),
        ("GR", [("Europe/Athens", 1)], [(None, 1)], 6),
        ("CH", [("Europe/Zurich", 1)], [("ZH", 1), ("GE", 1), ("BS", 1)], 3),
        ("IE", [("Europe/Dublin", 1)], [(None, 1)], 2),
        ("DK", [("Europe/Copenhagen", 1)], [(None, 1)], 2),
        ("NO", [("Europe/Oslo", 1)], [(None, 1)], 2),
        ("BG", [("Europe/Sofia", 1)], [(None, 1)], 2),
        ("LT", [("Europe/Vilnius", 1)], [(None, 1)], 1),
        ("EE", [("Europe/Tallinn", 1)], [(None, 1)], 1),
        ("HR", [("Europe/Zagreb", 1)], [(None, 1)], 1),
        ("TR", [("Europe/Istanbul", 1)], [(None, 1)], 1),
    ],
    "AM": [
        ("US", [("America/New_York", 23), ("America/Los_Angeles", 18), ("America/Chicago", 10), ("America/Denver", 3)],
         [("NY", 20), ("CA", 17), ("IL", 9), ("CO", 3), ("TX", 1), ("WA", 1), (None, 3)], 55),
        ("CA", [("America/Toronto", 18), ("America/Vancouver", 1)], [("ON", 17), ("BC", 1), ("QC", 1)], 19),
        ("BR", [("America/Sao_Paulo", 1)], [("SP", 1)], 13),
        ("MX", [("America/Mexico_City", 10), ("America/Monterrey", 1)], [(None, 1)], 11),
        ("CL", [("America/Santiago", 1)], [("VS", 1), (None, 1)], 1),
        ("AR", [("America/Argentina/Buenos_Aires", 1)], [(None, 1)], 1),
    ],
}
PAIR_MIX = [  # (region, region, weight) of requests that are not a hub's
    (("AS", "EU"), 65), (("EU", "EU"), 14), (("AM", "EU"), 10.5), (("AS", "AS"), 7), (("AM", "AM"), 2), (("AM", "AS"), 1),
]
TOPICS = [
    "youth exchange", "green energy", "culture festival", "vocational training", "healthcare cooperation",
    "smart city", "trade fair preparation", "port logistics", "education partnership", "sports exchange",
    "wetland conservation", "agriculture & food", "urban planning", "e-commerce", "tourism exchange",
]
HORIZON = ("2026-03-16", "2026-04-10")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
BLACKOUT_DAYS = [f"2026-03-{day:02d}" for day in range(16, 32)] + [f"2026-04-{day:02d}" for day in range(1, 11)]


def _pick(rng: random.Random, weighted: list[tuple[Any, float]]) -> Any:
    return rng.choices([item for item, _ in weighted], weights=[weight for _, weight in weighted])[0]


def _hm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _hours(rng: random.Random, region: str) -> dict[str, list[list[str]]]:
    """A week of lunch-split windows with the variations the public instances show."""
    if region == "AS":
        start = _pick(rng, [(480, 129), (510, 125), (540, 142), (570, 29), (600, 25)])
        lunch = _pick(rng, [(690, 1), (720, 1)])
        back = _pick(rng, [(750, 79), (780, 70), (810, 139), (840, 146), (870, 12)])
        end = _pick(rng, [(1020, 123), (1050, 161), (1080, 149), (1110, 14)])
    elif region == "EU":
        start = _pick(rng, [(480, 109), (510, 114), (540, 169), (570, 58)])
        lunch = _pick(rng, [(720, 1), (750, 1)])
        back = _pick(rng, [(750, 46), (780, 148), (810, 119), (840, 37)])
        end = _pick(rng, [(960, 93), (990, 78), (1020, 121), (1050, 53), (1080, 55)])
    else:
        start = _pick(rng, [(480, 19), (510, 22), (540, 35)])
        lunch = _pick(rng, [(720, 1), (750, 1)])
        back = _pick(rng, [(780, 1), (810, 1)])
        end = _pick(rng, [(990, 26), (1020, 30), (1050, 44)])
    back = max(back, lunch + 30)
    day = [[start, lunch], [back, end]]
    week = {name: [list(span) for span in day] for name in WEEKDAYS[:5]}
    draw = rng.random()
    if region == "AS":
        if draw < 0.01:  # one piece, a different length each day (Almaty, Dubai, Pokhara)
            for name in WEEKDAYS[:5]:
                week[name] = [[_pick(rng, [(480, 1), (540, 1)]), _pick(rng, [(900, 1), (960, 1), (1020, 1)])]]
        elif draw < 0.23:  # long Tuesdays and Thursdays
            late = _pick(rng, [(1140, 1), (1170, 2)])
            week["tue"][1][1] = week["thu"][1][1] = max(late, end)
        if rng.random() < 0.13:
            week["sat"] = [[540, 720]]
    elif region == "EU":
        if draw < 0.33:  # one piece, no lunch break
            piece_end = _pick(rng, [(900, 2), (930, 3), (960, 3), (990, 2)])
            for name in WEEKDAYS[:5]:
                week[name] = [[start, piece_end]]
            if rng.random() < 0.3:
                week["fri"] = [[start, piece_end - 30]]
        elif draw < 0.58:  # short Friday
            week["fri"] = [[start, lunch]] if rng.random() < 0.3 else [[start, lunch], [back, _pick(rng, [(840, 1), (900, 1)])]]
        elif draw < 0.68:  # Wednesday afternoon off
            week["wed"] = [[start, lunch]]
    else:
        if draw < 0.25:  # early Mondays and Wednesdays
            week["mon"][0][0] = week["wed"][0][0] = 420
    result: dict[str, list[list[str]]] = {name: [] for name in WEEKDAYS}
    for name, spans in week.items():
        result[name] = [[_hm(a), _hm(b)] for a, b in spans if a < b]
    return result


def generate(size: str, seed: int = 1) -> dict[str, Any]:
    """An instance of ``size`` (see ``SIZES``); the same size and seed give the same instance."""
    city_count, request_count, hub_count = SIZES[size]
    rng = random.Random(f"lookalike-{size}-{seed}")
    per_region = {region: round(city_count * share) for region, share in REGION_SHARE.items()}
    per_region["EU"] = city_count - per_region["AS"] - per_region["AM"]
    cities: list[dict[str, Any]] = []
    region_of: dict[str, str] = {}
    for region in ("AS", "EU", "AM"):
        for n in range(per_region[region]):
            if region == "AS" and n == 0:
                country, zones, subdivisions = "CN", [("Asia/Shanghai", 1)], [(None, 1)]
            else:
                country, zones, subdivisions, _ = _pick(rng, [(entry, entry[3]) for entry in COUNTRIES[region]])
            city_id = "panjin" if region == "AS" and n == 0 else f"{country.lower()}-{region.lower()}{n:04d}"
            blackout: list[str] = []
            if rng.random() < 0.27:
                blackout = sorted(rng.sample(BLACKOUT_DAYS, _pick(rng, [(1, 84), (2, 78), (3, 88), (4, 9), (5, 9)])))
            cap = _pick(rng, [(None, 85), (3, 10), (1, 5)])
            cities.append({
                "id": city_id, "name": city_id.title(), "tz": _pick(rng, zones), "country": country,
                "subdiv": _pick(rng, subdivisions), "region": region, "availability": _hours(rng, region),
                "blackout_dates": blackout, "max_meetings_per_day": cap,
            })
            region_of[city_id] = region
    by_region = {region: [c["id"] for c in cities if c["region"] == region] for region in ("AS", "EU", "AM")}
    # Heavy-tailed popularity: most cities are asked by 15-45 partners at xl, a few by many more.
    popularity = {c["id"]: math.exp(rng.gauss(0.0, 0.3)) for c in cities}
    hubs = [by_region["AS"][0]]
    others = [c["id"] for c in cities if c["id"] not in hubs]
    rng.shuffle(others)
    hubs += [city for city in others if region_of[city] in ("AS", "EU")][: hub_count - 1]
    pairs: list[tuple[str, str]] = []
    for n, hub in enumerate(hubs):
        extra = min(rng.randint(30, 60) if n else rng.randint(45, 70), request_count // (3 * hub_count) + 1)
        other_side = "EU" if region_of[hub] == "AS" else "AS"
        for _ in range(extra):
            region = other_side if rng.random() < 0.75 else _pick(rng, [("EU", 2), ("AS", 1), ("AM", 1)])
            pool = [city for city in by_region[region] if city != hub]
            pairs.append((hub, rng.choices(pool, weights=[popularity[city] for city in pool])[0]))
    while len(pairs) < request_count:
        left, right = _pick(rng, PAIR_MIX)
        a = rng.choices(by_region[left], weights=[popularity[city] for city in by_region[left]])[0]
        b = rng.choices(by_region[right], weights=[popularity[city] for city in by_region[right]])[0]
        if a != b:
            pairs.append((a, b) if rng.random() < 0.5 else (b, a))
    rng.shuffle(pairs)
    requests = [
        {"id": f"R{n + 1:05d}", "cities": [a, b], "topic": rng.choice(TOPICS),
         "duration_minutes": _pick(rng, [(60, 70), (90, 30)])}
        for n, (a, b) in enumerate(pairs[:request_count])
    ]
    return {
        "format": "schedbench-instance", "version": 1, "name": f"lookalike-{size}-s{seed}",
        "generator": {"tool": "benchmarks.planner.generator", "size": size, "seed": seed},
        "horizon": {"start_date": HORIZON[0], "end_date": HORIZON[1]},
        "now_utc": "2026-03-16T03:00:00Z",
        "min_notice_minutes": 1440,
        "slot_minutes": _pick(rng, [(15, 1), (30, 1)]),
        "max_meetings_per_city_day": 2,
        "objective": {"comfort_weight": 1.0, "earliness_weight": 0.5},
        "cities": cities,
        "requests": requests,
    }
