"""The unit of work: one database transaction per service call, rolled back unless committed."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

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

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory
        self._db_session: AsyncSession | None = None

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
        await self._db_session.commit()

    async def rollback(self) -> None:
        assert self._db_session is not None, "rollback outside `async with`"
        await self._db_session.rollback()


class UnitOfWorkFactory:
    """Makes a fresh unit of work per call: ``async with uow_factory() as uow``."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._session_factory)
