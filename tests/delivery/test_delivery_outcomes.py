"""What the delivery service does with each answer of a channel, and after a crash or a shutdown."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from typing import Any

import pytest

from bot.clock import ManualClock, SystemClock
from bot.domain import Channel, Contact, NoticeKind, OutboxStatus, OutgoingMessage, Role
from bot.email import EmailChannel, SmtpMailer
from bot.notices.outbox import Queued, queue
from bot.ports import Notification, RejectedError, TransientSendError
from offline_bot_api import FakeBotApi, Fault, OfflineRequest
from storage.models import OutboxRow
from storage.uow import UnitOfWorkFactory
from tests.delivery.conftest import NOW, Programme
from tests.delivery.support import PING, TelegramBoundary, delivery_service
from tests.local_smtp import free_port, smtp_server

CONTACT_UNREACHABLE_KIND = NoticeKind.CONTACT_UNREACHABLE.value


async def ping(uow_factory: UnitOfWorkFactory, contact_id: int, n: int, *, due: datetime = NOW, kind: str = PING,
               channel: Channel = Channel.TELEGRAM) -> int:
    async with uow_factory() as uow:
        message = await queue(uow, Queued(kind=kind, contact_id=contact_id, due_utc=due, dedupe_key=f"{kind}:{n}:{channel.value}",
                                          payload={"n": n}, channel=channel))
        await uow.commit()
    assert message is not None
    return message.id


async def row(uow_factory: UnitOfWorkFactory, message_id: int) -> OutgoingMessage:
    async with uow_factory() as uow:
        message = await uow.outbox.get(message_id)
    assert message is not None
    return message


async def test_retry_after_puts_the_message_back_due_when_telegram_said(programme: Programme) -> None:
    clock = ManualClock(NOW)
    telegram = TelegramBoundary()
    telegram.api.fail_next("sendMessage", kind=Fault.RETRY_AFTER, retry_after=7)
    service = delivery_service(programme.uow_factory, clock, telegram)
    message_id = await ping(programme.uow_factory, programme.lisbon_contact.id, 1)

    assert (await service.deliver_due()).retrying == [message_id]
    waiting = await row(programme.uow_factory, message_id)
    assert waiting.status is OutboxStatus.PENDING and waiting.due_utc == NOW + timedelta(seconds=7)
    clock.advance(timedelta(seconds=6))
    assert (await service.deliver_due()).sent == []
    clock.advance(timedelta(seconds=1))
    assert (await service.deliver_due()).sent == [message_id]
    assert len(telegram.delivered) == 1


async def test_network_errors_back_off_exponentially_and_give_up_after_the_last_attempt(programme: Programme) -> None:
    clock = ManualClock(NOW)
    telegram = TelegramBoundary()
    telegram.api.fail_next("sendMessage", kind=Fault.NETWORK_ERROR, count=3)
    service = delivery_service(programme.uow_factory, clock, telegram)  # 30 s, then 60 s; 3 attempts at most
    message_id = await ping(programme.uow_factory, programme.lisbon_contact.id, 1)

    await service.deliver_due()
    assert (await row(programme.uow_factory, message_id)).due_utc == NOW + timedelta(seconds=30)
    clock.advance(timedelta(seconds=30))
    await service.deliver_due()
    assert (await row(programme.uow_factory, message_id)).due_utc == NOW + timedelta(seconds=90)
    clock.advance(timedelta(seconds=60))
    assert (await service.deliver_due()).failed == [message_id]
    failed = await row(programme.uow_factory, message_id)
    assert failed.status is OutboxStatus.FAILED and failed.attempts == 3 and telegram.delivered == []


async def test_a_network_error_once_is_retried_and_sent_once(programme: Programme) -> None:
    clock = ManualClock(NOW)
    telegram = TelegramBoundary()
    telegram.api.fail_next("sendMessage", kind=Fault.NETWORK_ERROR)
    service = delivery_service(programme.uow_factory, clock, telegram)
    await ping(programme.uow_factory, programme.lisbon_contact.id, 1)
    await service.deliver_due()
    clock.advance(timedelta(seconds=30))
    await service.deliver_due()
    await service.deliver_due()
    assert [d.text for d in telegram.delivered] == ["ping 1 for Ana Costa"]


async def test_a_blocked_bot_marks_the_contact_unreachable_and_tells_the_coordinators_once(
    programme: Programme, caplog: pytest.LogCaptureFixture
) -> None:
    async with programme.uow_factory() as uow:
        second = await uow.contacts.add(display_name="Second Coordinator", role=Role.COORDINATOR, language="de",
                                        now_utc=NOW, telegram_user_id=9002, chat_id=9002)
        await uow.commit()
    clock = ManualClock(NOW)
    telegram = TelegramBoundary()
    telegram.api.fail_next("sendMessage", programme.lisbon_contact.chat_id, kind=Fault.BLOCKED)
    service = delivery_service(programme.uow_factory, clock, telegram)
    first = await ping(programme.uow_factory, programme.lisbon_contact.id, 1)
    later = await ping(programme.uow_factory, programme.lisbon_contact.id, 2, due=NOW + timedelta(hours=1))

    with caplog.at_level(logging.WARNING):
        report = await service.deliver_due()
    assert report.failed == [first]
    assert len(report.sent) == 2  # the two coordinator notices went out in the same pass
    async with programme.uow_factory() as uow:
        assert not (await uow.contacts.get(programme.lisbon_contact.id)).reachable
        notices = [m for m in await uow.outbox.list() if m.kind == CONTACT_UNREACHABLE_KIND]
    assert sorted(n.contact_id for n in notices) == [programme.coordinator.id, second.id]
    [english] = telegram.texts_to(programme.coordinator.chat_id)
    assert english.startswith("Ana Costa (Lisbon) has blocked Tandem on Telegram")
    assert "no e-mail address either" in english
    assert telegram.texts_to(second.chat_id)[0].startswith("Ana Costa (Lisbon) hat Tandem in Telegram blockiert")

    clock.advance(timedelta(hours=1))  # the next message to her is not even tried, and nobody is told again
    attempts = telegram.attempts
    assert (await service.deliver_due()).failed == [later]
    assert telegram.attempts == attempts
    async with programme.uow_factory() as uow:
        assert len([m for m in await uow.outbox.list() if m.kind == CONTACT_UNREACHABLE_KIND]) == 2


async def test_a_bad_request_fails_at_once_and_is_logged_with_the_outbox_id(
    programme: Programme, caplog: pytest.LogCaptureFixture
) -> None:
    telegram = TelegramBoundary()
    telegram.api.fail_next("sendMessage", kind=Fault.BAD_REQUEST, description="Bad Request: can't parse entities")
    service = delivery_service(programme.uow_factory, ManualClock(NOW), telegram)
    message_id = await ping(programme.uow_factory, programme.lisbon_contact.id, 1)
    with caplog.at_level(logging.ERROR):
        assert (await service.deliver_due()).failed == [message_id]
    assert telegram.attempts == 1
    assert any(f"outbox {message_id}" in r.getMessage() and "parse entities" in r.getMessage() for r in caplog.records)
    assert (await row(programme.uow_factory, message_id)).status is OutboxStatus.FAILED


async def test_a_kind_without_a_renderer_fails_and_is_logged(programme: Programme, caplog: pytest.LogCaptureFixture) -> None:
    telegram = TelegramBoundary()
    message_id = await ping(programme.uow_factory, programme.lisbon_contact.id, 1, kind="no_such_kind")
    with caplog.at_level(logging.ERROR):
        report = await delivery_service(programme.uow_factory, ManualClock(NOW), telegram).deliver_due()
    assert report.failed == [message_id] and telegram.attempts == 0
    assert any("no renderer for kind 'no_such_kind'" in r.getMessage() for r in caplog.records)


async def test_shutdown_in_the_middle_returns_unsent_claims_and_a_new_sender_sends_each_once(programme: Programme) -> None:
    ids = [await ping(programme.uow_factory, programme.lisbon_contact.id, n) for n in range(10)]
    clock = ManualClock(NOW)
    first_channel = TelegramBoundary()
    first = delivery_service(programme.uow_factory, clock, first_channel, concurrency=4)
    # SIGTERM arrives after the third message went out: the application stops "running".
    report = await first.deliver_due(keep_going=lambda: len(first_channel.delivered) < 3)
    await first.shutdown()
    assert 3 <= len(report.sent) < len(ids)
    async with programme.uow_factory() as uow:
        assert await uow.outbox.list(status=OutboxStatus.CLAIMED) == []
    second_channel = TelegramBoundary(first_channel.api)  # the same Telegram, another bot process
    await delivery_service(programme.uow_factory, clock, second_channel).deliver_due()
    texts = [d.text for d in second_channel.delivered]
    assert sorted(texts) == sorted(f"ping {n} for Ana Costa" for n in range(10))


async def test_shutdown_returns_what_this_sender_claimed_but_never_handed_over(programme: Programme) -> None:
    message_id = await ping(programme.uow_factory, programme.lisbon_contact.id, 1)
    service = delivery_service(programme.uow_factory, ManualClock(NOW), TelegramBoundary())
    async with programme.uow_factory() as uow:
        assert len(await uow.outbox.claim_due(now_utc=NOW, worker=service.worker, limit=5)) == 1
        await uow.commit()
    assert await service.shutdown() == 1
    assert (await row(programme.uow_factory, message_id)).status is OutboxStatus.PENDING
    assert (await service.deliver_due()).sent == []  # a stopped service claims nothing more


async def test_a_crashed_senders_claims_come_back_after_the_lease_and_only_handed_over_ones_are_flagged(
    programme: Programme, caplog: pytest.LogCaptureFixture
) -> None:
    never_sent = await ping(programme.uow_factory, programme.lisbon_contact.id, 1)
    maybe_sent = await ping(programme.uow_factory, programme.panjin_contact.id, 2)
    async with programme.uow_factory() as uow:  # the dead process: claimed both, handed one over, then died
        assert len(await uow.outbox.claim_due(now_utc=NOW, worker="dead:1", limit=10)) == 2
        assert await uow.outbox.hand_over(maybe_sent, worker="dead:1", now_utc=NOW)
        await uow.commit()
    clock = ManualClock(NOW + timedelta(seconds=10))
    telegram = TelegramBoundary()
    service = delivery_service(programme.uow_factory, clock, telegram)
    assert service.lease == timedelta(seconds=15)
    assert (await service.deliver_due()).sent == []  # within the lease: the owner may be alive
    clock.set(NOW + timedelta(seconds=16))
    with caplog.at_level(logging.INFO):
        report = await service.deliver_due()
    assert sorted(report.recovered) == sorted([never_sent, maybe_sent])
    assert sorted(report.sent) == sorted([never_sent, maybe_sent])
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(f"outbox {maybe_sent}" in w and "may get it twice" in w for w in warnings)
    assert not any(f"outbox {never_sent}:" in w for w in warnings)


async def test_a_sender_that_lost_its_claim_does_not_overwrite_the_new_owners_result(programme: Programme) -> None:
    message_id = await ping(programme.uow_factory, programme.lisbon_contact.id, 1)
    async with programme.uow_factory() as uow:
        [claimed] = await uow.outbox.claim_due(now_utc=NOW, worker="slow", limit=1)
        await uow.commit()
    async with programme.uow_factory() as uow:  # the lease expired; someone else recovered and sent it
        assert await uow.outbox.recover_expired_claims(claimed_before_utc=NOW + timedelta(minutes=11)) == [(message_id, False)]
        [again] = await uow.outbox.claim_due(now_utc=NOW, worker="fast", limit=1)
        assert await uow.outbox.settle(again.id, worker="fast", status=OutboxStatus.SENT, now_utc=NOW)
        await uow.commit()
    async with programme.uow_factory() as uow:
        assert not await uow.outbox.hand_over(claimed.id, worker="slow", now_utc=NOW)
        assert not await uow.outbox.settle(claimed.id, worker="slow", status=OutboxStatus.FAILED, now_utc=NOW)
        assert not await uow.outbox.give_back(claimed.id, worker="slow", due_utc=NOW)
        await uow.commit()
    assert (await row(programme.uow_factory, message_id)).status is OutboxStatus.SENT


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("busy@panjin.example", TransientSendError),  # 451: worth trying again later
        ("nobody@panjin.example", RejectedError),  # 550: never
        (None, TransientSendError),  # no server listening: connection refused
    ],
    ids=["4xx", "5xx", "refused"],
)
async def test_the_email_channel_says_whether_a_mail_failure_is_worth_retrying(address: str | None, expected: type) -> None:
    with smtp_server() as (handler, port):
        if address is None:
            port = free_port()  # nobody listens there
        mailer = SmtpMailer(host="127.0.0.1", port=port, security="none", timeout=10.0)
        channel = EmailChannel(mailer, from_address="tandem@example.org", from_name="Tandem", clock=ManualClock(NOW))
        contact = Contact(1, "Li Wei", Role.CONTACT, "zh", email=address or "li.wei@panjin.example")
        mail = EmailMessage()
        mail["Subject"] = "x"
        mail.set_content("x")
        with pytest.raises(expected):
            await channel.send(contact, Notification(text="x", email=mail), handing_over=nothing_to_record)
        assert handler.received == []


async def nothing_to_record() -> None:
    """The hand-over of a test that sends through a channel without a delivery service."""


async def test_the_email_channel_completes_the_headers_the_renderer_left_out() -> None:
    with smtp_server() as (handler, port):
        mailer = SmtpMailer(host="127.0.0.1", port=port, security="none", timeout=10.0)
        channel = EmailChannel(mailer, from_address="tandem@example.org", from_name="Tandem", clock=ManualClock(NOW))
        mail = EmailMessage()
        mail["Subject"] = "Erinnerung"
        mail.set_content("x")
        contact = Contact(1, "Ana", Role.CONTACT, "de", email="ana@lisboa.example")
        await channel.send(contact, Notification(text="x", email=mail), handing_over=nothing_to_record)
    [sent] = handler.messages()
    assert sent["From"] == "Tandem <tandem@example.org>" and sent["To"] == "ana@lisboa.example"
    assert sent["Date"] == "Mon, 22 Mar 2027 08:00:00 +0000" and sent["Message-ID"].endswith("@example.org>")


class HeldRequest(OfflineRequest):
    """Telegram answering the first ``sendMessage`` only when the test says so (a slow call)."""

    def __init__(self, api: FakeBotApi) -> None:
        super().__init__(api, read_timeout=60)
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def do_request(self, url: str, method: str, request_data: Any = None, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        if url.endswith("/sendMessage") and not self.release.is_set():
            self.entered.set()
            await self.release.wait()
        return await super().do_request(url, method, request_data, *args, **kwargs)


async def test_a_live_senders_heartbeat_keeps_its_claim_past_the_lease(programme: Programme) -> None:
    """A send slower than the lease: the heartbeat renews the claim, so another sender does not
    take it over (and send it a second time) while its sender lives."""
    now = datetime.now(timezone.utc)  # the heartbeat and the lease run on the real clock here
    message_id = await ping(programme.uow_factory, programme.lisbon_contact.id, 1, due=now)
    lease = timedelta(seconds=3)
    api = FakeBotApi(require_known_chats=False)
    held = HeldRequest(api)
    slow = delivery_service(programme.uow_factory, SystemClock(), TelegramBoundary(api, held), lease=lease)  # type: ignore[arg-type]
    other = delivery_service(programme.uow_factory, SystemClock(), TelegramBoundary(api), lease=lease)  # type: ignore[arg-type]
    sending = asyncio.create_task(slow.deliver_due())
    await asyncio.wait_for(held.entered.wait(), 30)
    claimed_at = (await claim_time(programme.uow_factory, message_id))
    deadline = claimed_at + lease + timedelta(seconds=1)
    while datetime.now(timezone.utc) < deadline:  # past the first lease, on the heartbeat alone
        await asyncio.sleep(0.1)
    renewed_at = await claim_time(programme.uow_factory, message_id)
    report = await other.deliver_due()
    assert report.recovered == [] and report.sent == []  # alive: its claim is not taken
    assert renewed_at > claimed_at + lease / 3
    held.release.set()
    assert (await asyncio.wait_for(sending, 30)).sent == [message_id]
    assert len([c for c in api.calls("sendMessage") if c.ok]) == 1


async def claim_time(uow_factory: UnitOfWorkFactory, message_id: int) -> datetime:
    async with uow_factory() as uow:
        row = await uow.outbox.db.get(OutboxRow, message_id, populate_existing=True)  # type: ignore[attr-defined]
        assert row is not None and row.claimed_at is not None
        return row.claimed_at
