"""/schedule, /pending and /roadmap run a constant number of database queries, however many
sessions there are: each screen reads one read model, loaded in one query (and in batches).

Counted with SQLAlchemy's ``before_cursor_execute`` event on the application's own engine, from
the update arriving to the last answer sent, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import event

from bot.domain import MatchStatus, RoadmapEntry, Role
from offline_bot_api import FakeUser
from tandem.app import ENGINE_KEY
from tests.conversation.harness import COORDINATOR_ID, NOW, Harness, open_harness, stop_harness

COMMANDS = ("/schedule", "/pending", "/roadmap")
FEW, MANY = 10, 200


@pytest.fixture
async def harness(database_url: str) -> AsyncIterator[Harness]:
    running = await open_harness(database_url)
    try:
        yield running
    finally:
        await stop_harness(running)


async def add_pairs(h: Harness, first: int, count: int) -> None:
    """``count`` pairs of cities, each with a confirmed session a city reported on, and a planned match."""
    async with h.services.uow_factory() as uow:
        topics = {t.key: t.id for t in await uow.topics.list()}
        for n in range(first, first + count):
            china = await uow.cities.add(name=f"Panjin {n}", country="CN", timezone="Asia/Shanghai", group="China", now_utc=NOW)
            europe = await uow.cities.add(name=f"Lisbon {n}", country="PT", timezone="Europe/Lisbon", group="EU", now_utc=NOW)
            confirmed = await uow.matches.create(china.id, europe.id, topics["wetlands"], NOW)
            planned = await uow.matches.create(china.id, europe.id, topics["tourism"], NOW)
            assert confirmed is not None and planned is not None
            await uow.matches.transition(confirmed.id, [MatchStatus.OPEN], MatchStatus.CONFIRMED, NOW)
            session = await uow.sessions.add(
                match_id=confirmed.id, start_utc=NOW + timedelta(days=3, minutes=15 * n), duration_minutes=60,
                meeting_link=f"https://meet.jit.si/tandem-{n}", ical_uid=f"{n}@tandem", confirmed_by=COORDINATOR_ID, now_utc=NOW,
            )
            assert session is not None
            await uow.roadmap.record(RoadmapEntry(confirmed.id, session.id, china.id, f"Contact {n}", True, "a study visit", NOW))
            await uow.matches.transition(planned.id, [MatchStatus.OPEN], MatchStatus.PLANNED, NOW)
            await uow.matches.set_proposals(planned.id, [(NOW + timedelta(days=4, hours=h_), 1.0) for h_ in range(3)])
        await uow.contacts.add(display_name=f"Extra {first}", role=Role.CONTACT, language="en", now_utc=NOW, city_id=china.id)
        await uow.commit()


async def queries(h: Harness, user: FakeUser, command: str) -> tuple[int, int]:
    """(database queries, messages answered) for one command, from the update to the last answer."""
    engine = h.application.bot_data[ENGINE_KEY].sync_engine
    statements: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        answers = await h.send(user, command)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(statements), len(answers)


async def test_schedule_pending_and_roadmap_run_as_many_queries_for_two_hundred_sessions_as_for_ten(harness: Harness) -> None:
    coordinator = FakeUser(COORDINATOR_ID, "Ana", language_code="en")
    await harness.send(coordinator, "/start")
    await add_pairs(harness, 0, FEW)
    few = {command: await queries(harness, coordinator, command) for command in COMMANDS}
    await add_pairs(harness, FEW, MANY - FEW)
    many = {command: await queries(harness, coordinator, command) for command in COMMANDS}

    for command in COMMANDS:
        (queries_few, answers_few), (queries_many, answers_many) = few[command], many[command]
        expected = (1, 1) if command == "/pending" else (FEW, MANY)  # /pending: one paged message; else one per session
        assert (answers_few, answers_many) == expected, command
        assert queries_many == queries_few, f"{command}: {queries_few} queries for {FEW} rows, {queries_many} for {MANY}"
        assert queries_many <= 8, f"{command}: {queries_many} queries"
