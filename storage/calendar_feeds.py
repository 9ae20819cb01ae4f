"""Coordinators' calendar subscriptions: a hash per URL, revoked by a conditional update."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import CalendarFeedRow


class CalendarFeedRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def add(self, *, token_hash: str, telegram_user_id: int, now_utc: datetime) -> None:
        self.db.add(CalendarFeedRow(token_hash=token_hash, telegram_user_id=telegram_user_id, created_at=now_utc))
        await self.db.flush()

    async def owner(self, token_hash: str) -> int | None:
        """The coordinator whose live URL has this hash; None for a revoked or unknown one."""
        owner: int | None = await self.db.scalar(
            select(CalendarFeedRow.telegram_user_id).where(CalendarFeedRow.token_hash == token_hash, CalendarFeedRow.revoked_at.is_(None))
        )
        return owner

    async def live_since(self, telegram_user_id: int) -> datetime | None:
        """When the coordinator's live URL was made; None when they have none."""
        created: datetime | None = await self.db.scalar(
            select(CalendarFeedRow.created_at)
            .where(CalendarFeedRow.telegram_user_id == telegram_user_id, CalendarFeedRow.revoked_at.is_(None))
            .order_by(CalendarFeedRow.created_at.desc())
            .limit(1)
        )
        return created

    async def revoke(self, telegram_user_id: int, *, now_utc: datetime) -> int:
        """Revoke every live URL of the coordinator; how many there were."""
        result = await self.db.execute(
            update(CalendarFeedRow)
            .where(CalendarFeedRow.telegram_user_id == telegram_user_id, CalendarFeedRow.revoked_at.is_(None))
            .values(revoked_at=now_utc)
        )
        return int(cast("CursorResult[Any]", result).rowcount)
