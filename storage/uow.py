"""The unit of work: one database transaction per service call, rolled back unless committed."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.calendar_feeds import CalendarFeedRepository
from storage.db import READING
from storage.mail_in import MailInRepository
from storage.repositories import (
    CityRepository,
    ContactRepository,
    ConversationRepository,
    DayOverrideRepository,
    InterestRepository,
    JoinLinkRepository,
    MatchRepository,
    OutboxRepository,
    RoadmapRepository,
    SessionRepository,
    TopicRepository,
)
from storage.sign_in_links import SignInLinkRepository


class SqlUnitOfWork:
    """``async with uow: …; await uow.commit()``; leaving the block without commit rolls back.

    A unit of work is used for one transaction at a time and never shared between tasks; make a
    new one (``uow_factory()``) per service call.
    """

    cities: CityRepository
    contacts: ContactRepository
    conversations: ConversationRepository
    topics: TopicRepository
    interests: InterestRepository
    join_links: JoinLinkRepository
    matches: MatchRepository
    sessions: SessionRepository
    outbox: OutboxRepository
    sign_in_links: SignInLinkRepository
    roadmap: RoadmapRepository
    mail_in: MailInRepository
    day_overrides: DayOverrideRepository
    calendar_feeds: CalendarFeedRepository

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], *, reading: bool = False) -> None:
        self._session_factory = session_factory
        self._db_session: AsyncSession | None = None
        self._reading = reading

    async def __aenter__(self) -> SqlUnitOfWork:
        if self._db_session is not None:
            raise RuntimeError("this unit of work is already in use; make a new one per transaction")
        db = self._db_session = self._session_factory()
        self.cities = CityRepository(db)
        self.contacts = ContactRepository(db)
        self.conversations = ConversationRepository(db)
        self.topics = TopicRepository(db)
        self.interests = InterestRepository(db)
        self.join_links = JoinLinkRepository(db)
        self.matches = MatchRepository(db)
        self.sessions = SessionRepository(db)
        self.outbox = OutboxRepository(db)
        self.sign_in_links = SignInLinkRepository(db)
        self.roadmap = RoadmapRepository(db)
        self.mail_in = MailInRepository(db)
        self.day_overrides = DayOverrideRepository(db)
        self.calendar_feeds = CalendarFeedRepository(db)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._db_session is not None
        try:
            await self._db_session.rollback()  # a no-op after commit; undoes everything otherwise
        finally:
            await self._db_session.close()
            self._db_session = None

    async def commit(self) -> None:
        assert self._db_session is not None, "commit outside `async with`"
        if self._reading:
            raise RuntimeError("a reading unit of work cannot commit; use uow_factory() to write")
        await self._db_session.commit()

    async def rollback(self) -> None:
        assert self._db_session is not None, "rollback outside `async with`"
        await self._db_session.rollback()


class UnitOfWorkFactory:
    """Makes a fresh unit of work per call: ``async with uow_factory() as uow``."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory
        engine = session_factory.kw["bind"]
        self._reading_factory = async_sessionmaker(engine.execution_options(**{READING: True}), expire_on_commit=False)

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._session_factory)

    def reading(self) -> SqlUnitOfWork:
        """A unit of work that only reads and never commits: on SQLite it takes no write lock (see
        ``storage.db._sqlite_begin``), so it neither waits for a writer nor holds one up."""
        return SqlUnitOfWork(self._reading_factory, reading=True)

    @asynccontextmanager
    async def exclusively(self, name: str) -> AsyncIterator[bool]:
        """True in one process at a time for ``name``; False (at once, no waiting) in the others.

        PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) on a connection of
        its own, held for the block and outside any transaction, so work that spans several
        short transactions (a planning run) is covered; when a process dies its connection drops
        and the server releases the lock. SQLite: one process owns the file (README), so True;
        callers keep their in-process lock for tasks of one process.
        """
        engine = self._session_factory.kw["bind"]
        if engine.dialect.name != "postgresql":
            yield True
            return
        key = int.from_bytes(hashlib.sha256(f"tandem:{name}".encode()).digest()[:8], "big", signed=True)
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            mine = bool(await connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}))
            try:
                yield mine
            finally:
                if mine:
                    await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
