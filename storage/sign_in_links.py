"""Sign-in links of the web app: stored as hashes, spent once by a conditional update."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import SignInLink
from storage.models import SignInLinkRow


class SignInLinkRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def add(self, *, token_hash: str, contact_id: int, now_utc: datetime, expires_utc: datetime) -> None:
        self.db.add(SignInLinkRow(token_hash=token_hash, contact_id=contact_id, created_at=now_utc, expires_at=expires_utc))
        await self.db.flush()

    async def by_hash(self, token_hash: str) -> SignInLink | None:
        row = await self.db.scalar(select(SignInLinkRow).where(SignInLinkRow.token_hash == token_hash))
        return SignInLink(row.id, row.contact_id, row.expires_at, row.used_at) if row else None

    async def use(self, link_id: int, *, now_utc: datetime) -> bool:
        """Spend a link; False if it was spent already or has expired (two tabs, one link: one wins)."""
        result = await self.db.execute(
            update(SignInLinkRow)
            .where(SignInLinkRow.id == link_id, SignInLinkRow.used_at.is_(None), SignInLinkRow.expires_at > now_utc)
            .values(used_at=now_utc)
        )
        return int(cast("CursorResult[Any]", result).rowcount) == 1

    async def count_since(self, contact_id: int, since_utc: datetime) -> int:
        """How many links were made for this contact since ``since_utc`` (the per-address rate limit)."""
        count = await self.db.scalar(
            select(func.count()).select_from(SignInLinkRow).where(
                SignInLinkRow.contact_id == contact_id, SignInLinkRow.created_at >= since_utc
            )
        )
        return int(count or 0)

    async def delete_expired(self, before_utc: datetime) -> None:
        """Drop links that can no longer be used (housekeeping)."""
        await self.db.execute(delete(SignInLinkRow).where(SignInLinkRow.expires_at < before_utc))
