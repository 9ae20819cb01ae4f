"""Telegram's limits kept, and a person's own answers first, through the real application: the
rate limiter of ``handlers/rate_limit.py`` against the offline Bot API's flood guard (30/s
overall, 1/s per chat), over real HTTP.

The pacing test runs the limiter and the flood guard on one fast clock (``speed`` times the real
one: a fast clock for both sides, not a switch); the priority test runs at Telegram's own speed.
"""

from __future__ import annotations

import signal
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

from telegram.request import HTTPXRequest

from bot.clock import ManualClock
from bot.config import config_from_mapping
from bot.domain import Role
from bot.notices import RENDERERS
from bot.notices.outbox import Queued, queue
from handlers.rate_limit import TelegramRateLimiter
from offline_bot_api import DEFAULT_TOKEN, ChatDriver, FakeBotApi, FakeUser, FloodGuard, serve_bot_api
from storage.db import create_engine, create_session_factory, upgrade_async
from storage.uow import UnitOfWorkFactory
from tandem.app import build_application
from tests.delivery.support import PING, render_ping
from tests.processes.harness import TandemProcess, eventually, free_port, outbox_statuses, seed_reminders, write_config

NOW = datetime(2027, 3, 22, 8, 0, tzinfo=timezone.utc)


async def seed_pings(database: str, per_chat: list[int], *, first_chat: int = 900_000, due: datetime = NOW) -> list[int]:
    """``per_chat[i]`` messages of the tests' own kind to chat ``first_chat + i``, all due at ``due``."""
    engine = create_engine(database)
    uow_factory = UnitOfWorkFactory(create_session_factory(engine))
    try:
        async with uow_factory() as uow:
            chats = []
            n = 0
            for i, count in enumerate(per_chat):
                person = await uow.contacts.add(display_name=f"P{i}", role=Role.PARTICIPANT, language="en", now_utc=due,
                                                chat_id=first_chat + i)
                chats.append(first_chat + i)
                for _ in range(count):
                    await queue(uow, Queued(kind=PING, contact_id=person.id, due_utc=due, dedupe_key=f"{PING}:{n}", payload={"n": n}))
                    n += 1
            await uow.commit()
    finally:
        await engine.dispose()
    return chats


def application_for(database: str, base_url: str, clock: ManualClock, limiter: TelegramRateLimiter):  # type: ignore[no-untyped-def]
    config = config_from_mapping({"database": {"url": database}, "telegram": {"api_base_url": base_url}},
                                 env={"TANDEM_TELEGRAM_TOKEN": DEFAULT_TOKEN})
    return build_application(
        config, request=HTTPXRequest(connection_pool_size=64, read_timeout=30), clock=clock, rate_limiter=limiter,
        renderers={**RENDERERS, PING: render_ping},
    )


async def test_1000_messages_to_300_chats_with_a_burst_of_40_to_one_chat_meet_no_429(tmp_path: Path) -> None:
    speed = 4.0  # the limiter and the flood guard both on a clock four times as fast
    database = f"sqlite+aiosqlite:///{tmp_path}/tandem.sqlite3"
    await upgrade_async(database)
    per_chat = [40] + [4] * 63 + [3] * 236  # a burst of 40 to one chat, 960 over the other 299
    assert sum(per_chat) == 1000 and len(per_chat) == 300
    chats = await seed_pings(database, per_chat)
    guard = FloodGuard(time_source=lambda: time.monotonic() * speed)
    api = FakeBotApi(token=DEFAULT_TOKEN, require_known_chats=False, flood_guard=guard)
    async with serve_bot_api(api) as base_url:
        application = application_for(database, base_url, ManualClock(NOW), TelegramRateLimiter(speed=speed))
        async with application:
            await application.post_init(application)  # type: ignore[misc]
            await application.start()  # the delivery loop's start pass sends everything due
            try:
                await eventually(lambda: len([c for c in api.calls("sendMessage") if c.ok]) >= 1000, timeout=120,
                                 what="1,000 messages")
            finally:
                await application.stop()
                await application.post_shutdown(application)  # type: ignore[misc]
    sends = [c for c in api.calls("sendMessage")]
    assert guard.refused == 0 and not [c for c in sends if c.status_code == 429]  # Telegram's limits kept
    delivered = Counter(int(c.params["chat_id"]) for c in sends if c.ok)
    assert [delivered[chat] for chat in chats] == per_chat
    assert len({c.params["text"] for c in sends}) == 1000  # each message once
    assert await outbox_statuses(database) == {"sent": 1000}


