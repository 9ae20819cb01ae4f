"""Several processes on one PostgreSQL database: each "process" here is a Services root on an
engine of its own (its own connection pool), so their transactions really run at once on the server.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import ManualClock
from bot.config import Config, TopicConfig
from bot.domain import Actor, MatchStatus, NoticeKind
from bot.services import Services
from handlers.jobs import PLANNING_JOB, JobQueueWakeups
from storage.db import create_engine, create_session_factory
from storage.uow import UnitOfWorkFactory
from tandem.demo.scenario import load_scenario
from tests.services.conftest import NOW, PROGRAMME, add_city, job_queue_wakeups, join_city
from tests.services.test_planning_and_sessions import programme_services

ROUNDS = 50
PANJIN_CONTACT, LISBON_CONTACT = 2001, 4001

postgresql_only = pytest.mark.parametrize("empty_database_url", ["postgresql"], indirect=True)


def _services(engine: AsyncEngine, config: Config) -> Services:
    clock = ManualClock(NOW)
    return Services(config=config, clock=clock, uow_factory=UnitOfWorkFactory(create_session_factory(engine)), wakeups=job_queue_wakeups(clock))


@pytest.fixture
async def two_engines(database_url: str) -> AsyncIterator[tuple[AsyncEngine, AsyncEngine]]:
    first, second = create_engine(database_url), create_engine(database_url)
    yield first, second
    await first.dispose()
    await second.dispose()


@postgresql_only
async def test_two_processes_choosing_a_shared_topic_at_once_make_exactly_one_match_every_round(
    two_engines: tuple[AsyncEngine, AsyncEngine],
) -> None:
    # One topic per round, so every round is a fresh pair of interests of the same two cities.
    topics = tuple(TopicConfig(f"topic-{i}", {"en": f"Topic {i}"}) for i in range(ROUNDS))
    config = Config(programme=replace(PROGRAMME, topics=topics))
    one, other = (_services(engine, config) for engine in two_engines)
    await one.interests.sync_topics()
    panjin = await add_city(one, "Panjin", "CN", "Asia/Shanghai", "China")
    lisbon = await add_city(one, "Lisbon", "PT", "Europe/Lisbon", "EU")
    await join_city(one, "Panjin", PANJIN_CONTACT)
    await join_city(one, "Lisbon", LISBON_CONTACT)
    async with one.uow_factory() as uow:
        topic_ids = [t.id for t in await uow.topics.list()]

    async def choose(at_once: asyncio.Event, services: Services, contact: int, city_id: int, topic_id: int) -> int:
        await at_once.wait()
        view = await services.interests.choose(by=Actor.telegram(contact), city_id=city_id, topic_id=topic_id, chosen=True)
        return len(view.new_matches)

    reported = 0
    for topic_id in topic_ids:
        at_once = asyncio.Event()
        tasks = [
            asyncio.create_task(choose(at_once, one, PANJIN_CONTACT, panjin, topic_id)),
            asyncio.create_task(choose(at_once, other, LISBON_CONTACT, lisbon, topic_id)),
        ]
        await asyncio.sleep(0)  # both tasks wait on the event: they start their transactions together
        at_once.set()
        reported += sum(await asyncio.gather(*tasks))

    async with one.uow_factory() as uow:
        matches = await uow.matches.of_city(panjin)
        notices = [m for m in await uow.outbox.list() if m.kind == NoticeKind.MATCH_NOTICE.value]
    per_topic = {topic_id: sum(m.topic_id == topic_id for m in matches) for topic_id in topic_ids}
    lost = [topic_id for topic_id, count in per_topic.items() if count == 0]
    assert not lost, f"{len(lost)} of {ROUNDS} shared topics made no match"
    assert len(matches) == ROUNDS and set(per_topic.values()) == {1}
    assert reported == ROUNDS  # exactly one of each two taps made the match
    assert len(notices) == 2 * ROUNDS  # and each side heard of it once



@postgresql_only
async def test_two_processes_starting_at_once_on_a_fresh_database_both_sync_the_topics(
    two_engines: tuple[AsyncEngine, AsyncEngine],
) -> None:
    config = Config(programme=PROGRAMME)
    one, other = (_services(engine, config) for engine in two_engines)
    for _ in range(20):
        async with two_engines[0].begin() as connection:  # a fresh database again: no topic yet
            await connection.execute(text("DELETE FROM topics"))
        await asyncio.gather(one.interests.sync_topics(), other.interests.sync_topics())  # neither raises
        async with other.uow_factory() as uow:
            assert [(t.key, t.titles) for t in await uow.topics.list()] == [(t.key, dict(t.titles)) for t in PROGRAMME.topics]


@postgresql_only
async def test_one_planning_run_at_a_time_across_processes_the_others_skip_and_ask_again(
    two_engines: tuple[AsyncEngine, AsyncEngine],
) -> None:
    scenario = load_scenario()
    one, _ = await programme_services(UnitOfWorkFactory(create_session_factory(two_engines[0])), scenario)
    other = replace(one, uow_factory=UnitOfWorkFactory(create_session_factory(two_engines[1])), wakeups=job_queue_wakeups(one.clock))  # type: ignore[arg-type]

    async with one.uow_factory.exclusively("planning") as mine:  # the first process is planning
        assert mine
        skipped = await other.planning.plan_and_notify()
    assert skipped.skipped and skipped.planned == 0
    assert isinstance(other.wakeups, JobQueueWakeups)
    assert len(other.wakeups.job_queue.get_jobs_by_name(PLANNING_JOB)) == 1  # it asked for another run, after the debounce
    ran = await other.planning.plan_and_notify()  # the lock died with the first run
    assert not ran.skipped and ran.planned == scenario.expected_matches

    # Both at once, for real: no error, and every match's proposals and notices are whole.
    reports = await asyncio.gather(one.planning.plan_and_notify(), other.planning.plan_and_notify())
    assert not all(report.skipped for report in reports)
    async with one.uow_factory() as uow:
        proposals = await uow.matches.proposals_of([m.id for m in await uow.matches.with_status(MatchStatus.PLANNED)])
        told = Counter(
            (m.contact_id, int(match_id))
            for m in await uow.outbox.list() if m.kind == NoticeKind.PLANNING_DIGEST.value
            for match_id in str(m.payload["planned"]).split()
        )
    assert len(proposals) == scenario.expected_matches
    assert all(len(slots) == one.config.scheduling.slots_offered for slots in proposals.values())
    assert len(told) == scenario.expected_matches * len(one.config.programme.coordinators)
    assert set(told.values()) == {1}  # the later runs found the same best slots: nothing new to tell
