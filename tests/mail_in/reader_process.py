"""A reader in a process of its own, for the test that kills it with SIGKILL in the middle of a pass.

``python -m tests.mail_in.reader_process DATABASE_URL HOST PORT USER PASSWORD`` reads the INBOX
once, as ``tandem run`` would, over a network made slow (each fetch waits 50 ms) so that the kill
lands while messages are still waiting.
"""

from __future__ import annotations

import asyncio
import sys

from bot.clock import SystemClock
from bot.mailboxes import ImapMailbox
from bot.services import Services
from storage.db import create_engine, create_session_factory
from storage.uow import UnitOfWorkFactory
from tests.mail_in.conftest import mail_config


class SlowImapMailbox(ImapMailbox):
    async def fetch(self, uid: int) -> bytes | None:
        await asyncio.sleep(0.05)
        return await super().fetch(uid)


async def main(url: str, host: str, port: str, user: str, password: str) -> None:
    engine = create_engine(url)
    services = Services(config=mail_config(), clock=SystemClock(), uow_factory=UnitOfWorkFactory(create_session_factory(engine)))
    mailbox = SlowImapMailbox(host=host, port=int(port), security="none", username=user, password=password)
    try:
        await services.mail_in.read_pass(mailbox, owner="doomed-process")
    finally:
        await mailbox.close()
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:6]))
