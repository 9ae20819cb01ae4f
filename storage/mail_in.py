"""Reading replies from a mailbox: the reader's lease and position, and the messages taken in."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import MailInMailboxRow, MailInMessageRow
from storage.repositories import dialect_insert


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

    async def outcomes_of(self, message_keys: Sequence[str]) -> dict[str, str]:
        """How each of these messages was dealt with before ("processed", "unmatched"); the new ones are left out."""
        if not message_keys:
            return {}
        rows = await self.db.execute(
            select(MailInMessageRow.message_key, MailInMessageRow.outcome).where(MailInMessageRow.message_key.in_(list(message_keys)))
        )
        return {key: outcome for key, outcome in rows}

    async def record(self, records: Sequence[tuple[str, str, str]], *, now_utc: datetime) -> set[str]:
        """Note messages (key, outcome, detail) as taken in, in one statement; returns the keys that
        were new (the database decides: a key recorded before, by this or another process, is not)."""
        if not records:
            return set()
        insert = dialect_insert(self.db)
        statement = (
            insert(MailInMessageRow)
            .values([dict(message_key=key, outcome=outcome, detail=detail[:2000], received_at=now_utc) for key, outcome, detail in records])
            .on_conflict_do_nothing(index_elements=[MailInMessageRow.message_key])
            .returning(MailInMessageRow.message_key)
        )
        return set((await self.db.execute(statement)).scalars())

    async def count(self) -> int:
        """How many messages were taken in (the benchmark and the tests read it)."""
        return int(await self.db.scalar(select(func.count()).select_from(MailInMessageRow)) or 0)
