"""Where "now" comes from. Services take a clock, so tests and the demo can set the time."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Protocol

from bot.domain import utc


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class ManualClock:
    """A clock that moves only when told to (tests, the offline demo)."""

    def __init__(self, start_utc: datetime) -> None:
        self._now = utc(start_utc)

    def now(self) -> datetime:
        return self._now

    def set(self, instant_utc: datetime) -> None:
        self._now = utc(instant_utc)

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now