async def test_a_persons_answer_goes_before_the_notices_queued_ahead_of_it(tmp_path: Path) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path}/tandem.sqlite3"
    await upgrade_async(database)
    chats = await seed_pings(database, [1] * 150)  # 150 notices: five seconds at Telegram's 30/s
    api = FakeBotApi(token=DEFAULT_TOKEN, require_known_chats=False, flood_guard=FloodGuard())
    nina = FakeUser(id=4242, first_name="Nina", language_code="en")
    async with serve_bot_api(api) as base_url:
        application = application_for(database, base_url, ManualClock(NOW), TelegramRateLimiter())
        async with application:
            await application.post_init(application)  # type: ignore[misc]
            await application.start()
            try:
                def notices() -> int:
                    return len([c for c in api.calls("sendMessage") if c.ok and int(c.params["chat_id"]) in chats])

                await eventually(lambda: notices() >= 30, timeout=60, what="the fan-out to be under way")
                before = notices()
                await ChatDriver(api, application).send(nina, "/help")  # handled as Telegram would deliver it
                await eventually(lambda: bool(api.sent_to(nina.id)), timeout=30, what="the answer to /help")
                calls = api.calls("sendMessage")
                answer_at = next(i for i, c in enumerate(calls) if int(c.params["chat_id"]) == nina.id)
                ahead = len([c for c in calls[:answer_at] if c.ok and int(c.params["chat_id"]) in chats])
                await eventually(lambda: notices() == 150, timeout=60, what="every notice")
            finally:
                await application.stop()
                await application.post_shutdown(application)  # type: ignore[misc]
    print(f"\nnotices sent when /help arrived: {before}; before its answer: {ahead}; still queued behind it: {150 - ahead}")
    # Only what was already on its way when the person wrote went first (the delivery keeps at
    # most 16 claimed, and the limiter had admitted a few); the rest waited for the answer.
    assert ahead - before <= 16
    assert 150 - ahead >= 60
    assert not [c for c in api.calls() if c.status_code == 429]


async def test_a_reminder_falling_due_behind_a_backlog_of_notices_goes_first(tmp_path: Path) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path}/tandem.sqlite3"
    await upgrade_async(database)
    now = datetime.now(timezone.utc)
    # 300 notices queued a minute ago (a planning run's fan-out: ten seconds at 30/s), then 20
    # reminders of a session two hours ahead falling due now, to other people.
    await seed_pings(database, [1] * 300, due=now - timedelta(minutes=1))
    reminded = set(await seed_reminders(database, 20))  # due at the moment of seeding: before the clock below
    guard = FloodGuard()
    api = FakeBotApi(token=DEFAULT_TOKEN, require_known_chats=False, flood_guard=guard)
    async with serve_bot_api(api) as base_url:
        application = application_for(database, base_url, ManualClock(datetime.now(timezone.utc)), TelegramRateLimiter())
        async with application:
            await application.post_init(application)  # type: ignore[misc]
            started = datetime.now(timezone.utc)
            await application.start()
            try:
                await eventually(lambda: len([c for c in api.calls("sendMessage") if c.ok]) >= 320, timeout=120, what="320 messages")
            finally:
                await application.stop()
                await application.post_shutdown(application)  # type: ignore[misc]
    sends = [c for c in api.calls("sendMessage") if c.ok]
    places = [i for i, c in enumerate(sends) if int(c.params["chat_id"]) in reminded]
    last_reminder = (max(c.at_utc for c in sends if int(c.params["chat_id"]) in reminded) - started).total_seconds()
    print(f"\nreminders at places {places} of {len(sends)}; the last one {last_reminder:.2f} s after the start, "
          f"the last notice {(sends[-1].at_utc - started).total_seconds():.1f} s")
    assert len(places) == 20
    # Ahead of the 300 notices that were due earlier (without the priority they would come last,
    # twelve seconds late): claimed first and admitted first, only notices claimed while the
    # reminders were still being rendered slip in between.
    assert places[-1] < 100
    assert guard.refused == 0


async def test_sigterm_in_the_middle_of_a_fan_out_stops_within_seconds_and_keeps_the_rest_queued(tmp_path: Path) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path}/tandem.sqlite3"
    await upgrade_async(database)
    # 300 reminders due now on the real clock (the process runs on it): ten seconds at 30/s, so
    # most of them are still waiting at the stop.
    await seed_reminders(database, 300)
    api = FakeBotApi(token=DEFAULT_TOKEN, require_known_chats=False, flood_guard=FloodGuard())
    async with serve_bot_api(api) as base_url:
        port = free_port()
        process = TandemProcess(write_config(tmp_path / "tandem.toml", database=database, api_base_url=base_url, port=port),
                                port, tmp_path / "tandem.log")
        await process.start()
        try:
            await eventually(lambda: len([c for c in api.calls("sendMessage") if c.ok]) >= 10, timeout=60, what="the fan-out")
            stopping = time.monotonic()
            code = await process.stop(signal.SIGTERM)
            stopped_in = time.monotonic() - stopping
        finally:
            if process.alive:
                await process.stop(signal.SIGKILL)
    sent = len([c for c in api.calls("sendMessage") if c.ok])
    statuses = await outbox_statuses(database)
    print(f"\nSIGTERM: stopped in {stopped_in:.1f} s; {sent} sent, outbox {dict(statuses)}")
    assert code == 0, process.output()[-3000:]
    assert stopped_in < 5
    assert statuses == {"sent": sent, "pending": 300 - sent}  # nothing claimed or half-done is left
    log = process.output()
    for trouble in ("Traceback", "Task was destroyed", "Event loop is closed", "skipped"):
        assert trouble not in log, log[-3000:]
