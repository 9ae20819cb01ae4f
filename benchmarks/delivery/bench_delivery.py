"""Delivery benchmark: invites and reminders to 1,000 participants through the real rate limiter.

    .venv/bin/python -m benchmarks.delivery.bench_delivery [--participants 1000]
        [--faults 0.2] [--backoff 30] [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/test]

The whole sending side is production code: ``build_application`` (python-telegram-bot, httpx,
``handlers/rate_limit.py``'s limiter), the delivery service, ``handlers/notifier.py`` and the
database (a fresh SQLite file, or a fresh PostgreSQL database with ``--postgres``). Only Telegram
is replaced, by ``serve_bot_api`` (``offline_bot_api/``): a real HTTP server on 127.0.0.1 that
answers like the Bot API and enforces Telegram's flood limits with a ``FloodGuard`` (30/s overall,
1/s per chat), so a limiter that lets too much through shows up as 429s.

Scenarios: 1,000 reminders (``sendMessage``, rendered from the database) and 1,000 invites
(``sendDocument`` with a real ``.ics`` from ``bot.invites``); each once clean and once with
``--faults`` of the calls answered by a 429 (retry_after 1 s) or a timeout (the server holds the
request past the client's 1 s read timeout). The floor is participants / 30 s. "lost" counts
participants without their message, "twice" participants who got it more than once.

``--two-processes --postgres URL``: instead, 1,000 reminders sent by two real `tandem run`
processes on one PostgreSQL database (15 messages/s each), one killed with -9 when 30 % have
arrived and restarted at once; prints the time from the first to the last reminder against the
33.3 s floor, the rows the killed process had handed over, lost and twice.
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

from bot.clock import SystemClock
from bot.config import config_from_mapping
from bot.domain import Contact, OutboxStatus, OutgoingMessage, Role, SessionStatus
from bot.invites import InviteCity, InviteEvent, build_invite, invite_filename
from bot.notices import RENDERERS, RenderContext
from bot.notices.outbox import Queued, queue
from bot.notices.reminders import queue_reminders
from bot.ports import Document, Notification
from bot.services.delivery import RetryPolicy
from offline_bot_api import DEFAULT_TOKEN, FakeBotApi, Fault, FloodGuard, serve_bot_api
from storage.db import upgrade_async
from tandem.app import build_application

BENCH_INVITE = "bench_invite"
RATE = 30.0


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
    flood_refusals: int = 0  # 429s of the flood guard (not injected): our pacing let too much through

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


async def run(
    scenario: str, kind: str, participants: int, faults: float, backoff: float, postgres: str | None, folder: Path,
    *, read_timeout: float = 1.0,
) -> Result:
    """One scenario. A timeout fault holds the request ``read_timeout`` + 0.5 s, past the client's
    read timeout; every other call is answered long before it (tests pass a generous one, so that
    a slow machine does not turn a normal call into a timeout and a retry)."""
    database, drop = await fresh_database(postgres, folder)
    await upgrade_async(database)
    guard = FloodGuard()
    api = FakeBotApi(token=DEFAULT_TOKEN, require_known_chats=False, flood_guard=guard, timeout_hold_seconds=read_timeout + 0.5)
    if faults:
        api.fail_randomly(faults, kinds=(Fault.RETRY_AFTER, Fault.TIMEOUT), retry_after=1, seed=7)
    try:
        async with serve_bot_api(api) as base_url:
            config = config_from_mapping({"telegram": {"api_base_url": base_url}, "database": {"url": database}},
                                         env={"TANDEM_TELEGRAM_TOKEN": DEFAULT_TOKEN})
            request = HTTPXRequest(connection_pool_size=64, read_timeout=read_timeout)
            application = build_application(
                config, request=request, clock=SystemClock(), renderers={**RENDERERS, BENCH_INVITE: render_bench_invite}
            )
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
        flood_refusals=guard.refused,
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
            await queue_reminders(uow, session, people, [timedelta(hours=2)], now, email_enabled=False)
        else:
            for person in people:
                await queue(uow, Queued(kind=BENCH_INVITE, contact_id=person.id, due_utc=now, dedupe_key=f"bench:{person.id}",
                                        payload={"session_id": session.id}, session_id=session.id))
        await uow.commit()
    return [p.chat_id for p in people]


@dataclass
class CrashResult:
    participants: int
    seconds: float
    sent_at_kill: int
    handed_over_at_kill: int
    restart_seconds: float
    too_many: int
    lost: int
    twice: int

    @property
    def floor(self) -> float:
        return self.participants / RATE


async def run_two_processes(participants: int, postgres: str, folder: Path, *, kill_at: float = 0.3) -> CrashResult:
    """Two real `tandem run` processes (15 messages/s each, the default 15 s claim lease) on one
    fresh PostgreSQL database; one is killed with -9 when ``kill_at`` of the reminders have
    arrived and restarted at once. Time: first to last reminder at the Bot API."""
    import signal

    from tests.processes.harness import (
        TandemProcess,
        claims_of,
        deliveries,
        eventually,
        free_port,
        postgres_database,
        seed_reminders,
        write_config,
    )

    async with postgres_database(postgres) as database:
        chats = await seed_reminders(database, participants)
        api = FakeBotApi(token=DEFAULT_TOKEN, require_known_chats=False, flood_guard=FloodGuard())
        async with serve_bot_api(api) as base_url:
            processes = []
            for name in ("a", "b"):
                port = free_port()
                config = write_config(folder / f"{name}.toml", database=database, api_base_url=base_url, port=port, messages_per_second=15)
                processes.append(TandemProcess(config, port, folder / f"{name}.log"))
            victim = processes[0]
            for process in processes:
                await process.start()
            try:
                def reached() -> int:
                    return len({chat for chat, _ in deliveries(api, chats)})

                await eventually(lambda: reached() >= participants * kill_at, timeout=600, what=f"{kill_at:.0%} of the reminders")
                await victim.stop(signal.SIGKILL)
                handed_over = await claims_of(database, [victim.pids[-1]], handed_over=True)
                sent_at_kill = sum(deliveries(api, chats).values())
                restarting = time.monotonic()
                await victim.start()
                await victim.healthy()
                restart_seconds = time.monotonic() - restarting
                await eventually(lambda: reached() == participants, timeout=600, what="every reminder")
            finally:
                for process in processes:
                    if process.alive:
                        await process.stop(signal.SIGTERM)
    sends = [c for c in api.calls("sendMessage") if c.ok]
    seconds = (max(c.at_utc for c in sends) - min(c.at_utc for c in sends)).total_seconds()
    per_chat = Counter(int(c.params["chat_id"]) for c in sends)
    return CrashResult(
        participants=participants, seconds=seconds, sent_at_kill=sent_at_kill, handed_over_at_kill=handed_over,
        restart_seconds=restart_seconds, too_many=sum(1 for c in api.calls("sendMessage") if c.status_code == 429),
        lost=sum(1 for chat in chats if per_chat[chat] == 0), twice=sum(per_chat[chat] - 1 for chat in chats if per_chat[chat] > 1),
    )


def crash_table(r: CrashResult) -> str:
    return "\n".join([
        f"{'scenario':<34} {'msgs':>5} {'429':>5} {'total s':>8} {'floor s':>8} {'vs floor':>9} {'at kill':>8} {'handed':>7} {'restart s':>9} {'lost':>5} {'twice':>6}",
        f"{'2 processes, kill -9 at 30%':<34} {r.participants:>5} {r.too_many:>5} {r.seconds:>8.1f} {r.floor:>8.1f} "
        f"{100 * (r.seconds / r.floor - 1):>+8.1f}% {r.sent_at_kill:>8} {r.handed_over_at_kill:>7} {r.restart_seconds:>9.1f} {r.lost:>5} {r.twice:>6}",
    ])


def table(results: list[Result]) -> str:
    lines = [
        f"{'scenario':<28} {'msgs':>5} {'calls':>6} {'429':>5} {'flood':>5} {'t/o':>5} {'total s':>8} {'floor s':>8} {'vs floor':>9} {'lost':>5} {'twice':>6}",
    ]
    for r in results:
        lines.append(
            f"{r.scenario:<28} {r.participants:>5} {r.calls:>6} {r.too_many:>5} {r.flood_refusals:>5} {r.timeouts:>5} {r.seconds:>8.1f} "
            f"{r.floor:>8.1f} {100 * (r.seconds / r.floor - 1):>+8.1f}% {r.lost:>5} {r.twice:>6}"
        )
    return "\n".join(lines)


async def main(arguments: argparse.Namespace) -> None:
    logging.basicConfig(level=logging.ERROR)
    if arguments.two_processes:
        if not arguments.postgres:
            raise SystemExit("--two-processes needs --postgres (several processes share one PostgreSQL database)")
        with tempfile.TemporaryDirectory() as folder:
            print(crash_table(await run_two_processes(arguments.participants, arguments.postgres, Path(folder))))
        return
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
    parser.add_argument("--two-processes", action="store_true",
                        help="instead: reminders sent by two real `tandem run` processes, one killed with -9 at 30%% and restarted")
    asyncio.run(main(parser.parse_args()))
