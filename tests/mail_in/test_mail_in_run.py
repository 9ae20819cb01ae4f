"""``tandem run``'s wiring: with ``[email] imap_host`` set, the application reads the mailbox from
start-up on, and gives it back at shutdown."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from bot.config import DatabaseConfig, Secret, TelegramConfig
from bot.domain import Attendance
from handlers.rate_limit import TelegramRateLimiter
from offline_bot_api import FakeBotApi, OfflineRequest
from storage.db import create_engine, create_session_factory, upgrade_async
from storage.uow import UnitOfWorkFactory
from tandem.app import build_application
from tests.mail_in.conftest import fixture, mail_config, make_programme
from tests.mail_in.dovecot import Dovecot


async def test_the_application_reads_replies_from_start_up_and_lets_go_of_the_mailbox_at_shutdown(dovecot: Dovecot, tmp_path: Path) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path}/tandem.sqlite3"
    await upgrade_async(database)
    api = FakeBotApi()
    config = mail_config(imap_port=dovecot.port, imap_password=Secret(dovecot.password))
    config = replace(config, telegram=TelegramConfig(token=Secret(api.token)), database=DatabaseConfig(url=database))
    application = build_application(config, request=OfflineRequest(api), get_updates_request=OfflineRequest(api), rate_limiter=TelegramRateLimiter(speed=1000))
    engine = create_engine(database)
    uow_factory = UnitOfWorkFactory(create_session_factory(engine))
    try:
        async with application:
            await application.post_init(application)  # as tandem run does: the reader starts here
            try:
                programme = await make_programme(uow_factory)
                await asyncio.to_thread(dovecot.append, fixture("gmail_decline.eml"))
                loop = asyncio.get_running_loop()
                deadline = loop.time() + 30
                while True:
                    async with uow_factory() as uow:
                        answers = {c.display_name: a for c, a in await uow.sessions.participants(programme.session_id)}
                    if answers["Li Wei"] is Attendance.NO:
                        break
                    assert loop.time() < deadline, "the reply was not read within 30 s"
                    await asyncio.sleep(0.1)
            finally:
                await application.post_shutdown(application)
        async with uow_factory() as uow:  # shut down: the lease is free for the next process at once
            now = datetime.now(timezone.utc)
            assert await uow.mail_in.take_lease(f"imap://tandem@127.0.0.1:{dovecot.port}/INBOX", owner="next", now_utc=now, until_utc=now)
    finally:
        await engine.dispose()
    assert dovecot.count("Tandem-Processed") == 1
