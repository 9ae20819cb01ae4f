"""A reader in a process of its own, for the tests that kill it with SIGKILL in the middle of a pass.

``python -m tests.mail_in.reader_process DATABASE_URL HOST PORT USER PASSWORD BATCH [PAUSE_AT]``
reads the INBOX once, as ``tandem run`` would, ``BATCH`` messages per transaction, over a network
made slow (each fetch waits 200 ms) so that the kill lands while messages are still waiting.

With ``PAUSE_AT`` (n), the database is made slow instead, at one chosen point: before the n-th
``INSERT INTO outbox`` (a reply's notices) the process prints ``paused`` and hangs, inside the
batch's transaction, with the replies before it in that batch acted on but not committed -- the
moment a crash in the middle of a batch would find.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import event

from bot.clock import SystemClock
from bot.mailboxes import ImapMailbox
from bot.services import Services
from storage.db import create_engine, create_session_factory
from storage.uow import UnitOfWorkFactory
from tests.mail_in.conftest import mail_config


class SlowImapMailbox(ImapMailbox):
    delay = 0.2

    async def fetch(self, uids: Sequence[int]) -> dict[int, bytes]:
        await asyncio.sleep(self.delay)
        return await super().fetch(uids)


async def main(url: str, host: str, port: str, user: str, password: str, batch: str, pause_at: str | None = None) -> None:
    engine = create_engine(url)
    if pause_at is not None:
        inserts = 0

        @event.listens_for(engine.sync_engine, "before_cursor_execute")
        def pause(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
            nonlocal inserts
            if statement.startswith("INSERT INTO outbox"):
                inserts += 1
                if inserts == int(pause_at):
                    print("paused", flush=True)
                    time.sleep(600)  # until killed

    services = Services(config=mail_config(), clock=SystemClock(), uow_factory=UnitOfWorkFactory(create_session_factory(engine)))
    services.mail_in.batch_size = int(batch)
    mailbox = SlowImapMailbox(host=host, port=int(port), security="none", username=user, password=password)
    if pause_at is not None:
        mailbox.delay = 0
    try:
        await services.mail_in.read_pass(mailbox, owner="doomed-process")
    finally:
        await mailbox.close()
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:8]))
