"""/schedule, /pending and /roadmap run a constant number of database queries, however many
sessions there are: each screen reads one read model, loaded in one query (and in batches).

Counted with SQLAlchemy's ``before_cursor_execute`` event on the application's own engine, from
the update arriving to the last answer sent, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event

from bot import callback_data
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


@contextlib.contextmanager
def listening(h: Harness, hooks: list[tuple[str, Callable[..., None]]]) -> Iterator[None]:
    """The application's engine calls ``hooks`` (event name, listener) inside the block."""
    engine = h.application.bot_data[ENGINE_KEY].sync_engine
    for name, hook in hooks:
        event.listen(engine, name, hook)
    try:
        yield
    finally:
        for name, hook in hooks:
            event.remove(engine, name, hook)


@contextlib.contextmanager
def counting(h: Harness) -> Iterator[list[str]]:
    """The statements the application's engine runs inside the block."""
    statements: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    with listening(h, [("before_cursor_execute", count)]):
        yield statements


@contextlib.contextmanager
def transactions(h: Harness) -> Iterator[list[list[str]]]:
    """The statements the application's engine runs inside the block, one list per transaction."""
    open_: dict[int, list[str]] = {}
    ended: list[list[str]] = []

    def begin(conn: Any) -> None:
        open_[id(conn)] = []

    def statement(conn: Any, cursor: object, text: str, *args: object) -> None:
        if not text.lstrip().upper().startswith("BEGIN"):  # SQLite's own BEGIN (storage.db) is sent as a statement
            open_.setdefault(id(conn), []).append(text)

    def end(conn: Any) -> None:
        ended.append(open_.pop(id(conn), []))

    with listening(h, [("begin", begin), ("before_cursor_execute", statement), ("commit", end), ("rollback", end)]):
        yield ended


async def queries(h: Harness, user: FakeUser, command: str) -> tuple[int, int]:
    """(database queries, messages answered) for one command, from the update to the last answer."""
    with counting(h) as statements:
        answers = await h.send(user, command)
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


async def test_a_tap_that_makes_twenty_matches_runs_as_many_queries_as_one_that_makes_one(harness: Harness) -> None:
    """Choosing a topic twenty cities chose makes twenty matches and forty notices in a fixed number
    of statements (the partners, the matches, the notices: each read or written at once)."""
    panjin = FakeUser(2000, "Li", language_code="en")
    async with harness.services.uow_factory() as uow:
        topics = {t.key: t.id for t in await uow.topics.list()}
        china = await uow.cities.add(name="Panjin", country="CN", timezone="Asia/Shanghai", group="China", now_utc=NOW)
        await uow.contacts.add(display_name="Li", role=Role.CONTACT, language="en", now_utc=NOW, city_id=china.id, telegram_user_id=panjin.id, chat_id=panjin.id)
        for n in range(20):
            europe = await uow.cities.add(name=f"Lisbon {n}", country="PT", timezone="Europe/Lisbon", group="EU", now_utc=NOW)
            await uow.contacts.add(display_name=f"Ana {n}", role=Role.CONTACT, language="en", now_utc=NOW, city_id=europe.id, telegram_user_id=3000 + n)
            await uow.interests.add(europe.id, topics["wetlands"])
            if n == 0:
                await uow.interests.add(europe.id, topics["tourism"])
        await uow.commit()
    [menu] = await harness.send(panjin, "/topics")
    counted: dict[str, int] = {}
    for key in ("tourism", "wetlands"):  # one partner, then twenty
        data = next(b.callback_data for row in harness.current(panjin, menu).buttons for b in row if b.callback_data.startswith("tp:") and callback_data.CHOOSE_TOPIC.parse(b.callback_data).topic_id == topics[key])
        with counting(harness) as statements:
            await harness.tap(panjin, menu, data)
        counted[key] = len(statements)
    async with harness.services.uow_factory() as uow:
        assert len(await uow.matches.of_city(china.id)) == 21
        assert len([m for m in await uow.outbox.list() if m.kind == "match_notice"]) == 42  # both sides of each
    assert counted["wetlands"] == counted["tourism"] <= 25, counted


async def test_a_tap_that_makes_twenty_matches_writes_in_one_short_transaction_and_reads_the_keyboard_after(harness: Harness) -> None:
    """While a tap's transaction runs it holds the topic's row lock (PostgreSQL) or the one write
    lock (SQLite) that every other tap queues for; so it runs only the writes and what they need
    (who taps, the topic, the partners, the matches, the notices), and the keyboard is read after
    the commit."""
    panjin = FakeUser(2000, "Li", language_code="en")
    async with harness.services.uow_factory() as uow:
        wetlands = next(t.id for t in await uow.topics.list() if t.key == "wetlands")
        china = await uow.cities.add(name="Panjin", country="CN", timezone="Asia/Shanghai", group="China", now_utc=NOW)
        await uow.contacts.add(display_name="Li", role=Role.CONTACT, language="en", now_utc=NOW, city_id=china.id, telegram_user_id=panjin.id, chat_id=panjin.id)
        for n in range(20):
            europe = await uow.cities.add(name=f"Lisbon {n}", country="PT", timezone="Europe/Lisbon", group="EU", now_utc=NOW)
            await uow.contacts.add(display_name=f"Ana {n}", role=Role.CONTACT, language="en", now_utc=NOW, city_id=europe.id, telegram_user_id=3000 + n)
            await uow.interests.add(europe.id, wetlands)
        await uow.commit()
    [menu] = await harness.send(panjin, "/topics")
    data = next(b.callback_data for row in harness.current(panjin, menu).buttons for b in row
                if b.callback_data.startswith("tp:") and callback_data.CHOOSE_TOPIC.parse(b.callback_data).topic_id == wetlands)
    with transactions(harness) as ended:
        await harness.tap(panjin, menu, data)
    [write] = [t for t in ended if any(s.lstrip().startswith("INSERT INTO interests") for s in t)]
    assert len(write) <= 9, write
    assert not any("FROM topics ORDER BY" in " ".join(s.split()) for s in write), "the keyboard's read is not in the write"
    assert any("✅" in text and "wetlands" in text.lower() for text in harness.current(panjin, menu).button_texts())
    async with harness.services.uow_factory.reading() as uow:
        assert len(await uow.matches.of_city(china.id)) == 20


@pytest.mark.parametrize("cities", [20, 100])
async def test_a_planning_run_writes_its_plan_in_a_fixed_number_of_statements(harness: Harness, cities: int) -> None:
    """The planning run's reads and its write transaction do not grow with the matches (which on
    SQLite hold the one write lock for every answer): planned matches move in one statement, and
    each distinct reason for no common time in one more."""
    from benchmarks.load.programme import fill

    made = await fill(harness.services.uow_factory, harness.services.config, count=cities)
    with counting(harness) as statements:
        report = await harness.services.planning.plan_and_notify()
    assert report.planned + report.unschedulable == made > cities // 2
    assert len(statements) <= 25 + report.unschedulable, f"{len(statements)} statements for {made} matches"
