"""The unit of work: one database transaction per service call, rolled back unless committed."""

from __future__ import annotations

import asyncio
import hashlib
import weakref
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

    def __init__(
        self, session_factory: async_sessionmaker[AsyncSession], *, reading: bool = False, writers: WriterQueue | None = None
    ) -> None:
        self._session_factory = session_factory
        self._db_session: AsyncSession | None = None
        self._reading = reading
        self._writers = writers
        self._holding: asyncio.Lock | None = None

    async def __aenter__(self) -> SqlUnitOfWork:
        if self._db_session is not None:
            raise RuntimeError("this unit of work is already in use; make a new one per transaction")
        if self._writers is not None:
            self._holding = await self._writers.take_turn()
        try:
            db = self._db_session = self._session_factory()
        except BaseException:
            if self._holding is not None:
                self._holding.release()
                self._holding = None
            raise
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
            try:
                await self._db_session.close()
            finally:
                self._db_session = None
                if self._holding is not None:
                    self._holding.release()
                    self._holding = None

    async def commit(self) -> None:
        assert self._db_session is not None, "commit outside `async with`"
        if self._reading:
            raise RuntimeError("a reading unit of work cannot commit; use uow_factory() to write")
        await self._db_session.commit()

    async def rollback(self) -> None:
        assert self._db_session is not None, "rollback outside `async with`"
        await self._db_session.rollback()


class WriterQueue:
    """SQLite's writers, one at a time and first come, first served, within the process.

    SQLite has one write lock, and a transaction that cannot get it polls (the busy handler sleeps
    and tries again, up to 100 ms between tries): with sixteen updates and a delivery pass writing
    at once, whoever polls at the right moment wins, and in the load benchmark one tap waited 17 s
    while later ones went ahead. Queuing the writers of the process here, in order, before they
    begin, leaves SQLite one writer at a time to serve and nobody to starve. (One process owns a
    SQLite file; PostgreSQL has row locks and needs none of this.)
    """

    def __init__(self, timeout: float = 30.0) -> None:
        self.timeout = timeout  # as SQLite's own busy timeout (storage.db.create_engine)
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()

    async def take_turn(self) -> asyncio.Lock:
        """Wait for this writer's turn; the caller releases the returned lock when its transaction ends."""
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        try:
            async with asyncio.timeout(self.timeout):
                await lock.acquire()
        except TimeoutError:
            raise TimeoutError(f"waited {self.timeout:g} s for the database's write lock (another writer held it all along)") from None
        return lock


class UnitOfWorkFactory:
    """Makes a fresh unit of work per call: ``async with uow_factory() as uow``."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory
        engine = session_factory.kw["bind"]
        self._reading_factory = async_sessionmaker(engine.execution_options(**{READING: True}), expire_on_commit=False)
        self._writers = WriterQueue() if engine.dialect.name == "sqlite" else None

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._session_factory, writers=self._writers)

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
