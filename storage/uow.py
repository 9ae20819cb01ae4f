"""The unit of work: one database transaction per service call, rolled back unless committed."""

from __future__ import annotations

import asyncio
import hashlib
import weakref
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
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
        self, session_factory: async_sessionmaker[AsyncSession], *, reading: bool = False, writers: WriterQueue | None = None,
        background: bool = False,
    ) -> None:
        self._session_factory = session_factory
        self._db_session: AsyncSession | None = None
        self._reading = reading
        self._writers = writers
        self._background = background
        self._holding = False

    async def __aenter__(self) -> SqlUnitOfWork:
        if self._db_session is not None:
            raise RuntimeError("this unit of work is already in use; make a new one per transaction")
        if self._writers is not None:
            await self._writers.take_turn(background=self._background)
            self._holding = True
        try:
            db = self._db_session = self._session_factory()
        except BaseException:
            self._end_turn()
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
                self._end_turn()

    def _end_turn(self) -> None:
        if self._holding and self._writers is not None:
            self._holding = False
            self._writers.done()

    async def commit(self) -> None:
        assert self._db_session is not None, "commit outside `async with`"
        if self._reading:
            raise RuntimeError("a reading unit of work cannot commit; use uow_factory() to write")
        await self._db_session.commit()

    async def rollback(self) -> None:
        assert self._db_session is not None, "rollback outside `async with`"
        await self._db_session.rollback()


@dataclass
class _Turns:
    """One event loop's writers: whether one writes now, and who waits, by priority."""

    held: bool = False
    foreground: deque[asyncio.Future[None]] = field(default_factory=deque)
    background: deque[asyncio.Future[None]] = field(default_factory=deque)
    foreground_in_a_row: int = 0


class WriterQueue:
    """SQLite's writers, one at a time, a person's answer first, otherwise first come, first served.

    SQLite has one write lock, and a transaction that cannot get it polls (the busy handler sleeps
    and tries again, up to 100 ms between tries): with sixteen updates and a delivery pass writing
    at once, whoever polls at the right moment wins, and in the load benchmark one tap waited 17 s
    while later ones went ahead. So the process queues its writers here before they begin, and
    SQLite has one writer at a time to serve and nobody to starve. As in the rate limiter
    (``handlers/rate_limit.py``), a write for a person's own action goes before the background's
    (delivery bookkeeping, planning), which gets every ``BACKGROUND_EVERY``-th turn when both wait,
    so a fan-out of notices never stops. (One process owns a SQLite file; PostgreSQL has row locks
    and needs none of this.)
    """

    BACKGROUND_EVERY = 4

    def __init__(self, timeout: float = 30.0) -> None:
        self.timeout = timeout  # as SQLite's own busy timeout (storage.db.create_engine)
        self._turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Turns] = weakref.WeakKeyDictionary()

    async def take_turn(self, *, background: bool = False) -> None:
        """Wait for this writer's turn; the caller calls ``done`` when its transaction has ended."""
        turns = self._turns.setdefault(asyncio.get_running_loop(), _Turns())
        if not turns.held and not turns.foreground and not turns.background:
            turns.held = True
            return
        waiting: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        (turns.background if background else turns.foreground).append(waiting)
        try:
            async with asyncio.timeout(self.timeout):
                await waiting
        except BaseException as exc:
            if waiting.done() and not waiting.cancelled():
                self.done()  # the turn came just as the wait ended: pass it on
            else:
                waiting.cancel()  # skipped when the turn is handed on
            if isinstance(exc, TimeoutError):
                raise TimeoutError(f"waited {self.timeout:g} s for the database's write lock (another writer held it all along)") from None
            raise

    def done(self) -> None:
        """The writer's transaction has ended: the next one's turn."""
        turns = self._turns[asyncio.get_running_loop()]
        for queue in self._order(turns):
            while queue:
                waiting = queue.popleft()
                if not waiting.done():
                    turns.foreground_in_a_row = turns.foreground_in_a_row + 1 if queue is turns.foreground else 0
                    waiting.set_result(None)
                    return
        turns.held = False

    def _order(self, turns: _Turns) -> tuple[deque[asyncio.Future[None]], deque[asyncio.Future[None]]]:
        if turns.foreground_in_a_row >= self.BACKGROUND_EVERY and any(not w.done() for w in turns.background):
            return turns.background, turns.foreground
        return turns.foreground, turns.background


class UnitOfWorkFactory:
    """Makes a fresh unit of work per call: ``async with uow_factory() as uow``."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory
        engine = session_factory.kw["bind"]
        self._reading_factory = async_sessionmaker(engine.execution_options(**{READING: True}), expire_on_commit=False)
        self._writers = WriterQueue() if engine.dialect.name == "sqlite" else None

    def __call__(self, *, background: bool = False) -> SqlUnitOfWork:
        """A writing unit of work; ``background``: for work nobody waits on at this moment
        (delivery bookkeeping, planning), which lets a person's own action write first."""
        return SqlUnitOfWork(self._session_factory, writers=self._writers, background=background)

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
