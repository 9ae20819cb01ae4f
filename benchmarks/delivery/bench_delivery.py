"""Delivery benchmark: invites and reminders to 1,000 participants through the real rate limiter.

    /work/main/.venv/bin/python -m benchmarks.delivery.bench_delivery [--participants 1000]
        [--faults 0.2] [--backoff 30] [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/test]

The whole sending side is production code: ``build_application`` (python-telegram-bot, httpx,
``AIORateLimiter(max_retries=3)``), the delivery service, ``handlers/notifier.py`` and the
database (a fresh SQLite file, or a fresh PostgreSQL database with ``--postgres``). Only Telegram
is replaced, by ``serve_bot_api`` (``handlers/offline.py``): a real HTTP server on 127.0.0.1 that
answers like the Bot API and enforces Telegram's flood limits with a ``FloodGuard`` (30/s overall,
1/s per chat), so a limiter that lets too much through shows up as 429s.

Scenarios: 1,000 reminders (``sendMessage``, rendered from the database) and 1,000 invites
(``sendDocument`` with a real ``.ics`` from ``bot.invites``); each once clean and once with
``--faults`` of the calls answered by a 429 (retry_after 1 s) or a timeout (the server holds the
request past the client's 1 s read timeout). The floor is participants / 30 s. "lost" counts
participants without their message, "twice" participants who got it more than once.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from telegram.request import HTTPXRequest

from bot.app import build_application
from bot.clock import SystemClock
from bot.config import config_from_mapping
from bot.domain import Contact, OutboxStatus, OutgoingMessage, Role, SessionStatus
from bot.invites import InviteCity, InviteEvent, build_invite, invite_filename
from bot.notifications import Document, Notification, Queued, RenderContext, queue, renderer
from bot.reminders import queue_reminders
from bot.services.delivery import RetryPolicy
from handlers.offline import DEFAULT_TOKEN, FakeBotApi, Fault, FloodGuard, serve_bot_api
from storage.db import upgrade_async

BENCH_INVITE = "bench_invite"
RATE = 30.0


@renderer(BENCH_INVITE)
async def render_bench_invite(ctx: RenderContext, recipient: Contact, message: OutgoingMessage) -> Notification | None:
    """An invite as the session renderer sends it, a caption and the recipient's .ics, without
    listing 1,000 attendees in every file (a real session has a handful)."""
    session = await ctx.uow.sessions.get(int(message.payload["session_id"]))  # type: ignore[call-overload]
    event = InviteEvent(
        uid=session.ical_uid, sequence=session.sequence, status=SessionStatus(session.status),
        start_utc=session.start_utc, end_utc=session.end_utc, topic_titles={"en": "Wetland protection"},
        city_a=InviteCity("Panjin", "Asia/Shanghai"), city_b=InviteCity("Lisbon", "Europe/Lisbon"),
        organizer_name="Tandem", organizer_email="tandem@example.org", meeting_link=session.meeting_link,
    )
    ics = build_invite(event, recipient_language="en", recipient_zone="Europe/Lisbon", recipient_email=recipient.email,
                       dtstamp_utc=session.start_utc, reminder_offsets=ctx.config.reminders.offsets)
    return Notification(text=f"Invitation for {recipient.display_name}", document=Document(invite_filename(event, "Europe/Lisbon"), ics))


@dataclass
class Result:
    scenario: str
    participants: int
    calls: int
    too_many: int
    timeouts: int
    seconds: float
    lost: int
    twice: int

    @property
    def floor(self) -> float:
        return self.participants / RATE


async def fresh_database(postgres: str | None, folder: Path) -> tuple[str, Any]:
    if postgres is None:
        return f"sqlite+aiosqlite:///{folder}/bench-{uuid.uuid4().hex[:8]}.sqlite3", None
    admin = create_async_engine(postgres, isolation_level="AUTOCOMMIT")
    name = f"tandem_bench_{uuid.uuid4().hex[:10]}"
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))

    async def drop() -> None:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()

    return make_url(postgres).set(database=name).render_as_string(hide_password=False), drop


async def run(scenario: str, kind: str, participants: int, faults: float, backoff: float, postgres: str | None, folder: Path) -> Result:
    database, drop = await fresh_database(postgres, folder)
    await upgrade_async(database)
    api = FakeBotApi(token=DEFAULT_TOKEN, require_known_chats=False, flood_guard=FloodGuard(), timeout_hold_seconds=1.5)
    if faults:
        api.fail_randomly(faults, kinds=(Fault.RETRY_AFTER, Fault.TIMEOUT), retry_after=1, seed=7)
    try:
        async with serve_bot_api(api) as base_url:
            config = config_from_mapping({"telegram": {"api_base_url": base_url}, "database": {"url": database}},
                                         env={"TANDEM_TELEGRAM_TOKEN": DEFAULT_TOKEN})
            request = HTTPXRequest(connection_pool_size=64, read_timeout=1.0)
            application = build_application(config, request=request, clock=SystemClock())
            await application.initialize()
            await application.post_init(application)  # type: ignore[misc]
            services = application.bot_data["services"]
            delivery = services.delivery
            delivery.retry = RetryPolicy(first_delay=timedelta(seconds=backoff), max_attempts=12)
            chats = await prepare(services.uow_factory, kind, participants)
            started = time.monotonic()
            while True:  # what the deliver job does: a pass, then sleep until the next due message
                await delivery.deliver_due()
                due = await delivery.next_due()
                if due is None:
                    break
                await asyncio.sleep(max(0.0, (due - datetime.now(timezone.utc)).total_seconds()))
            seconds = time.monotonic() - started
            async with services.uow_factory() as uow:
                statuses = Counter(m.status for m in await uow.outbox.list())
            await application.shutdown()
            await application.post_shutdown(application)  # type: ignore[misc]
    finally:
        if drop is not None:
            await drop()
    delivered = Counter(c.params["chat_id"] for c in api.calls() if c.method in ("sendMessage", "sendDocument") and c.ok)
    calls = [c for c in api.calls() if c.method in ("sendMessage", "sendDocument")]
    if statuses != {OutboxStatus.SENT: participants}:
        print(f"  {scenario}: outbox ended as {dict(statuses)}")
    return Result(
        scenario=scenario,
        participants=participants,
        calls=len(calls),
        too_many=sum(1 for c in calls if c.status_code == 429),
        timeouts=sum(1 for c in calls if c.fault is Fault.TIMEOUT),
        seconds=seconds,
        lost=sum(1 for chat in chats if delivered[chat] == 0),
        twice=sum(1 for chat in chats if delivered[chat] > 1),
    )


async def prepare(uow_factory: Any, kind: str, participants: int) -> list[int]:
    """One session of two cities with ``participants`` people, and one message each, due now."""
    now = datetime.now(timezone.utc)
    async with uow_factory() as uow:
        panjin = await uow.cities.add(name="Panjin", country="CN", timezone="Asia/Shanghai", group="China", now_utc=now)
        lisbon = await uow.cities.add(name="Lisbon", country="PT", timezone="Europe/Lisbon", group="EU", now_utc=now)
        await uow.topics.sync([("wetlands", {"en": "Wetland protection"})])
        topic = await uow.topics.by_key("wetlands")
        match = await uow.matches.create(panjin.id, lisbon.id, topic.id, now)
        session = await uow.sessions.add(match_id=match.id, start_utc=now + timedelta(hours=2), duration_minutes=60,
                                         meeting_link="https://meet.jit.si/tandem-bench", ical_uid="bench@tandem",
                                         confirmed_by=None, now_utc=now)
        people = []
        for n in range(participants):
            people.append(await uow.contacts.add(display_name=f"Participant {n}", role=Role.PARTICIPANT, language="en",
                                                 now_utc=now, city_id=(panjin, lisbon)[n % 2].id, chat_id=100_000 + n))
        if kind == "reminder":
            await queue_reminders(uow, session, people, [timedelta(hours=2)], now)
        else:
            for person in people:
                await queue(uow, Queued(kind=BENCH_INVITE, contact_id=person.id, due_utc=now, dedupe_key=f"bench:{person.id}",
                                        payload={"session_id": session.id}, session_id=session.id))
        await uow.commit()
    return [p.chat_id for p in people]


def table(results: list[Result]) -> str:
    lines = [
        f"{'scenario':<28} {'msgs':>5} {'calls':>6} {'429':>5} {'t/o':>5} {'total s':>8} {'floor s':>8} {'vs floor':>9} {'lost':>5} {'twice':>6}",
    ]
    for r in results:
        lines.append(
            f"{r.scenario:<28} {r.participants:>5} {r.calls:>6} {r.too_many:>5} {r.timeouts:>5} {r.seconds:>8.1f} "
            f"{r.floor:>8.1f} {100 * (r.seconds / r.floor - 1):>+8.1f}% {r.lost:>5} {r.twice:>6}"
        )
    return "\n".join(lines)


async def main(arguments: argparse.Namespace) -> None:
    logging.basicConfig(level=logging.ERROR)
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for kind in ("reminder", "invite"):
            for faults in (0.0, arguments.faults):
                name = f"{kind}s" + (f", {faults:.0%} 429/timeout" if faults else ", clean")
                results.append(await run(name, kind, arguments.participants, faults, arguments.backoff, arguments.postgres, Path(folder)))
                print(table(results[-1:]).splitlines()[-1], flush=True)
    print()
    print(f"database: {'PostgreSQL' if arguments.postgres else 'SQLite'}; backoff after a timeout: {arguments.backoff:g} s, doubling")
    print(table(results))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--participants", type=int, default=1000)
    parser.add_argument("--faults", type=float, default=0.2, help="share of calls answered by 429 or a timeout")
    parser.add_argument("--backoff", type=float, default=30.0, help="first retry delay after a timeout, seconds (production: 30)")
    parser.add_argument("--postgres", default=None, help="admin URL of a PostgreSQL server; a fresh database is made and dropped")
    asyncio.run(main(parser.parse_args()))
