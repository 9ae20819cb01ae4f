"""New-partner notices waiting for one person are folded into one digest when it comes to be sent,
and the folding survives a failed send: the retry still names every partner, and the folded rows
never go out on their own (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import update

from bot.clock import ManualClock
from bot.config import Config, EmailConfig, ProgrammeConfig
from bot.domain import NoticeKind, OutboxStatus
from bot.notices.outbox import queue_notice
from offline_bot_api import Fault
from storage.models import ContactRow, OutboxRow
from storage.uow import UnitOfWorkFactory
from tests.delivery.conftest import NOW, Programme, make_programme
from tests.delivery.support import EmailBoundary, TelegramBoundary, delivery_service
from tests.local_smtp import RecordingHandler

CONFIG = Config(programme=ProgrammeConfig(timezone="Europe/Brussels"))


async def new_partners_for_panjin(programme: Programme, count: int, *, email_enabled: bool = False) -> list[int]:
    """``count`` more EU cities meet Panjin on the topic; one new-partner notice each to Panjin's contact."""
    uow_factory: UnitOfWorkFactory = programme.uow_factory
    outbox_ids = []
    async with uow_factory() as uow:
        topic = await uow.topics.by_key("wetlands")
        assert topic is not None
        for i in range(count):
            city = await uow.cities.add(name=f"Partner {i}", country="DE", timezone="Europe/Berlin", group="EU", now_utc=NOW)
            match = await uow.matches.create(programme.panjin_id, city.id, topic.id, NOW)
            assert match is not None
            queued = await queue_notice(
                uow, NoticeKind.MATCH_NOTICE, [await uow.contacts.get(programme.panjin_contact.id)], key=f"match_notice:{match.id}", due_utc=NOW,
                payload={"match_id": match.id}, email_enabled=email_enabled,
            )
            outbox_ids += [m.id for m in queued]
        await uow.commit()
    return outbox_ids


async def test_a_digest_that_failed_to_send_is_sent_again_with_every_partner_and_the_folded_rows_never_alone(programme: Programme) -> None:
    clock = ManualClock(NOW)
    telegram = TelegramBoundary()
    telegram.api.fail_next("sendMessage", kind=Fault.NETWORK_ERROR)
    service = delivery_service(programme.uow_factory, clock, telegram, config=CONFIG)
    first, *others = await new_partners_for_panjin(programme, 6)

    report = await service.deliver_due()
    assert report.retrying == [first] and report.sent == []
    async with programme.uow_factory() as uow:
        rows = {m.id: m for m in await uow.outbox.list()}
        why = {i: (await uow.outbox.db.get(OutboxRow, i)).last_error for i in others}  # type: ignore[attr-defined, union-attr]
    assert all(rows[i].status is OutboxStatus.DROPPED for i in others) and set(why.values()) == {f"folded into outbox {first}"}
    listed = str(rows[first].payload["matches"]).split()
    assert len(listed) == 6  # written with the folding, before the send failed

    clock.advance(timedelta(minutes=5))
    report = await service.deliver_due()
    assert report.sent == [first]
    [text] = telegram.texts_to(programme.panjin_contact.chat_id)
    assert all(f"Partner {i}" in text for i in range(6)) and "6 个新的合作城市" in text  # Li reads Chinese

    # One more partner later: alone in the queue, it comes as a notice of its own.
    [later] = await new_partners_for_panjin_later(programme)
    clock.advance(timedelta(minutes=1))
    assert (await service.deliver_due()).sent == [later]
    assert "有新的合作伙伴：Later" in telegram.texts_to(programme.panjin_contact.chat_id)[-1]


async def new_partners_for_panjin_later(programme: Programme) -> list[int]:
    async with programme.uow_factory() as uow:
        topic = await uow.topics.by_key("wetlands")
        assert topic is not None
        city = await uow.cities.add(name="Later", country="FR", timezone="Europe/Paris", group="EU", now_utc=NOW)
        match = await uow.matches.create(programme.panjin_id, city.id, topic.id, NOW)
        assert match is not None
        queued = await queue_notice(
            uow, NoticeKind.MATCH_NOTICE, [programme.panjin_contact], key=f"match_notice:{match.id}", due_utc=NOW,
            payload={"match_id": match.id}, email_enabled=False,
        )
        await uow.commit()
    return [m.id for m in queued]


async def test_two_senders_fold_one_persons_notices_once(programme: Programme) -> None:
    """Two processes' senders on one database: the person gets one digest, never a folded row as well."""
    clock = ManualClock(NOW)
    telegram = TelegramBoundary()
    a = delivery_service(programme.uow_factory, clock, telegram, config=CONFIG)
    b = delivery_service(programme.uow_factory, clock, telegram, config=CONFIG)
    queued = await new_partners_for_panjin(programme, 10)
    reports = await asyncio.gather(a.deliver_due(), b.deliver_due())
    sent = [i for r in reports for i in r.sent]
    assert len(sent) == 1 and sent[0] in queued
    texts = telegram.texts_to(programme.panjin_contact.chat_id)
    assert len(texts) == 1 and "10 个新的合作城市" in texts[0] and all(f"Partner {i}" in texts[0] for i in range(8))  # page 1 of 2
    async with programme.uow_factory() as uow:
        statuses = sorted(m.status.value for m in await uow.outbox.list() if m.id in queued)
    assert statuses == ["dropped"] * 9 + ["sent"]


async def test_an_official_reached_by_email_only_gets_one_mail_naming_every_new_partner(uow_factory: UnitOfWorkFactory, smtp: tuple[RecordingHandler, int]) -> None:
    """Most of the Chinese side reads e-mail, not Telegram: twelve new partners are one mail that
    lists every one of them (every page of the digest), with the sign-in link to answer on the web."""
    programme = await make_programme(uow_factory, emails=True)
    async with uow_factory() as uow:  # Li Wei keeps her address and has no Telegram
        await uow.contacts.db.execute(  # type: ignore[attr-defined]
            update(ContactRow).where(ContactRow.id == programme.panjin_contact.id).values(chat_id=None, telegram_user_id=None)
        )
        await uow.commit()
    config = Config(programme=ProgrammeConfig(timezone="Europe/Brussels"), email=EmailConfig(enabled=True, sender="tandem@example.org"))
    queued = await new_partners_for_panjin(programme, 12, email_enabled=True)
    telegram, email = TelegramBoundary(), EmailBoundary(smtp)
    report = await delivery_service(uow_factory, ManualClock(NOW), telegram, email, config=config).deliver_due()
    assert report.sent == queued[:1]
    async with uow_factory() as uow:
        assert sorted(m.status.value for m in await uow.outbox.list() if m.id in queued) == ["dropped"] * 11 + ["sent"]
    [mail] = email.delivered
    assert mail["To"].addresses[0].addr_spec == "li.wei@panjin.example" and "12" in str(mail["Subject"])
    body = mail.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert all(f"Partner {i} " in text for i in range(12))  # every partner: a mail has no "›" to turn
    assert "页" not in text  # nor pages
