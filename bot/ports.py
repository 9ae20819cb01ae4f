"""The ports the services need: a unit of work and its repositories, described structurally.

``storage.uow.SqlUnitOfWork`` is the implementation; services only rely on this shape, so the
core never imports the storage package.
"""

from __future__ import annotations

from typing import Any, Callable, Protocol


class UnitOfWork(Protocol):
    cities: Any
    contacts: Any
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
