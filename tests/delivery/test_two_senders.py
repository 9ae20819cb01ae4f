"""Two bot processes on one database send the same due messages: each goes out exactly once."""

from __future__ import annotations

import asyncio
from collections import Counter

from bot.clock import ManualClock
from bot.domain import OutboxStatus, Role
from bot.notices.outbox import Queued, queue
from storage.db import create_engine, create_session_factory
from storage.uow import UnitOfWorkFactory
from tests.delivery.conftest import NOW
from tests.delivery.support import PING, TelegramBoundary, delivery_service

CONTACTS = 60
MESSAGES_PER_CONTACT = 5


async def test_two_processes_sending_the_same_due_messages_send_each_exactly_once(database_url: str) -> None:
    engines = [create_engine(database_url), create_engine(database_url)]  # one engine per "process"
    try:
        factories = [UnitOfWorkFactory(create_session_factory(e)) for e in engines]
        async with factories[0]() as uow:
            for c in range(CONTACTS):
                contact = await uow.contacts.add(display_name=f"P{c}", role=Role.PARTICIPANT, language="en", now_utc=NOW,
                                                 telegram_user_id=5000 + c, chat_id=5000 + c)
                for n in range(MESSAGES_PER_CONTACT):
                    await queue(uow, Queued(kind=PING, contact_id=contact.id, due_utc=NOW, dedupe_key=f"{PING}:{c}:{n}", payload={"n": n}))
            await uow.commit()
        telegram = TelegramBoundary()  # one Telegram, one bot per "process"
        channels = [telegram, TelegramBoundary(telegram.api)]
        clock = ManualClock(NOW)
        services = [delivery_service(f, clock, ch, concurrency=8) for f, ch in zip(factories, channels)]
        start = asyncio.Event()

        async def process(i: int) -> int:
            await start.wait()
            # Several passes per process, as wake-ups and the sweep would start them.
            reports = await asyncio.gather(services[i].deliver_due(), services[i].deliver_due())
            return sum(len(r.sent) for r in reports)

        tasks = [asyncio.create_task(process(i)) for i in range(2)]
        start.set()
        sent_by = await asyncio.gather(*tasks)

        sent = Counter((d.chat_id, d.text) for d in telegram.delivered)  # counted at the Bot API
        assert len(sent) == CONTACTS * MESSAGES_PER_CONTACT  # none lost
        assert set(sent.values()) == {1}  # none twice
        assert all(sent_by), "one process did all the work: no race was tested"
        async with factories[1]() as uow:
            assert {m.status for m in await uow.outbox.list()} == {OutboxStatus.SENT}
    finally:
        for engine in engines:
            await engine.dispose()
