"""Concurrent writers end with exactly one winner, on SQLite and PostgreSQL, with real tasks."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from bot.domain import Channel, MatchStatus, OutboxStatus, Role
from storage.uow import UnitOfWorkFactory

NOW = datetime(2027, 3, 22, 8, 0, tzinfo=timezone.utc)
WRITERS = 8


async def two_cities_and_a_topic(uow_factory: UnitOfWorkFactory) -> tuple[int, int, int]:
    async with uow_factory() as uow:
        panjin = await uow.cities.add(name="Panjin", country="CN", timezone="Asia/Shanghai", group="China", now_utc=NOW)
        lisbon = await uow.cities.add(name="Lisbon", country="PT", timezone="Europe/Lisbon", group="EU", now_utc=NOW)
        await uow.topics.sync([("smart-city", {"en": "Smart city"})])
        topic = await uow.topics.by_key("smart-city")
        await uow.commit()
    assert topic is not None
    return panjin.id, lisbon.id, topic.id


async def test_concurrent_writers_creating_the_same_match_create_exactly_one(uow_factory: UnitOfWorkFactory) -> None:
    panjin, lisbon, topic = await two_cities_and_a_topic(uow_factory)
    start = asyncio.Event()

    async def writer(i: int) -> bool:
        await start.wait()
        async with uow_factory() as uow:
            # Half the writers name the pair the other way round: it is the same match.
            pair = (panjin, lisbon) if i % 2 else (lisbon, panjin)
            created = await uow.matches.create(*pair, topic, NOW)
            await uow.commit()
            return created is not None

    tasks = [asyncio.create_task(writer(i)) for i in range(WRITERS)]
    start.set()
    results = await asyncio.gather(*tasks)
    assert results.count(True) == 1
    async with uow_factory() as uow:
        assert len(await uow.matches.of_city(panjin)) == 1


async def test_concurrent_confirmations_of_one_match_have_one_winner_and_one_session(uow_factory: UnitOfWorkFactory) -> None:
    panjin, lisbon, topic = await two_cities_and_a_topic(uow_factory)
    async with uow_factory() as uow:
        match = await uow.matches.create(panjin, lisbon, topic, NOW)
        assert match is not None
        assert await uow.matches.transition(match.id, [MatchStatus.OPEN], MatchStatus.PLANNED, NOW)
        await uow.commit()
    start = asyncio.Event()

    async def coordinator(i: int) -> bool:
        await start.wait()
        async with uow_factory() as uow:
            won = await uow.matches.transition(match.id, [MatchStatus.PLANNED], MatchStatus.CONFIRMED, NOW)
            if not won:
                return False
            session = await uow.sessions.add(
                match_id=match.id,
                start_utc=NOW + timedelta(days=7, minutes=15 * i),
                duration_minutes=60,
                meeting_link="https://meet.jit.si/x",
                ical_uid=f"uid-{i}@tandem",
                confirmed_by=1000 + i,
                now_utc=NOW,
            )
            assert session is not None
            await uow.commit()
            return True

    tasks = [asyncio.create_task(coordinator(i)) for i in range(WRITERS)]
    start.set()
    assert (await asyncio.gather(*tasks)).count(True) == 1
    async with uow_factory() as uow:
        session = await uow.sessions.of_match(match.id)
        assert session is not None
        assert (await uow.matches.get(match.id)).status is MatchStatus.CONFIRMED  # type: ignore[union-attr]


async def test_concurrent_senders_claim_each_due_message_exactly_once(uow_factory: UnitOfWorkFactory) -> None:
    panjin, _, _ = await two_cities_and_a_topic(uow_factory)
    async with uow_factory() as uow:
        contacts = [
            await uow.contacts.add(display_name=f"Li Wei {n}", role=Role.CONTACT, language="zh", now_utc=NOW, city_id=panjin)
            for n in range(20)
        ]
        for i in range(60):  # three for each contact
            contact = contacts[i % 20]
            await uow.outbox.enqueue(
                dedupe_key=f"reminder:{i}",
                kind="reminder",
                channel=Channel.TELEGRAM,
                contact_id=contact.id,
                due_utc=NOW - timedelta(minutes=i),
                payload={"n": i},
            )
        # Not due yet: nobody may take it.
        await uow.outbox.enqueue(
            dedupe_key="later", kind="reminder", channel=Channel.TELEGRAM, contact_id=contact.id,
            due_utc=NOW + timedelta(hours=1), payload={},
        )
        await uow.commit()
    start = asyncio.Event()

    async def sender(worker: str) -> list[int]:
        await start.wait()
        taken: list[int] = []
        while True:
            async with uow_factory() as uow:
                claimed = await uow.outbox.claim_due(now_utc=NOW, worker=worker, limit=7)
                await uow.commit()
            if not claimed:
                return taken
            busy = [m.contact_id for m in claimed]
            assert len(set(busy)) == len(busy)  # one message per recipient at a time
            taken.extend(m.id for m in claimed)
            async with uow_factory() as uow:  # sent: the recipient's next message may be claimed
                for m in claimed:
                    assert await uow.outbox.settle(m.id, worker=worker, status=OutboxStatus.SENT, now_utc=NOW)
                await uow.commit()
            await asyncio.sleep(0)

    tasks = [asyncio.create_task(sender(f"worker-{i}")) for i in range(4)]
    start.set()
    claims = await asyncio.gather(*tasks)
    every_claim = [message_id for worker in claims for message_id in worker]
    assert len(every_claim) == 60
    assert len(set(every_claim)) == 60
    async with uow_factory() as uow:
        assert len(await uow.outbox.list(status=OutboxStatus.SENT)) == 60
        assert len(await uow.outbox.list(status=OutboxStatus.PENDING)) == 1


async def test_the_same_message_is_queued_once(uow_factory: UnitOfWorkFactory) -> None:
    panjin, _, _ = await two_cities_and_a_topic(uow_factory)
    async with uow_factory() as uow:
        contact = await uow.contacts.add(display_name="Li Wei", role=Role.CONTACT, language="zh", now_utc=NOW, city_id=panjin)
        await uow.commit()

    async def enqueue() -> bool:
        async with uow_factory() as uow:
            queued = await uow.outbox.enqueue(
                dedupe_key="invite:1:0:tg", kind="invite", channel=Channel.TELEGRAM,
                contact_id=contact.id, due_utc=NOW, payload={},
            )
            await uow.commit()
            return queued is not None

    assert (await asyncio.gather(*(enqueue() for _ in range(WRITERS)))).count(True) == 1


async def test_one_invite_code_binds_one_person_even_when_two_open_it_at_once(uow_factory: UnitOfWorkFactory) -> None:
    panjin, _, _ = await two_cities_and_a_topic(uow_factory)
    async with uow_factory() as uow:
        await uow.join_links.add(
            code_hash="f" * 64, city_id=panjin, role=Role.CONTACT, created_by=1001, now_utc=NOW,
            expires_at=NOW + timedelta(days=7),
        )
        people = [
            await uow.contacts.add(display_name=f"P{i}", role=Role.PARTICIPANT, language="en", now_utc=NOW)
            for i in range(WRITERS)
        ]
        await uow.commit()

    async def open_link(contact_id: int) -> bool:
        async with uow_factory() as uow:
            code = await uow.join_links.by_hash("f" * 64)
            assert code is not None
            used = await uow.join_links.use(code.id, contact_id=contact_id, now_utc=NOW)
            await uow.commit()
            return used

    assert (await asyncio.gather(*(open_link(p.id) for p in people))).count(True) == 1


async def test_concurrent_writers_of_one_matchs_proposals_leave_one_whole_set(uow_factory: UnitOfWorkFactory) -> None:
    """Two planning runs writing the same match's offered slots: no duplicate rank, one writer's set wins whole."""
    panjin, lisbon, topic = await two_cities_and_a_topic(uow_factory)
    async with uow_factory() as uow:
        match = await uow.matches.create(panjin, lisbon, topic, NOW)
        assert match is not None
        await uow.commit()
    start = asyncio.Event()

    async def planner(i: int) -> None:
        await start.wait()
        async with uow_factory() as uow:
            await uow.matches.set_proposals(match.id, [(NOW + timedelta(days=i, hours=h), 1.0) for h in range(3)])
            await asyncio.sleep(0)  # let the others reach their writes before this one commits
            await uow.commit()

    tasks = [asyncio.create_task(planner(i)) for i in range(WRITERS)]
    start.set()
    await asyncio.gather(*tasks)  # none raises IntegrityError on (match_id, rank)
    async with uow_factory() as uow:
        slots = await uow.matches.proposals(match.id)
    assert len(slots) == 3 and len({start.date() for start, _ in slots}) == 1


async def test_reminders_are_claimed_before_notices_that_fell_due_earlier(uow_factory: UnitOfWorkFactory) -> None:
    panjin, _, _ = await two_cities_and_a_topic(uow_factory)
    async with uow_factory() as uow:
        contacts = [
            await uow.contacts.add(display_name=f"Li Wei {n}", role=Role.CONTACT, language="zh", now_utc=NOW, city_id=panjin)
            for n in range(6)
        ]
        for n, contact in enumerate(contacts):  # a backlog: two notices each, due an hour ago
            for k in range(2):
                await uow.outbox.enqueue(dedupe_key=f"notice:{n}:{k}", kind="match_notice", channel=Channel.TELEGRAM,
                                         contact_id=contact.id, due_utc=NOW - timedelta(hours=1), payload={})
        for contact in contacts[3:]:  # reminders falling due now for half of them
            await uow.outbox.enqueue(dedupe_key=f"reminder:{contact.id}", kind="reminder", channel=Channel.TELEGRAM,
                                     contact_id=contact.id, due_utc=NOW, payload={})
        await uow.commit()
    async with uow_factory() as uow:
        first = await uow.outbox.claim_due(now_utc=NOW, worker="w", limit=3)
        await uow.commit()
    # The three reminders, each its recipient's first message although their notices were due earlier.
    assert [m.kind for m in first] == ["reminder"] * 3
    assert {m.contact_id for m in first} == {c.id for c in contacts[3:]}
    async with uow_factory() as uow:
        rest = await uow.outbox.claim_due(now_utc=NOW, worker="w", limit=10)
    assert [m.kind for m in rest] == ["match_notice"] * 3  # one per recipient who has none claimed
