"""A small programme on a real database: Panjin (Asia/Shanghai) and Lisbon (Europe/Lisbon) meet on
one topic; each city has a contact, and there is a coordinator. Instants are fixed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest

from bot.domain import Contact, Role, Session
from storage.uow import UnitOfWorkFactory
from tests.local_smtp import RecordingHandler, smtp_server

NOW = datetime(2027, 3, 22, 8, 0, tzinfo=timezone.utc)
SESSION_START = datetime(2027, 3, 31, 8, 0, tzinfo=timezone.utc)  # 16:00 in Panjin, 09:00 in Lisbon (WEST)
OFFSETS = (timedelta(hours=24), timedelta(hours=1))


@dataclass
class Programme:
    uow_factory: UnitOfWorkFactory
    panjin_contact: Contact
    lisbon_contact: Contact
    coordinator: Contact
    session: Session
    panjin_id: int
    lisbon_id: int

    @property
    def participants(self) -> list[Contact]:
        return [self.panjin_contact, self.lisbon_contact, self.coordinator]


async def make_programme(uow_factory: UnitOfWorkFactory, *, start_utc: datetime = SESSION_START, emails: bool = False) -> Programme:
    async with uow_factory() as uow:
        panjin = await uow.cities.add(name="Panjin", country="CN", timezone="Asia/Shanghai", group="China", now_utc=NOW)
        lisbon = await uow.cities.add(name="Lisbon", country="PT", timezone="Europe/Lisbon", group="EU", now_utc=NOW)
        await uow.topics.sync([("wetlands", {"en": "Wetland protection", "zh": "湿地保护", "de": "Feuchtgebietsschutz"})])
        topic = await uow.topics.by_key("wetlands")
        assert topic is not None
        match = await uow.matches.create(panjin.id, lisbon.id, topic.id, NOW)
        assert match is not None
        li = await uow.contacts.add(
            display_name="Li Wei", role=Role.CONTACT, language="zh", now_utc=NOW, city_id=panjin.id,
            telegram_user_id=1001, chat_id=1001, email="li.wei@panjin.example" if emails else None,
        )
        ana = await uow.contacts.add(
            display_name="Ana Costa", role=Role.CONTACT, language="de", now_utc=NOW, city_id=lisbon.id,
            telegram_user_id=1002, chat_id=1002,
        )
        coordinator = await uow.contacts.add(
            display_name="Coordinator", role=Role.COORDINATOR, language="en", now_utc=NOW,
            telegram_user_id=9001, chat_id=9001,
        )
        session = await uow.sessions.add(
            match_id=match.id, start_utc=start_utc, duration_minutes=60, meeting_link="https://meet.jit.si/tandem-x7k2",
            ical_uid="session-1@tandem", confirmed_by=9001, now_utc=NOW,
        )
        assert session is not None
        await uow.sessions.add_participants(session.id, [li.id, ana.id, coordinator.id])
        await uow.commit()
    return Programme(uow_factory, li, ana, coordinator, session, panjin.id, lisbon.id)


@pytest.fixture
async def programme(uow_factory: UnitOfWorkFactory) -> Programme:
    return await make_programme(uow_factory)


@pytest.fixture
def smtp() -> Iterator[tuple[RecordingHandler, int]]:
    """A local SMTP server (aiosmtpd): the e-mail channel's network boundary."""
    with smtp_server() as server:
        yield server
