"""A reader in a process of its own, for the tests that kill it with SIGKILL in the middle of a pass.

``python -m tests.mail_in.reader_process DATABASE_URL HOST PORT USER PASSWORD BATCH [STATEMENT N]``
reads the INBOX once, as ``tandem run`` would, ``BATCH`` messages per transaction, over a network
made slow (each fetch waits 200 ms) so that the kill lands while messages are still waiting.

With ``STATEMENT N``, the database is made slow instead, at one chosen point: before the N-th SQL
statement that begins with ``STATEMENT`` (e.g. the 12th ``UPDATE participants``: a reply's answer)
the process prints ``paused`` and hangs, inside a batch's transaction, with what came before it in
that batch done but not committed -- the moment a crash in the middle of a batch would find.
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


async def main(url: str, host: str, port: str, user: str, password: str, batch: str, statement: str | None = None, pause_at: str = "0") -> None:
    engine = create_engine(url)
    if statement is not None:
        seen = 0

        @event.listens_for(engine.sync_engine, "before_cursor_execute")
        def pause(conn: Any, cursor: Any, sql: str, parameters: Any, context: Any, executemany: bool) -> None:
            nonlocal seen
            if statement is not None and sql.startswith(statement):
                seen += 1
                if seen == int(pause_at):
                    print("paused", flush=True)
                    time.sleep(600)  # until killed

    services = Services(config=mail_config(), clock=SystemClock(), uow_factory=UnitOfWorkFactory(create_session_factory(engine)))
    services.mail_in.batch_size = int(batch)
    mailbox = SlowImapMailbox(host=host, port=int(port), security="none", username=user, password=password)
    if statement is not None:
        mailbox.delay = 0
    try:
        await services.mail_in.read_pass(mailbox, owner="doomed-process")
    finally:
        await mailbox.close()
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:9]))
