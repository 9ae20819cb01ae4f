"""A session's iCalendar SEQUENCE lives in the database and only ever rises; the UID never changes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bot.domain import SessionStatus
from storage.uow import UnitOfWorkFactory

NOW = datetime(2027, 3, 22, 8, 0, tzinfo=timezone.utc)
START = datetime(2027, 3, 30, 8, 30, tzinfo=timezone.utc)


async def a_session(uow_factory: UnitOfWorkFactory) -> int:
    async with uow_factory() as uow:
        panjin = await uow.cities.add(name="Panjin", country="CN", timezone="Asia/Shanghai", group="China", now_utc=NOW)
        lisbon = await uow.cities.add(name="Lisbon", country="PT", timezone="Europe/Lisbon", group="EU", now_utc=NOW)
        await uow.topics.sync([("tourism", {"en": "Tourism"})])
        topic = await uow.topics.by_key("tourism")
        match = await uow.matches.create(panjin.id, lisbon.id, topic.id, NOW)
        session = await uow.sessions.add(
            match_id=match.id, start_utc=START, duration_minutes=60, meeting_link="https://meet.jit.si/x",
            ical_uid="uid-1@tandem", confirmed_by=1001, now_utc=NOW,
        )
        await uow.commit()
        return session.id


async def test_reschedule_keeps_the_uid_and_raises_the_sequence_and_a_stale_one_changes_nothing(uow_factory: UnitOfWorkFactory) -> None:
    session_id = await a_session(uow_factory)
    async with uow_factory() as uow:
        moved = await uow.sessions.reschedule(session_id, expected_sequence=0, start_utc=START + timedelta(days=1), now_utc=NOW)
        stale = await uow.sessions.reschedule(session_id, expected_sequence=0, start_utc=START + timedelta(days=2), now_utc=NOW)
        await uow.commit()
    assert moved is not None and (moved.ical_uid, moved.sequence, moved.start_utc) == ("uid-1@tandem", 1, START + timedelta(days=1))
    assert stale is None
    async with uow_factory() as uow:
        cancelled = await uow.sessions.cancel(session_id, now_utc=NOW)
        again = await uow.sessions.cancel(session_id, now_utc=NOW)
        await uow.commit()
    assert cancelled is not None and cancelled.sequence == 2 and cancelled.status is SessionStatus.CANCELLED
    assert cancelled.ical_uid == "uid-1@tandem"
    assert again is None
    async with uow_factory() as uow:
        assert await uow.sessions.reschedule(session_id, expected_sequence=2, start_utc=START, now_utc=NOW) is None
