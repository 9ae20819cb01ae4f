"""Delivery through the real Application, bot and rate limiter; only the Bot API is simulated.

Telegram's errors are injected at the request layer (``FakeBotApi.fail_next`` / ``block``), so
python-telegram-bot turns them into its own exceptions exactly as in production, and
``handlers/notifier.py`` translates those.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest
from telegram.ext import Application

from bot.clock import ManualClock
from bot.config import config_from_mapping
from bot.domain import OutboxStatus, Role
from bot.notices import RENDERERS
from bot.notices.reminders import queue_reminders
from bot.ports import Button, Document, Notification
from bot.services import Services
from handlers.jobs import DELIVERY_LOOP_KEY, DeliveryLoop
from handlers.notifier import TelegramChannel
from handlers.rate_limit import TelegramRateLimiter
from offline_bot_api import DEFAULT_TOKEN, FakeBotApi, Fault, OfflineRequest
from tandem.app import build_application
from tests.delivery.conftest import NOW, OFFSETS, SESSION_START, Programme
from tests.delivery.support import PING, render_ping
from tests.delivery.test_delivery_outcomes import ping, row

H = timedelta(hours=1)


def make_application(database_url: str, api: FakeBotApi, clock: ManualClock, request: OfflineRequest | None = None,
                     rate_limiter: TelegramRateLimiter | None = None) -> Application:
    config = config_from_mapping({"database": {"url": database_url}, "programme": {"timezone": "Europe/Brussels"}},
                                 env={"TANDEM_TELEGRAM_TOKEN": DEFAULT_TOKEN})
    renderers = {**RENDERERS, PING: render_ping}  # the programme's messages and the tests' own
    return build_application(config, request=request or OfflineRequest(api), clock=clock, rate_limiter=rate_limiter, renderers=renderers)


@asynccontextmanager
async def initialized(application: Application) -> AsyncIterator[Services]:
    """What run_polling does around the network loop: initialize, post_init, …, shutdown, post_shutdown."""
    await application.initialize()
    await application.post_init(application)  # type: ignore[misc]
    try:
        yield application.bot_data["services"]
    finally:
        if application.running:
            await application.stop()
        await application.shutdown()
        await application.post_shutdown(application)  # type: ignore[misc]


async def eventually(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


def ok_sends(api: FakeBotApi) -> list[Any]:
    return [c for c in api.calls() if c.method in ("sendMessage", "sendDocument") and c.ok]


@pytest.fixture
def api() -> FakeBotApi:
    return FakeBotApi(now=lambda: NOW, require_known_chats=False)


async def test_a_user_who_blocked_the_bot_is_marked_unreachable_and_a_coordinator_is_told_once(
    programme: Programme, database_url: str, api: FakeBotApi
) -> None:
    api.block(programme.lisbon_contact.chat_id)
    first = await ping(programme.uow_factory, programme.lisbon_contact.id, 1)
    second = await ping(programme.uow_factory, programme.lisbon_contact.id, 2, due=NOW + H)
    clock = ManualClock(NOW)
    async with initialized(make_application(database_url, api, clock)) as services:
        await services.delivery.deliver_due()
        clock.advance(H)
        await services.delivery.deliver_due()  # not even tried: she is known to have blocked the bot
    assert (await row(programme.uow_factory, first)).status is OutboxStatus.FAILED
    assert (await row(programme.uow_factory, second)).status is OutboxStatus.FAILED
    [notice] = api.sent_to(programme.coordinator.chat_id)
    assert notice.text.startswith("Ana Costa (Lisbon) has blocked Tandem on Telegram")
    assert len([c for c in api.calls("sendMessage") if c.params["chat_id"] == programme.lisbon_contact.chat_id]) == 1


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (Fault.TIMEOUT, OutboxStatus.PENDING),
        (Fault.NETWORK_ERROR, OutboxStatus.PENDING),
        (Fault.BAD_REQUEST, OutboxStatus.FAILED),
        (Fault.BLOCKED, OutboxStatus.FAILED),
    ],
)
async def test_each_telegram_error_class_ends_as_the_delivery_service_intends(
    programme: Programme, database_url: str, api: FakeBotApi, fault: Fault, expected: OutboxStatus
) -> None:
    message_id = await ping(programme.uow_factory, programme.lisbon_contact.id, 1)
    api.fail_next("sendMessage", programme.lisbon_contact.chat_id, kind=fault, description="Bad Request: chat not found")
    clock = ManualClock(NOW)
    async with initialized(make_application(database_url, api, clock)) as services:
        await services.delivery.deliver_due()
        after = await row(programme.uow_factory, message_id)
        assert after.status is expected
        if expected is OutboxStatus.PENDING:  # retried after the backoff, then sent once
            assert after.due_utc == NOW + timedelta(seconds=30)
            clock.advance(timedelta(seconds=30))
            await services.delivery.deliver_due()
            assert (await row(programme.uow_factory, message_id)).status is OutboxStatus.SENT
    assert len(api.sent_to(programme.lisbon_contact.chat_id)) == (1 if expected is OutboxStatus.PENDING else 0)


async def test_a_429_is_waited_out_by_the_rate_limiter_and_the_message_goes_out_once(
    programme: Programme, database_url: str, api: FakeBotApi
) -> None:
    message_id = await ping(programme.uow_factory, programme.lisbon_contact.id, 1)
    api.fail_next("sendMessage", kind=Fault.RETRY_AFTER, retry_after=1)  # the limiter sleeps 1.1 s, then retries
    async with initialized(make_application(database_url, api, ManualClock(NOW))) as services:
        assert (await services.delivery.deliver_due()).sent == [message_id]
    assert [c.status_code for c in api.calls("sendMessage")] == [429, 200]


async def test_a_429_the_limiter_does_not_retry_puts_the_message_back_for_retry_after(
    programme: Programme, database_url: str, api: FakeBotApi
) -> None:
    message_id = await ping(programme.uow_factory, programme.lisbon_contact.id, 1)
    api.fail_next("sendMessage", kind=Fault.RETRY_AFTER, retry_after=42)
    clock = ManualClock(NOW)
    application = make_application(database_url, api, clock, rate_limiter=TelegramRateLimiter(max_retries=0))
    async with initialized(application) as services:
        assert (await services.delivery.deliver_due()).retrying == [message_id]
        assert (await row(programme.uow_factory, message_id)).due_utc == NOW + timedelta(seconds=42)
        clock.advance(timedelta(seconds=42))
        assert (await services.delivery.deliver_due()).sent == [message_id]


async def test_a_notification_with_buttons_and_an_ics_is_one_document_with_caption_and_keyboard(api: FakeBotApi) -> None:
    from telegram.ext import ExtBot

    from bot.domain import Contact, Role

    bot = ExtBot(DEFAULT_TOKEN, request=OfflineRequest(api), rate_limiter=TelegramRateLimiter())
    handed_over: list[int] = []

    async def handing_over() -> None:
        handed_over.append(len(api.calls("sendDocument")))  # before the call: none made yet

    async with bot:
        channel = TelegramChannel(bot)
        note = Notification(
            text="Invitation: Panjin – Lisbon",
            buttons=((Button("Attend", "att:1:y"), Button("Can't attend", "att:1:n")),),
            document=Document("tandem-panjin-lisbon-2027-03-31.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"),
        )
        await channel.send(Contact(1, "Ana", Role.CONTACT, "de", chat_id=1002), note, handing_over=handing_over)
    assert handed_over == [0]
    [message] = api.sent_to(1002)
    assert message.text == "Invitation: Panjin – Lisbon"
    assert message.buttons == [[("Attend", "att:1:y"), ("Can't attend", "att:1:n")]]
    assert message.document is not None and message.document.file_name == "tandem-panjin-lisbon-2027-03-31.ics"
    assert message.document.content == b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"


class StopAfter(OfflineRequest):
    """Answers like Telegram, 10 ms per request; after ``n`` messages it tells ``stop`` (SIGTERM)."""

    def __init__(self, api: FakeBotApi, n: int) -> None:
        super().__init__(api)
        self.n = n
        self.reached = asyncio.Event()

    async def do_request(self, url: str, method: str, request_data: Any = None, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        await asyncio.sleep(0.01)
        answer = await super().do_request(url, method, request_data, *args, **kwargs)
        if len(ok_sends(self.api)) >= self.n:
            self.reached.set()
        return answer


async def test_a_restart_in_the_middle_loses_nothing_and_sends_nothing_twice(
    programme: Programme, database_url: str, api: FakeBotApi
) -> None:
    pings = 40
    async with programme.uow_factory() as uow:  # one chat each: Telegram allows one message a second per chat
        people = [
            await uow.contacts.add(display_name=f"P{n}", role=Role.PARTICIPANT, language="en", now_utc=NOW, chat_id=7000 + n)
            for n in range(pings)
        ]
        await uow.commit()
    for n, person in enumerate(people):
        await ping(programme.uow_factory, person.id, n)
    async with programme.uow_factory() as uow:
        await queue_reminders(uow, programme.session, programme.participants, OFFSETS, NOW, email_enabled=False)
        await uow.commit()
    clock = ManualClock(NOW)

    request = StopAfter(api, n=10)
    first = make_application(database_url, api, clock, request=request)
    async with initialized(first):
        await first.start()  # start_jobs: a delivery pass runs at once
        await asyncio.wait_for(request.reached.wait(), 10)
        await first.stop()  # what SIGTERM does; the pass stops claiming and finishes its sends
    sent_by_first = len(ok_sends(api))
    assert 10 <= sent_by_first < pings, "the first application was not stopped in the middle"

    clock.set(SESSION_START - 24 * H)  # the restart comes a week later: the day-before reminders are due too
    second = make_application(database_url, api, clock)
    async with initialized(second):
        await second.start()
        await eventually(lambda: len(ok_sends(api)) == pings + 3)
        await second.stop()
    # Counted after the whole shutdown: a late duplicate would be in the record by now.

    sends = Counter((c.params["chat_id"], c.params["text"]) for c in ok_sends(api))
    assert sum(sends.values()) == pings + 3 and set(sends.values()) == {1}
    async with programme.uow_factory() as uow:
        statuses = Counter(m.status for m in await uow.outbox.list())
    assert statuses == {OutboxStatus.SENT: pings + 3, OutboxStatus.PENDING: 3}  # the 1 h reminders wait


async def test_the_start_pass_sets_the_next_pass_for_the_next_due_message(
    programme: Programme, database_url: str, api: FakeBotApi
) -> None:
    async with programme.uow_factory() as uow:
        await queue_reminders(uow, programme.session, programme.participants, OFFSETS, NOW, email_enabled=False)
        await uow.commit()
    clock = ManualClock(SESSION_START - 25 * H)
    application = make_application(database_url, api, clock)
    async with initialized(application):
        await application.start()
        loop: DeliveryLoop = application.bot_data[DELIVERY_LOOP_KEY]
        # First the start pass (at once), then the loop sleeps until the next pending due time:
        # the 24 h reminders, an hour from the manual "now" (a sweep pass in between sets the same).
        await eventually(lambda: loop.passes >= 1 and 3600 - 60 < loop.next_pass_in <= 3600)
        assert application.job_queue.get_jobs_by_name("deliver") == ()  # no job: the loop wakes itself
        await application.stop()


async def test_wake_ups_during_a_long_pass_coalesce_into_one_more_pass_and_nothing_is_skipped(
    programme: Programme, database_url: str, api: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    async with programme.uow_factory() as uow:  # one chat each, sent at the paced speed of the real limiter
        people = [
            await uow.contacts.add(display_name=f"P{n}", role=Role.PARTICIPANT, language="en", now_utc=NOW, chat_id=8000 + n)
            for n in range(40)
        ]
        await uow.commit()
    for n, person in enumerate(people):
        await ping(programme.uow_factory, person.id, n)
    clock = ManualClock(NOW)
    application = make_application(database_url, api, clock)
    with caplog.at_level(logging.INFO):
        async with initialized(application) as services:
            await application.start()
            loop: DeliveryLoop = application.bot_data[DELIVERY_LOOP_KEY]
            await eventually(lambda: len(ok_sends(api)) >= 1)
            for _ in range(300):  # what a burst of taps and notices does while the pass runs
                services.wakeups.outbox_changed(clock.now())
                await asyncio.sleep(0)
            await eventually(lambda: len(ok_sends(api)) == 40)
            await eventually(lambda: loop.next_pass_in == math.inf)  # the pass after the burst found nothing more
            passes = loop.passes
            await application.stop()
    assert passes <= 3, passes  # the start pass, at most one woken during it, and the one after
    assert application.job_queue.jobs() == ()
    assert not [r for r in caplog.records if "skipped" in r.getMessage() or r.levelno >= logging.ERROR]
