"""Reminders through the delivery service on SQLite and PostgreSQL, with a manual clock."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import update

from bot.clock import ManualClock
from bot.config import Config, EmailConfig, ProgrammeConfig
from bot.domain import Channel, OutboxStatus
from bot.notices.reminders import drop_reminders, queue_reminders
from bot.services.delivery import DeliveryReport
from storage.models import ContactRow
from storage.uow import UnitOfWorkFactory
from tests.delivery.conftest import NOW, OFFSETS, SESSION_START, Programme, make_programme
from tests.delivery.support import EmailBoundary, TelegramBoundary, delivery_service
from tests.local_smtp import RecordingHandler

H = timedelta(hours=1)


async def queue(programme: Programme, *, now=NOW, email_enabled: bool = True) -> int:
    async with programme.uow_factory() as uow:
        session = await uow.sessions.get(programme.session.id)
        participants = [await uow.contacts.get(c.id) for c in programme.participants]
        queued = await queue_reminders(uow, session, participants, OFFSETS, now, email_enabled=email_enabled)
        await uow.commit()
    return len(queued)


async def reached_by_email_only(programme: Programme) -> None:
    """Li Wei (Panjin) keeps her address and loses Telegram (blocked in mainland China)."""
    async with programme.uow_factory() as uow:
        await uow.contacts.db.execute(  # no repository method unbinds Telegram: nothing in Tandem does it
            update(ContactRow).where(ContactRow.id == programme.panjin_contact.id).values(chat_id=None, telegram_user_id=None)
        )
        await uow.commit()


async def statuses(programme: Programme) -> dict[str, int]:
    async with programme.uow_factory() as uow:
        rows = await uow.outbox.list()
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.status.value] = counts.get(row.status.value, 0) + 1
    return counts


async def test_each_participant_gets_each_reminder_once_in_their_language_and_zone(programme: Programme) -> None:
    assert await queue(programme) == 6  # 2 offsets x 3 participants, Telegram only (no addresses)
    clock = ManualClock(NOW)
    telegram = TelegramBoundary()
    service = delivery_service(programme.uow_factory, clock, telegram)

    assert (await service.deliver_due()).sent == []  # nothing due a week ahead
    clock.set(SESSION_START - 24 * H)
    assert len((await service.deliver_due()).sent) == 3
    assert (await service.deliver_due()).sent == []  # a second pass sends nothing again
    clock.set(SESSION_START - H)
    assert len((await service.deliver_due()).sent) == 3

    # Each in the reader's own zone first, then the partner's: Lisbon changed to summer time on
    # 28 March, Shanghai has none, so the gap is 7 hours this week (8 the week before).
    [day_before_zh, hour_before_zh] = telegram.texts_to(programme.panjin_contact.chat_id)
    assert day_before_zh.splitlines()[:2] == [
        "提醒：您与Lisbon关于“湿地保护”的会谈将于1天后开始。",
        "时间：2027年3月31日 星期三 16:00 Panjin（UTC+8） · 09:00 Lisbon（UTC+1）",
    ]
    assert "1小时后" in hour_before_zh
    [day_before_de, _] = telegram.texts_to(programme.lisbon_contact.chat_id)
    assert day_before_de.splitlines()[:2] == [
        "Erinnerung: Ihr Gespräch mit Panjin zum Thema „Feuchtgebietsschutz“ beginnt in 1 Tag.",
        "Wann: Mi., 31. März 2027, 09:00 Lisbon (UTC+1) · 16:00 Panjin (UTC+8)",
    ]
    [day_before_en, _] = telegram.texts_to(programme.coordinator.chat_id)  # the programme's zone, Brussels
    assert day_before_en.splitlines()[:2] == [
        "Reminder: your session with Panjin – Lisbon on “Wetland protection” starts in 1 day.",
        "When: Wed 31 Mar 2027, 10:00 Brussels (UTC+2) · 16:00 Panjin (UTC+8) · 09:00 Lisbon (UTC+1)",
    ]
    assert all("https://meet.jit.si/tandem-x7k2" in d.text for d in telegram.delivered)
    assert not any("late" in d.text or "延迟" in d.text or "Verspätet" in d.text for d in telegram.delivered)
    assert await statuses(programme) == {"sent": 6}


async def test_queuing_the_same_reminders_twice_queues_nothing_more(programme: Programme) -> None:
    assert await queue(programme) == 6
    assert await queue(programme) == 0
    assert await statuses(programme) == {"pending": 6}


async def test_a_reminder_missed_while_the_bot_was_down_goes_out_late_and_the_superseded_one_is_dropped(
    programme: Programme,
) -> None:
    await queue(programme)
    clock = ManualClock(SESSION_START - timedelta(minutes=30))  # down from before the 24 h reminder until now
    telegram = TelegramBoundary()
    report = await delivery_service(programme.uow_factory, clock, telegram).deliver_due()
    assert len(report.sent) == 3 and len(report.dropped) == 3  # the 1 h ones, late; the 24 h ones dropped
    [text] = telegram.texts_to(programme.lisbon_contact.chat_id)
    assert text.startswith("(Verspätet gesendet") and "30 Minuten" in text
    assert telegram.texts_to(programme.panjin_contact.chat_id)[0].startswith("（延迟发送")


async def test_a_reminder_a_few_minutes_behind_is_not_called_late(programme: Programme) -> None:
    await queue(programme)
    clock = ManualClock(SESSION_START - 24 * H + timedelta(minutes=3))
    telegram = TelegramBoundary()
    await delivery_service(programme.uow_factory, clock, telegram).deliver_due()
    assert len(telegram.delivered) == 3
    assert not any(d.text.startswith("(") for d in telegram.delivered)


async def test_a_reminder_whose_session_has_begun_is_dropped_and_logged(programme: Programme, caplog: pytest.LogCaptureFixture) -> None:
    await queue(programme)
    clock = ManualClock(SESSION_START + timedelta(minutes=5))
    telegram = TelegramBoundary()
    with caplog.at_level(logging.INFO):
        report = await delivery_service(programme.uow_factory, clock, telegram).deliver_due()
    assert telegram.delivered == [] and len(report.dropped) == 6
    assert any("began" in r.getMessage() for r in caplog.records)
    assert await statuses(programme) == {"dropped": 6}


async def test_a_reschedule_between_queuing_and_sending_moves_the_reminders(programme: Programme) -> None:
    await queue(programme)
    new_start = SESSION_START + 48 * H
    async with programme.uow_factory() as uow:
        moved = await uow.sessions.reschedule(programme.session.id, expected_sequence=0, start_utc=new_start, now_utc=NOW)
        assert moved is not None
        queued = await queue_reminders(uow, moved, programme.participants, OFFSETS, NOW, email_enabled=True)
        await uow.commit()
    assert len(queued) == 6 and min(m.due_utc for m in queued) == new_start - 24 * H
    assert await statuses(programme) == {"dropped": 6, "pending": 6}

    clock = ManualClock(SESSION_START - 24 * H)  # the old time: nothing goes out
    telegram = TelegramBoundary()
    service = delivery_service(programme.uow_factory, clock, telegram)
    assert (await service.deliver_due()).sent == []
    clock.set(new_start - 24 * H)
    await service.deliver_due()
    assert len(telegram.delivered) == 3
    assert "2. April 2027, 09:00" in telegram.texts_to(programme.lisbon_contact.chat_id)[0]  # the new time, Lisbon WEST


async def test_a_reminder_of_an_older_sequence_that_was_not_dropped_is_dropped_at_send_time(programme: Programme) -> None:
    await queue(programme)
    async with programme.uow_factory() as uow:  # a reschedule that forgot to requeue the reminders
        assert await uow.sessions.reschedule(programme.session.id, expected_sequence=0, start_utc=SESSION_START + H, now_utc=NOW)
        await uow.commit()
    telegram = TelegramBoundary()
    report = await delivery_service(programme.uow_factory, ManualClock(SESSION_START - 24 * H), telegram).deliver_due()
    assert telegram.delivered == [] and len(report.dropped) == 3


async def test_a_cancel_between_queuing_and_sending_drops_the_reminders(programme: Programme) -> None:
    await queue(programme)
    async with programme.uow_factory() as uow:
        assert await uow.sessions.cancel(programme.session.id, now_utc=NOW)
        assert await drop_reminders(uow, programme.session.id, "cancelled by the coordinator") == 6
        await uow.commit()
    telegram = TelegramBoundary()
    await delivery_service(programme.uow_factory, ManualClock(SESSION_START - H), telegram).deliver_due()
    assert telegram.delivered == []
    assert await statuses(programme) == {"dropped": 6}


async def test_a_cancel_committed_after_the_claim_still_stops_the_reminder(programme: Programme) -> None:
    await queue(programme)
    async with programme.uow_factory() as uow:  # another process claimed them, then the cancel landed
        claimed = await uow.outbox.claim_due(now_utc=SESSION_START - 24 * H, worker="other", limit=10)
        await uow.commit()
    assert len(claimed) == 3
    async with programme.uow_factory() as uow:
        await uow.sessions.cancel(programme.session.id, now_utc=NOW)
        await uow.commit()
    telegram = TelegramBoundary()
    service = delivery_service(programme.uow_factory, ManualClock(SESSION_START - 24 * H), telegram, worker="other")
    for message in claimed:
        report = DeliveryReport()
        await service._deliver_one(message, lambda: True, report)
        assert report.dropped == [message.id]
    assert telegram.delivered == []


async def test_reminders_go_by_telegram_where_it_reaches_and_only_then_by_email(uow_factory: UnitOfWorkFactory, smtp: tuple[RecordingHandler, int]) -> None:
    programme = await make_programme(uow_factory, emails=True)
    assert await queue(programme) == 6  # Li Wei has an address too, but Telegram reaches her: no e-mail rows
    await reached_by_email_only(programme)
    async with uow_factory() as uow:  # the session is moved: the reminders are queued again, by the rule
        moved = await uow.sessions.reschedule(programme.session.id, expected_sequence=0, start_utc=SESSION_START, now_utc=NOW)
        participants = [await uow.contacts.get(c.id) for c in programme.participants]
        queued = await queue_reminders(uow, moved, participants, OFFSETS, NOW, email_enabled=True)
        await uow.commit()
    assert sorted((m.contact_id, m.channel.value) for m in queued if m.due_utc == SESSION_START - 24 * H) == sorted(
        [(programme.panjin_contact.id, "email"), (programme.lisbon_contact.id, "telegram"), (programme.coordinator.id, "telegram")]
    )
    telegram, email = TelegramBoundary(), EmailBoundary(smtp)
    await delivery_service(uow_factory, ManualClock(SESSION_START - 24 * H), telegram, email).deliver_due()
    assert len(telegram.delivered) == 2
    [mail] = email.delivered
    assert mail["To"].addresses[0].addr_spec == "li.wei@panjin.example"
    assert "提醒" in str(mail["Subject"])


async def test_email_rows_are_dropped_with_a_reason_when_the_email_channel_is_not_configured(uow_factory: UnitOfWorkFactory) -> None:
    programme = await make_programme(uow_factory, emails=True)
    await reached_by_email_only(programme)
    await queue(programme)
    await delivery_service(uow_factory, ManualClock(SESSION_START - 24 * H), TelegramBoundary()).deliver_due()
    async with uow_factory() as uow:
        rows = [m for m in await uow.outbox.list() if m.channel is Channel.EMAIL and m.status is OutboxStatus.DROPPED]
    assert len(rows) == 1


async def test_a_reminder_for_someone_who_blocked_the_bot_goes_by_email_instead(uow_factory: UnitOfWorkFactory, smtp: tuple[RecordingHandler, int]) -> None:
    """The rule holds at send time too: not reachable on Telegram any more, so by e-mail."""
    programme = await make_programme(uow_factory, emails=True)
    await queue(programme)  # Telegram reaches everyone when the reminders are queued
    async with uow_factory() as uow:
        await uow.contacts.mark_unreachable(programme.panjin_contact.id)  # Li Wei blocks the bot since
        await uow.commit()
    config = Config(programme=ProgrammeConfig(timezone="Europe/Brussels"), email=EmailConfig(enabled=True, sender="tandem@example.org"))
    telegram, email = TelegramBoundary(), EmailBoundary(smtp)
    service = delivery_service(uow_factory, ManualClock(SESSION_START - 24 * H), telegram, email, config=config)
    await service.deliver_due()
    assert sorted(d.chat_id for d in telegram.delivered) == sorted([programme.lisbon_contact.chat_id, programme.coordinator.chat_id])
    [mail] = email.delivered
    assert mail["To"].addresses[0].addr_spec == "li.wei@panjin.example" and "提醒" in str(mail["Subject"])


async def test_a_reminder_that_meets_a_block_goes_by_email_instead_and_the_coordinators_are_told(uow_factory: UnitOfWorkFactory, smtp: tuple[RecordingHandler, int]) -> None:
    programme = await make_programme(uow_factory, emails=True)
    async with uow_factory() as uow:
        session = await uow.sessions.get(programme.session.id)
        await queue_reminders(uow, session, [programme.panjin_contact], [24 * H], NOW, email_enabled=True)
        await uow.commit()
    config = Config(programme=ProgrammeConfig(timezone="Europe/Brussels"), email=EmailConfig(enabled=True, sender="tandem@example.org"))
    telegram, email = TelegramBoundary(), EmailBoundary(smtp)
    telegram.api.block(programme.panjin_contact.chat_id)  # Li Wei blocks the bot before it reaches her
    service = delivery_service(uow_factory, ManualClock(SESSION_START - 24 * H), telegram, email, config=config)
    await service.deliver_due()
    assert [m["To"].addresses[0].addr_spec for m in email.delivered] == ["li.wei@panjin.example"]
    told = telegram.texts_to(programme.coordinator.chat_id)
    assert told and "Li Wei (Panjin) has blocked Tandem" in told[0] and "li.wei@panjin.example" in told[0]
