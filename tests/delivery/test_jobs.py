"""The JobQueue wakeups: one delivery job moved only earlier, planning debounced, never two runs at once."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

from telegram.ext import ApplicationBuilder

from bot.clock import ManualClock
from bot.services.planning import PlanningReport, PlanningService
from handlers.jobs import DELIVER_JOB, PLANNING_JOB, JobQueueWakeups, _next_run, planning_job
from offline_bot_api import DEFAULT_TOKEN
from storage.db import create_engine, create_session_factory
from storage.uow import UnitOfWorkFactory
from tests.delivery.conftest import NOW


def wakeups(clock: ManualClock) -> JobQueueWakeups:
    application = ApplicationBuilder().token(DEFAULT_TOKEN).build()
    assert application.job_queue is not None
    return JobQueueWakeups(application.job_queue, clock, planning_debounce=timedelta(seconds=30))


def scheduled(w: JobQueueWakeups, name: str) -> list[datetime]:
    return [t for job in w.job_queue.get_jobs_by_name(name) if (t := _next_run(job)) is not None]


def real_now() -> datetime:
    return datetime.now(timezone.utc)


def test_an_earlier_due_message_moves_the_one_delivery_job_earlier_and_a_later_one_does_not() -> None:
    clock = ManualClock(NOW)
    w = wakeups(clock)
    w.outbox_changed(NOW + timedelta(hours=2))
    [first] = scheduled(w, DELIVER_JOB)
    assert timedelta(hours=2) - timedelta(seconds=5) < first - real_now() <= timedelta(hours=2)
    w.outbox_changed(NOW + timedelta(hours=3))
    assert scheduled(w, DELIVER_JOB) == [first]
    w.outbox_changed(NOW + timedelta(minutes=5))
    [moved] = scheduled(w, DELIVER_JOB)
    assert timedelta(minutes=4) < moved - real_now() <= timedelta(minutes=5)


def test_a_due_time_in_the_past_runs_now_and_the_manual_clock_never_schedules_years_away() -> None:
    clock = ManualClock(NOW)  # 2027 on the services' clock
    w = wakeups(clock)
    w.outbox_changed(NOW - timedelta(days=3))
    [when] = scheduled(w, DELIVER_JOB)
    assert abs(when - real_now()) < timedelta(seconds=5)


def test_each_planning_request_pushes_the_debounced_run_back() -> None:
    w = wakeups(ManualClock(NOW))
    w.planning_needed()
    [first] = scheduled(w, PLANNING_JOB)
    w.planning_needed()
    [second] = scheduled(w, PLANNING_JOB)
    assert second >= first and len(w.job_queue.get_jobs_by_name(PLANNING_JOB)) == 1


async def test_planning_runs_never_overlap_in_one_process(tmp_path: Path) -> None:
    """The debounced job and the interval job both go through the planning service's one lock."""
    running, overlaps, runs = 0, 0, 0

    async def slow_plan() -> tuple[PlanningReport, list[int]]:
        nonlocal running, overlaps, runs
        running += 1
        overlaps += running > 1
        await asyncio.sleep(0.01)
        runs += 1
        running -= 1
        return PlanningReport(0, 0, 0, 0), []

    # The locks are all this test needs: the process's own, and the database's (SQLite: always granted).
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/tandem.sqlite3")
    root = SimpleNamespace(uow_factory=UnitOfWorkFactory(create_session_factory(engine)))
    planning = PlanningService(root=root)  # type: ignore[arg-type]
    planning._plan = slow_plan  # type: ignore[method-assign]
    context = SimpleNamespace(services=SimpleNamespace(planning=planning))
    await asyncio.gather(*(planning_job(context) for _ in range(4)))  # type: ignore[arg-type]
    await engine.dispose()
    assert runs == 4 and overlaps == 0
