"""The planning service plans in a process of its own: the same proposals as in the bot's process,
computed where the bot's event loop does not share the interpreter's lock with them."""

from __future__ import annotations

import asyncio
import os
from datetime import date, datetime, time, timezone

from bot.domain import WeeklyWindow
from bot.planner import CityCalendar, MeetingRequest, PlanningProblem
from bot.planner.proposals import propose
from bot.services.planning import solve_elsewhere

NOW = datetime(2027, 3, 22, 8, 0, tzinfo=timezone.utc)
OFFICE = tuple(WeeklyWindow(day, time(9), time(17)) for day in range(5))


def problem() -> PlanningProblem:
    cities = {
        1: CityCalendar(id=1, tz="Asia/Shanghai", country="CN", subdivision=None, windows=OFFICE),
        2: CityCalendar(id=2, tz="Europe/Lisbon", country="PT", subdivision=None, windows=OFFICE),
        3: CityCalendar(id=3, tz="America/Los_Angeles", country="US", subdivision=None, windows=OFFICE),
    }
    return PlanningProblem(
        now_utc=NOW, horizon_start=date(2027, 3, 29), horizon_end=date(2027, 4, 9), min_notice=NOW - NOW,
        granularity_minutes=15, max_per_city_day=2, cities=cities,
        requests=(MeetingRequest(10, 1, 2, 60), MeetingRequest(11, 1, 3, 60)),  # Panjin-Lisbon overlaps; Panjin-LA never does
    )


async def test_the_planners_process_proposes_what_the_bots_process_would_and_is_another_process() -> None:
    here = propose(problem(), 3)
    there = await solve_elsewhere(problem(), 3)
    assert there == here
    assert list(there.slots) == [10] and len(there.slots[10]) == 3 and list(there.reasons) == [11]
    loop = asyncio.get_running_loop()
    from bot.services import planning

    assert planning._worker is not None
    assert await loop.run_in_executor(planning._worker, os.getpid) != os.getpid()
