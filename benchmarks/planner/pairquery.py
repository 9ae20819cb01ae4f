"""Speed of the chat's pair query: two cities, a 21-day horizon, a busy calendar."""

from __future__ import annotations

import statistics
import time
from datetime import date, datetime, timedelta, timezone

from bot.planner import CityCalendar, FixedSession, PlanningProblem, parse_weekly_hours
from bot.planner.queries import candidate_slots


def measure(repeats: int = 50) -> str:
    panjin = CityCalendar("panjin", "Asia/Shanghai", "CN", None, parse_weekly_hours("Mon-Fri 08:30-11:30, 13:30-17:30"))
    lisbon = CityCalendar("lisbon", "Europe/Lisbon", "PT", None, parse_weekly_hours("Mon-Fri 09:30-12:30, 14:00-18:00"))
    now = datetime(2027, 3, 22, 8, tzinfo=timezone.utc)
    # One session a day for each city at 02:00 UTC (10:00 in Panjin), so one cap slot a day stays free.
    busy = [
        FixedSession((city, "elsewhere"), start, start + timedelta(hours=1))
        for n in range(20)
        for city in ("panjin", "lisbon")
        for start in [datetime(2027, 3, 24, 2, tzinfo=timezone.utc) + timedelta(days=n, hours=0 if city == "panjin" else 10)]
    ]
    problem = PlanningProblem(
        now_utc=now, horizon_start=date(2027, 3, 22), horizon_end=date(2027, 4, 11), min_notice=timedelta(hours=48),
        granularity_minutes=15, max_per_city_day=2, cities={"panjin": panjin, "lisbon": lisbon},
    )
    candidate_slots(problem, "panjin", "lisbon", 60, busy=busy)  # warm the holiday and zone caches
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        slots = candidate_slots(problem, "panjin", "lisbon", 60, busy=busy, limit=5)
        times.append(time.perf_counter() - started)
    return (
        f"pair query (Panjin x Lisbon, 21 days, 60 min, 40 busy sessions): median {statistics.median(times) * 1000:.2f} ms, "
        f"max {max(times) * 1000:.2f} ms over {repeats} runs; {len(slots)} slots returned, best {slots[0].start_utc:%Y-%m-%d %H:%M}Z"
        if slots else "pair query returned no slots"
    )
