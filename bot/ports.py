"""The ports the services need: a unit of work and its repositories, described structurally.

``storage.uow.SqlUnitOfWork`` is the implementation; services only rely on this shape, so the
core never imports the storage package.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable, Protocol


class UnitOfWork(Protocol):
    cities: Any
    contacts: Any
    conversations: Any
    invite_codes: Any
    topics: Any
    interests: Any
    matches: Any
    sessions: Any
    outbox: Any

    async def __aenter__(self) -> "UnitOfWork": ...

    async def __aexit__(self, *exc_info: object) -> None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]


class Wakeups(Protocol):
    """How services ask for background work soon, without knowing the job queue."""

    def outbox_changed(self, due_utc: datetime) -> None:
        """Something was queued that is due at ``due_utc``: make sure the sender runs then."""
        ...

    def planning_needed(self) -> None:
        """Interests, hours or days away changed: plan again shortly (debounced)."""
        ...


class NoWakeups:
    """For code paths with no job queue (the CLI, unit tests of services)."""

    def outbox_changed(self, due_utc: datetime) -> None:
        return None

    def planning_needed(self) -> None:
        return None
