"""Reading replies from a mailbox: the reader's lease and position, and the messages taken in."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import MailInMailboxRow, MailInMessageRow


class MailInRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def take_lease(self, mailbox: str, *, owner: str, now_utc: datetime, until_utc: datetime) -> bool:
        """Become (or stay) the one reader of ``mailbox`` until ``until_utc``; False if another holds it.

        A conditional update decides between two processes: the row changes only where nobody
        holds the lease, it has expired, or ``owner`` holds it already.
        """
        if await self.db.get(MailInMailboxRow, mailbox) is None:
            try:
                async with self.db.begin_nested():
                    self.db.add(MailInMailboxRow(name=mailbox, last_uid=0))
            except IntegrityError:
                pass  # another process created it a moment ago
        result = await self.db.execute(
            update(MailInMailboxRow)
            .where(
                MailInMailboxRow.name == mailbox,
                or_(
                    MailInMailboxRow.lease_owner.is_(None),
                    MailInMailboxRow.lease_owner == owner,
                    MailInMailboxRow.lease_until < now_utc,
                ),
            )
            .values(lease_owner=owner, lease_until=until_utc)
            .execution_options(synchronize_session=False)
        )
        return int(cast("CursorResult[Any]", result).rowcount) == 1

    async def release_lease(self, mailbox: str, *, owner: str) -> None:
        await self.db.execute(
            update(MailInMailboxRow)
            .where(MailInMailboxRow.name == mailbox, MailInMailboxRow.lease_owner == owner)
            .values(lease_owner=None, lease_until=None)
            .execution_options(synchronize_session=False)
        )

    async def position(self, mailbox: str) -> tuple[int | None, int]:
        """(UIDVALIDITY, last UID dealt with) of the mailbox; (None, 0) before the first pass."""
        row = (await self.db.execute(
            select(MailInMailboxRow.uidvalidity, MailInMailboxRow.last_uid).where(MailInMailboxRow.name == mailbox)
        )).first()
        return (row[0], int(row[1])) if row is not None else (None, 0)

    async def advance(self, mailbox: str, *, owner: str, uidvalidity: int, last_uid: int) -> bool:
        """Remember how far ``owner`` has read; False (nothing changed) if it no longer holds the lease."""
        result = await self.db.execute(
            update(MailInMailboxRow)
            .where(MailInMailboxRow.name == mailbox, MailInMailboxRow.lease_owner == owner)
            .values(uidvalidity=uidvalidity, last_uid=last_uid)
            .execution_options(synchronize_session=False)
        )
        return int(cast("CursorResult[Any]", result).rowcount) == 1

    async def outcome_of(self, message_key: str) -> str | None:
        """How a message with this key was dealt with before ("processed", "unmatched"), or None."""
        outcome: str | None = await self.db.scalar(
            select(MailInMessageRow.outcome).where(MailInMessageRow.message_key == message_key)
        )
        return outcome

    async def record(self, message_key: str, *, outcome: str, detail: str, now_utc: datetime) -> bool:
        """Note a message as taken in; False if it was already (the database decides, in one statement)."""
        insert = postgresql_insert if self.db.get_bind().dialect.name == "postgresql" else sqlite_insert
        statement = (
            insert(MailInMessageRow)
            .values(message_key=message_key, outcome=outcome, detail=detail[:2000], received_at=now_utc)
            .on_conflict_do_nothing(index_elements=[MailInMessageRow.message_key])
            .returning(MailInMessageRow.id)
        )
        return (await self.db.execute(statement)).scalar_one_or_none() is not None

    async def count(self) -> int:
        """How many messages were taken in (the benchmark and the tests read it)."""
        return int(await self.db.scalar(select(func.count()).select_from(MailInMessageRow)) or 0)
