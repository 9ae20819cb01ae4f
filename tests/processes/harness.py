"""Real `tandem run` processes for tests and benchmarks: started as an operator starts them,
stopped with SIGTERM or killed with -9, on one database, with the offline Bot API as Telegram.

* :func:`write_config` -- a webhook-mode config for one process (its own port).
* :class:`TandemProcess` -- one `tandem run`: start, wait until it answers ``/healthz``, signal,
  wait; its log goes to a file (a pipe nobody reads would stall it).
* :class:`RoundRobinForwarder` -- the load balancer: posts each webhook call to the next
  process that is up, as a reverse proxy in front of several processes does.
* :func:`postgres_database` -- a fresh, migrated PostgreSQL database, dropped afterwards.
* :func:`seed_reminders` -- one session with ``n`` participants (a chat each) and one reminder
  each, due now on the real clock.
* :func:`deliveries` -- what reached the Bot API: successful sends per (chat, text).

Only the network boundary is replaced: Telegram by ``offline_bot_api.serve_bot_api`` (a real HTTP
server with Telegram's flood limits), the load balancer by the forwarder.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Any

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.domain import Role
from bot.notices.reminders import queue_reminders
from offline_bot_api import DEFAULT_TOKEN, FakeBotApi
from storage.db import create_engine, create_session_factory, upgrade_async
from storage.uow import UnitOfWorkFactory
from tests.tandem_command import tandem_command

SECRET = "proc-Secret_1"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
POSTGRES_ADMIN_URL = os.environ.get("TANDEM_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def write_config(
    path: Path, *, database: str, api_base_url: str, port: int, messages_per_second: float = 30, claim_lease: str = "15s"
) -> Path:
    path.write_text(
        "[telegram]\n"
        f'mode = "webhook"\napi_base_url = "{api_base_url}"\nwebhook_url = "https://bot.example.org/"\n'
        f'webhook_listen = "127.0.0.1"\nwebhook_port = {port}\nwebhook_secret = "{SECRET}"\n'
        f"messages_per_second = {messages_per_second}\n"
        f'[database]\nurl = "{database}"\n'
        f'[delivery]\nclaim_lease = "{claim_lease}"\n',
        encoding="utf-8",
    )
    return path


@dataclass
class TandemProcess:
    """One `tandem run --config …`; ``log`` collects its stdout and stderr across restarts."""

    config: Path
    port: int
    log: Path
    process: asyncio.subprocess.Process | None = None
    pids: list[int] = field(default_factory=list)
    _log_file: IO[bytes] | None = None

    async def start(self) -> None:
        self._log_file = self.log.open("ab")
        self.process = await asyncio.create_subprocess_exec(
            *tandem_command(), "run", "--config", str(self.config),
            env={"TANDEM_TELEGRAM_TOKEN": DEFAULT_TOKEN, "PATH": os.environ.get("PATH", "/usr/bin:/bin")},
            stdout=self._log_file, stderr=asyncio.subprocess.STDOUT,
        )
        self.pids.append(self.process.pid)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def healthy(self, timeout: float = 60.0) -> None:
        """Wait until it answers ``/healthz`` (database checked, webhook route up)."""
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient() as client:
            while True:
                if not self.alive:
                    raise AssertionError(f"tandem run exited with {self.process.returncode if self.process else None}:\n{self.output()[-3000:]}")
                try:
                    if (await client.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2)).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"tandem run did not become healthy in {timeout} s:\n{self.output()[-3000:]}")
                await asyncio.sleep(0.05)

    async def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        """Send ``sig`` and wait for the exit; returns the exit code."""
        assert self.process is not None
        if self.alive:
            self.process.send_signal(sig)
        code = await asyncio.wait_for(self.process.wait(), timeout)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        return code

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""


class RoundRobinForwarder:
    """A load balancer in front of the processes: each webhook call goes to the next one that is up."""

    def __init__(self, backends: list[TandemProcess]) -> None:
        self.backends = backends
        self._next = 0
        self.forwarded: Counter[int] = Counter()  # port → calls answered 200
        self.port = free_port()
        self._server: Any = None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[str]:
        """Serve on 127.0.0.1; yields the URL to post webhook calls to."""
        import tornado.httpserver
        import tornado.web

        forwarder = self

        class Forward(tornado.web.RequestHandler):
            async def post(self) -> None:
                status = await forwarder.forward(self.request.body, dict(self.request.headers))
                self.set_status(status)

        app = tornado.web.Application([(r"/", Forward)])
        server = tornado.httpserver.HTTPServer(app)
        server.listen(self.port, "127.0.0.1")
        try:
            yield f"http://127.0.0.1:{self.port}/"
        finally:
            server.stop()
            await server.close_all_connections()

    async def forward(self, body: bytes, headers: dict[str, str]) -> int:
        keep = {k: v for k, v in headers.items() if k.lower() in ("content-type", SECRET_HEADER.lower())}
        async with httpx.AsyncClient() as client:
            for _ in range(len(self.backends)):
                backend = self.backends[self._next % len(self.backends)]
                self._next += 1
                if not backend.alive:
                    continue
                try:
                    answer = await client.post(f"http://127.0.0.1:{backend.port}/", content=body, headers=keep, timeout=30)
                except httpx.HTTPError:
                    continue  # down between the check and the call: the next one
                self.forwarded[backend.port] += answer.status_code == 200
                return answer.status_code
        return 502


@asynccontextmanager
async def postgres_database(admin_url: str = POSTGRES_ADMIN_URL) -> AsyncIterator[str]:
    """A fresh PostgreSQL database migrated to the newest schema; dropped afterwards."""
    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"tandem_proc_{uuid.uuid4().hex[:12]}"
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        await upgrade_async(url)
        yield url
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@asynccontextmanager
async def unit_of_work_factory(database: str) -> AsyncIterator[UnitOfWorkFactory]:
    engine = create_engine(database)
    try:
        yield UnitOfWorkFactory(create_session_factory(engine))
    finally:
        await engine.dispose()


async def seed_reminders(database: str, participants: int, *, first_chat: int = 500_000) -> list[int]:
    """One session two hours ahead with ``participants`` people, each with their own chat and one
    reminder due now (real clock); returns the chat ids."""
    now = datetime.now(timezone.utc)
    async with unit_of_work_factory(database) as uow_factory, uow_factory() as uow:
        panjin = await uow.cities.add(name="Panjin", country="CN", timezone="Asia/Shanghai", group="China", now_utc=now)
        lisbon = await uow.cities.add(name="Lisbon", country="PT", timezone="Europe/Lisbon", group="EU", now_utc=now)
        await uow.topics.sync([("wetlands", {"en": "Wetland protection"})])
        topic = await uow.topics.by_key("wetlands")
        assert topic is not None
        match = await uow.matches.create(panjin.id, lisbon.id, topic.id, now)
        assert match is not None
        session = await uow.sessions.add(
            match_id=match.id, start_utc=now + timedelta(hours=2), duration_minutes=60,
            meeting_link="https://meet.jit.si/tandem-processes", ical_uid=f"{uuid.uuid4().hex}@tandem", confirmed_by=None, now_utc=now,
        )
        people = [
            await uow.contacts.add(display_name=f"Participant {n}", role=Role.PARTICIPANT, language="en", now_utc=now,
                                   city_id=(panjin, lisbon)[n % 2].id, chat_id=first_chat + n)
            for n in range(participants)
        ]
        queued = await queue_reminders(uow, session, people, [timedelta(hours=2)], now, email_enabled=False)
        assert len(queued) == participants
        await uow.commit()
    return [p.chat_id for p in people if p.chat_id is not None]


def deliveries(api: FakeBotApi, chats: list[int]) -> Counter[tuple[int, str]]:
    """Successful sends into ``chats``, per (chat, text)."""
    wanted = set(chats)
    return Counter(
        (int(c.params["chat_id"]), str(c.params.get("text", "")))
        for c in api.calls("sendMessage")
        if c.ok and int(c.params["chat_id"]) in wanted
    )


async def eventually(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Wait for ``condition`` with a generous ceiling; fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.02)


async def claims_of(database: str, pids: list[int], *, handed_over: bool = False) -> int:
    """Rows these processes hold claimed (only those handed over: what a kill may have sent)."""
    query = "SELECT claimed_by FROM outbox WHERE status = 'claimed'"
    if handed_over:
        query += " AND handed_over_at IS NOT NULL"
    engine = create_async_engine(database)
    try:
        async with engine.connect() as connection:
            rows = (await connection.execute(text(query))).scalars().all()
    finally:
        await engine.dispose()
    return sum(1 for worker in rows if worker is not None and any(f":{pid}:" in worker for pid in pids))


async def outbox_statuses(database: str) -> Counter[str]:
    engine = create_async_engine(database)
    try:
        async with engine.connect() as connection:
            return Counter((await connection.execute(text("SELECT status FROM outbox"))).scalars().all())
    finally:
        await engine.dispose()
