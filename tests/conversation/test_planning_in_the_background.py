"""A planning run does not hold the database while it plans: the bot answers meanwhile (SQLite,
whose transactions take the only write lock)."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from benchmarks.load.programme import cities, fill
from bot.domain import MatchStatus
from offline_bot_api import FakeUser
from tests.conversation.harness import start_harness, stop_harness

PLANNING_STARTED = "planning outside the database"


class _Signal(logging.Handler):
    """Sets an event when the planning run has read its snapshot and started planning."""

    def __init__(self, event: asyncio.Event) -> None:
        super().__init__(logging.DEBUG)
        self.event = event

    def emit(self, record: logging.LogRecord) -> None:
        if PLANNING_STARTED in record.getMessage():
            self.event.set()


async def test_help_is_answered_while_a_planning_run_over_450_matches_is_still_planning(tmp_path: Path) -> None:
    h = await start_harness(tmp_path)
    started = asyncio.Event()
    signal = _Signal(started)
    planning_log = logging.getLogger("bot.services.planning")
    planning_log.addHandler(signal)
    planning_log.setLevel(logging.DEBUG)
    try:
        assert await fill(h.services.uow_factory, h.services.config) >= 400
        run = asyncio.create_task(h.services.planning.plan_and_notify())
        await asyncio.wait_for(started.wait(), timeout=120)
        [answer] = await h.send(FakeUser(555, "Someone", language_code="en"), "/help")
        answered_while_planning = not run.done()
        report = await asyncio.wait_for(run, timeout=300)
    finally:
        planning_log.removeHandler(signal)
        planning_log.setLevel(logging.NOTSET)
        await stop_harness(h)
    assert "/language" in (answer.text or "")  # the help itself
    assert answered_while_planning, "the answer waited for the planning run"
    assert report.planned >= 400  # the run went on and wrote its plan afterwards


class _ChangeHoursWhilePlanning(logging.Handler):
    """When the run has read its snapshot, a coordinator clears one city's hours (another connection)."""

    def __init__(self, database: str, city_id: int) -> None:
        super().__init__(logging.DEBUG)
        self.database, self.city_id, self.done = database, city_id, False

    def emit(self, record: logging.LogRecord) -> None:
        if PLANNING_STARTED in record.getMessage() and not self.done:
            self.done = True
            with sqlite3.connect(self.database) as connection:
                connection.execute("DELETE FROM weekly_hours WHERE city_id = ?", (self.city_id,))


async def test_a_change_while_planning_makes_the_run_plan_again_and_store_no_stale_plan(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    h = await start_harness(tmp_path)
    try:
        await fill(h.services.uow_factory, h.services.config)
        async with h.services.uow_factory() as uow:
            [city] = [c for c in await uow.cities.list() if c.name == cities()[0].name]
            its_matches = {m.id for m in await uow.matches.of_city(city.id)}
        database = make_url(h.services.config.database.url).database
        assert database is not None and its_matches
        change = _ChangeHoursWhilePlanning(database, city.id)
        planning_log = logging.getLogger("bot.services.planning")
        planning_log.addHandler(change)
        planning_log.setLevel(logging.DEBUG)
        try:
            report = await h.services.planning.plan_and_notify()
        finally:
            planning_log.removeHandler(change)
            planning_log.setLevel(logging.NOTSET)
        async with h.services.uow_factory() as uow:
            matches = await uow.matches.of_city(city.id)
            proposals = await uow.matches.proposals_of(its_matches)
    finally:
        await stop_harness(h)
    assert change.done and any("changed while planning; planning again" in r.getMessage() for r in caplog.records)
    assert report.waiting_for_hours == len(its_matches)
    assert all(m.status is MatchStatus.OPEN and m.reason == "waiting_for_hours" for m in matches)
    assert proposals == {}  # no slot from the hours the city no longer has
