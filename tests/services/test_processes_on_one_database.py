"""Several processes on one PostgreSQL database: each "process" here is a Services root on an
engine of its own (its own connection pool), so their transactions really run at once on the server.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import ManualClock
from bot.config import Config, TopicConfig
from bot.domain import Actor, NoticeKind
from bot.services import Services
from storage.db import create_engine, create_session_factory
from storage.uow import UnitOfWorkFactory
from tests.services.conftest import NOW, PROGRAMME, add_city, job_queue_wakeups, join_city

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
