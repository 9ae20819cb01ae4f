"""A programme with one confirmed session and invited people with addresses, a real Dovecot, and
the reader's mailbox on it; on SQLite and PostgreSQL (the database fixtures of tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.config import Config, EmailConfig, Secret
from bot.domain import MatchStatus, Role
from bot.mailboxes import ImapMailbox
from bot.services import Services
from storage.uow import UnitOfWorkFactory
from tests.mail_in.dovecot import Dovecot, require_dovecot, running_dovecot
from tests.services.conftest import PROGRAMME, job_queue_wakeups

NOW = datetime(2027, 3, 23, 10, 0, tzinfo=timezone.utc)
START = datetime(2027, 3, 31, 7, 0, tzinfo=timezone.utc)  # 15:00 in Panjin, 09:00 in Hamburg
UID = "tandem-mail-in-1@tandem"  # the UID the fixtures' replies name
FIXTURES = Path(__file__).parent / "fixtures"
COORDINATOR = PROGRAMME.coordinators[0].telegram_id


@dataclass
class Programme:
    session_id: int
    coordinator: int
    wang: int  # Panjin's contact, e-mail only
    li: int  # Panjin participant, e-mail (Gmail)
    anna: int  # Hamburg's contact, Telegram and e-mail
    panjin: int
    hamburg: int


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def mail_config(**imap: object) -> Config:
    email = EmailConfig(
        enabled=True, sender="programme@tandem.example", imap_host="127.0.0.1", imap_username="tandem",
        imap_password=Secret("x"), imap_security="none",
    )
    return Config(programme=replace(PROGRAMME, organizer_email="programme@tandem.example"), email=replace(email, **imap))  # type: ignore[arg-type]


async def make_programme(uow_factory: UnitOfWorkFactory, *, uid: str = UID, start: datetime = START) -> Programme:
    """Two cities, their people, the coordinator and one confirmed session, straight in the database."""
    async with uow_factory() as uow:
        panjin = await uow.cities.add(name="Panjin", country="CN", timezone="Asia/Shanghai", group="China", now_utc=NOW)
        hamburg = await uow.cities.add(name="Hamburg", country="DE", timezone="Europe/Berlin", group="EU", subdivision="HH", now_utc=NOW)
        coordinator = await uow.contacts.add(
            display_name="Coordinator", role=Role.COORDINATOR, language="en", now_utc=NOW,
            telegram_user_id=COORDINATOR, chat_id=COORDINATOR, email="team@example.org",
        )
        wang = await uow.contacts.add(display_name="Wang Fang", role=Role.CONTACT, language="zh", now_utc=NOW, city_id=panjin.id, email="wang.fang@panjin.example.cn")
        li = await uow.contacts.add(display_name="Li Wei", role=Role.PARTICIPANT, language="zh", now_utc=NOW, city_id=panjin.id, email="li.wei@panjin.example.cn")
        anna = await uow.contacts.add(
            display_name="Anna Schmidt", role=Role.CONTACT, language="de", now_utc=NOW, city_id=hamburg.id,
            telegram_user_id=3001, chat_id=3001, email="anna.schmidt@hamburg.example",
        )
        topic = (await uow.topics.list())[0]
        match = await uow.matches.create(panjin.id, hamburg.id, topic.id, NOW)
        assert match is not None
        await uow.matches.transition(match.id, [match.status], MatchStatus.CONFIRMED, NOW)
        session = await uow.sessions.add(
            match_id=match.id, start_utc=start, duration_minutes=60, meeting_link="https://meet.jit.si/tandem-test",
            ical_uid=uid, confirmed_by=COORDINATOR, now_utc=NOW,
        )
        assert session is not None
        await uow.sessions.add_participants(session.id, [coordinator.id, wang.id, li.id, anna.id])
        await uow.commit()
    return Programme(session.id, coordinator.id, wang.id, li.id, anna.id, panjin.id, hamburg.id)


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    require_dovecot()
    with running_dovecot() as server:
        yield server


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
async def services(uow_factory: UnitOfWorkFactory, clock: ManualClock) -> Services:
    root = Services(config=mail_config(), clock=clock, uow_factory=uow_factory, wakeups=job_queue_wakeups(clock))
    await root.interests.sync_topics()
    return root


@pytest.fixture
async def programme(services: Services, uow_factory: UnitOfWorkFactory) -> Programme:
    return await make_programme(uow_factory)


def imap_mailbox(server: Dovecot, folder: str = "INBOX") -> ImapMailbox:
    return ImapMailbox(
        host=server.host, port=server.port, security="none", username=server.user, password=server.password, folder=folder,
    )


@pytest.fixture
async def mailbox(dovecot: Dovecot) -> AsyncIterator[ImapMailbox]:
    box = imap_mailbox(dovecot)
    yield box
    await box.close()

