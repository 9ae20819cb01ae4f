"""Delivery: the outbox table is the truth; this service empties it, exactly once where it can.

One message goes through four steps, each its own transaction:

1. **claim** -- ``uow.outbox.claim_due(now, worker=…)`` moves due rows from ``pending`` to
   ``claimed`` by this worker (PostgreSQL: ``FOR UPDATE SKIP LOCKED``; SQLite: one writer at a
   time), and commits. No other process can claim them now.
2. **render** -- the renderer of the message's kind builds the text from the database as it is
   now (None: no longer wanted, marked ``dropped``).
3. **hand over + send** -- the channel waits for its turn (the Telegram rate limiter: Telegram's
   limits, answers to people first; see ``handlers/rate_limit.py``), then awaits the service's
   ``handing_over``, which sets ``handed_over_at`` and commits, and immediately makes its network
   call. From the hand-over on the message may reach the recipient.
4. **settle** -- ``sent``, ``failed`` or back to ``pending`` with a later due time, committed.

Claims belong to a live sender
------------------------------
A claim is a lease of ``lease`` (``[delivery] claim_lease``, 15 s by default): while a pass runs,
a heartbeat renews ``claimed_at`` of every row this worker holds each ``lease / 3``, and takes
back claims whose lease ran out (their sender died: kill -9, a power cut, an OOM kill). The
sweep job runs a pass at least every ``lease / 2``, so a dead sender's claims are back in the
queue within about 1.5 × ``lease`` even when every other sender is idle. On SQLite (one process)
``take_back_all_claims`` at start returns every claim at once: any claim found then is a dead
sender's.

If the process dies
-------------------
* Before the hand-over commits: the row is ``claimed`` without ``handed_over_at``. Nothing was
  sent; it goes back to the queue and is sent once.
* Between the hand-over and step 4 (one HTTP request and one commit: tens of milliseconds, at
  most ``send_timeout``): whether Telegram delivered it is unknowable -- the Bot API has no
  idempotency key, and no way to list what a bot has sent. The row is **sent again** when its
  claim is taken back (at-least-once in that window), with a warning naming the message: a
  reminder or invitation that never arrives costs more (a missed meeting) than one that arrives
  twice. The renderers still decide: a reminder of a session that has begun is dropped, not
  sent late. A read timeout -- which Telegram also leaves ambiguous -- is retried the same way.

Graceful shutdown (SIGTERM) never leaves such rows: the service stops claiming, withdraws the
messages still waiting for their turn (they go back to the queue unsent, due as before), lets the
sends already handed over finish and settle, and returns what it claimed but did not hand over.

Two processes on one database never send a message twice while both live: a row is claimed by
one worker only, and every later step is conditional on ``claimed_by = <this worker> AND status =
'claimed'`` (a worker that lost its claim logs it instead of overwriting the other's result).

Telegram's answers (translated by ``handlers/notifier.py`` into ``bot.ports`` errors):
``RetryLaterError`` (429, after the rate limiter's own retries) goes back to the queue due
``retry_after`` seconds later; ``TransientSendError`` (network, timeout) goes back with
exponential backoff and fails after ``RetryPolicy.max_attempts`` claims; ``RecipientBlockedError``
fails the row, marks the contact unreachable and -- the first time only -- queues a
``contact_unreachable`` notice to each coordinator; ``RejectedError`` (400) fails the row with the
error logged next to the outbox id, never retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.config import Config
from bot.domain import Channel, Contact, NoticeKind, OutboxStatus, OutgoingMessage, Role
from bot.notices.outbox import Queued, queue, queue_notice
from bot.notices.rendering import RenderContext, Renderer
from bot.ports import (
    MessageChannel,
    NotHandedOver,
    Notification,
    NoWakeups,
    RecipientBlockedError,
    RejectedError,
    RetryLaterError,
    TransientSendError,
    UnitOfWork,
    UnitOfWorkFactory,
    Wakeups,
)

log = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(seconds=15)
DEFAULT_SEND_TIMEOUT = timedelta(seconds=90)


def new_worker_id() -> str:
    """Unique per process (and per service instance): host, pid and a random part."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff for transient failures: 30 s, 1 min, 2 min, … capped at 1 h."""

    first_delay: timedelta = timedelta(seconds=30)
    factor: float = 2.0
    max_delay: timedelta = timedelta(hours=1)
    max_attempts: int = 8  # claims of one message, 429s included; then it fails

    def delay(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failed attempt (1-based)."""
        return min(self.first_delay * self.factor ** max(0, attempts - 1), self.max_delay)


@dataclass
class DeliveryReport:
    """What one pass did, message ids by outcome."""

    sent: list[int] = field(default_factory=list)
    dropped: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    given_back: list[int] = field(default_factory=list)  # shutdown: returned unsent
    lost_claims: list[int] = field(default_factory=list)  # another worker took it over (lease)
    recovered: list[int] = field(default_factory=list)  # expired claims put back in the queue


class DeliveryService:
    """Sends due outbox messages through their channels; one pass at a time per process."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        channels: Mapping[Channel, MessageChannel],
        *,
        renderers: Mapping[str, Renderer],
        wakeups: Wakeups | None = None,
        config: Config | None = None,
        worker: str | None = None,
        retry: RetryPolicy = RetryPolicy(),
        concurrency: int = 16,
        lease: timedelta = DEFAULT_LEASE,
        send_timeout: timedelta = DEFAULT_SEND_TIMEOUT,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {concurrency}")
        self.uow_factory = uow_factory
        self.clock = clock
        self.channels = dict(channels)
        self.renderers = dict(renderers)  # bot.notices.RENDERERS, given by the composition root
        self.wakeups: Wakeups = wakeups or NoWakeups()
        self.config = config or Config()  # renderers read the programme's settings from it
        self.worker = worker or new_worker_id()
        self.retry = retry
        self.concurrency = concurrency
        self.lease = lease
        self.send_timeout = send_timeout
        self._pass_lock = asyncio.Lock()
        self._stopping = False
        self._waiting_for_turn: set[asyncio.Task[None]] = set()  # rendered, not yet handed over

    @property
    def stopping(self) -> bool:
        return self._stopping

    # ---- passes --------------------------------------------------------------------------------

    async def deliver_due(self, *, keep_going: Callable[[], bool] = lambda: True) -> DeliveryReport:
        """Send everything due now; returns when nothing due is left (or on shutdown).

        Passes never overlap in one process (a second caller waits for the first). ``keep_going``
        is asked before each claim and before each hand-over (the job passes "the application is
        still running"), so SIGTERM stops the pass without cutting a send in half.
        """
        async with self._pass_lock:
            report = DeliveryReport()
            if self._stopping or not keep_going():
                return report
            report.recovered = await self.recover_expired_claims()
            in_flight: set[asyncio.Task[None]] = set()
            heartbeat = asyncio.create_task(self._heartbeat(report), name="delivery-heartbeat")
            try:
                await self._run_pass(in_flight, keep_going, report)
            finally:
                heartbeat.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await heartbeat
            return report

    async def _run_pass(self, in_flight: set[asyncio.Task[None]], keep_going: Callable[[], bool], report: DeliveryReport) -> None:
        refill_at = max(1, self.concurrency // 2)  # claim in batches, not one row per completion
        nothing_due = False
        while True:
            running = keep_going() and not self._stopping
            free = self.concurrency - len(in_flight)
            if running and not nothing_due and (free >= refill_at or not in_flight):
                claimed = await self._claim(free)
                nothing_due = not claimed
                for message in claimed:
                    in_flight.add(asyncio.create_task(self._deliver_one(message, keep_going, report)))
            if not in_flight:
                return
            done, pending = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
            in_flight.intersection_update(pending)
            for task in done:
                if not task.cancelled():  # withdrawn at shutdown: release_unsent_claims returns it
                    task.result()  # _deliver_one handles every expected failure itself
            nothing_due = False if done else nothing_due

    async def _heartbeat(self, report: DeliveryReport) -> None:
        """While the pass runs: renew this worker's claims, and take back those of dead senders."""
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            try:
                async with self.uow_factory(background=True) as uow:
                    await uow.outbox.renew_claims(worker=self.worker, now_utc=self.clock.now())
                    await uow.commit()
                report.recovered.extend(await self.recover_expired_claims())
            except Exception:  # noqa: BLE001 - a database hiccup must not end the pass; the next beat tries again
                log.warning("delivery heartbeat failed; trying again in %s", self.lease / 3, exc_info=True)

    async def _claim(self, limit: int) -> list[OutgoingMessage]:
        async with self.uow_factory(background=True) as uow:
            claimed: list[OutgoingMessage] = await uow.outbox.claim_due(now_utc=self.clock.now(), worker=self.worker, limit=limit)
            await uow.commit()
        return claimed

    async def next_due(self) -> datetime | None:
        """The earliest due time of a pending message, for the wakeup after a pass."""
        async with self.uow_factory.reading() as uow:
            due: datetime | None = await uow.outbox.next_due()
        return due

    async def recover_expired_claims(self) -> list[int]:
        """Put claims not renewed within the lease (their worker died) back in the queue."""
        return await self._take_back(self.clock.now() - self.lease)

    async def take_back_all_claims(self) -> list[int]:
        """At the start of the only process (SQLite): every claim there is belongs to a dead sender."""
        return await self._take_back(None)

    async def _take_back(self, claimed_before: datetime | None) -> list[int]:
        async with self.uow_factory(background=True) as uow:
            recovered = await uow.outbox.recover_expired_claims(claimed_before_utc=claimed_before)
            await uow.commit()
        if recovered:
            self.wakeups.outbox_changed(self.clock.now())
        for message_id, handed_over in recovered:
            if handed_over:
                log.warning(
                    "outbox %s: its sender stopped after handing it over and before recording the result; "
                    "sending it again (the recipient may get it twice)",
                    message_id,
                )
            else:
                log.info("outbox %s: claimed by a sender that stopped before sending it; back in the queue", message_id)
        return [message_id for message_id, _ in recovered]

    async def shutdown(self) -> int:
        """Stop claiming, withdraw what waits for its turn, let the sends already handed over
        finish, and return unsent claims to the queue."""
        self._stopping = True
        for task in list(self._waiting_for_turn):
            task.cancel()
        async with self._pass_lock:
            async with self.uow_factory(background=True) as uow:
                released = int(await uow.outbox.release_unsent_claims(worker=self.worker))
                await uow.commit()
        if released:
            log.info("delivery stopped: %d claimed messages returned to the queue", released)
        return released

    # ---- one message ------------------------------------------------------------------------

    async def _deliver_one(self, message: OutgoingMessage, keep_going: Callable[[], bool], report: DeliveryReport) -> None:
        try:
            prepared = await self._prepare(message, keep_going, report)
            if prepared is None:
                return
            contact, notification, channel = prepared
            await self._send(message, contact, notification, channel, keep_going, report)
        except Exception:  # noqa: BLE001 - one message's bug must not stop the others
            log.exception("outbox %s (%s): unexpected error while delivering", message.id, message.kind)
            await self._retry_or_fail(message, "unexpected error (see the log)", None, report)

    async def _prepare(
        self, message: OutgoingMessage, keep_going: Callable[[], bool], report: DeliveryReport
    ) -> tuple[Contact, Notification, MessageChannel] | None:
        """Render in one transaction; None when the message ends here."""
        now = self.clock.now()
        async with self.uow_factory(background=True) as uow:
            contact: Contact | None = await uow.contacts.get(message.contact_id)
            render = self.renderers.get(message.kind)
            channel = self.channels.get(message.channel)
            ended: tuple[OutboxStatus, str] | None = None
            notification: Notification | None = None
            rerouted = False
            if render is None:
                ended = (OutboxStatus.FAILED, f"no renderer for kind {message.kind!r}")
                log.error("outbox %s: %s", message.id, ended[1])
            elif contact is None:
                ended = (OutboxStatus.DROPPED, "the recipient was deleted")
            elif channel is None:
                ended = (OutboxStatus.DROPPED, f"the {message.channel.value} channel is not configured")
            elif message.channel is Channel.TELEGRAM and not contact.reachable:
                rerouted = bool(await self._by_email_instead(uow, message, contact, now))
                if rerouted:
                    ended = (OutboxStatus.DROPPED, "the recipient has blocked the bot; it goes by e-mail instead")
                else:
                    ended = (OutboxStatus.FAILED, "the recipient has blocked the bot")
            elif message.channel is Channel.TELEGRAM and contact.chat_id is None and contact.telegram_user_id is None:
                ended = (OutboxStatus.DROPPED, "the recipient has no Telegram chat with the bot")
            elif message.channel is Channel.EMAIL and not contact.email:
                ended = (OutboxStatus.DROPPED, "the recipient has no e-mail address")
            else:
                notification = await render(RenderContext(uow, self.config, now), contact, message)
                if notification is None:
                    ended = (OutboxStatus.DROPPED, "no longer wanted when it came to be sent")
            if ended is not None:
                status, reason = ended
                if await uow.outbox.settle(message.id, worker=self.worker, status=status, now_utc=now, error=reason):
                    await uow.commit()
                    if rerouted:
                        self.wakeups.outbox_changed(now)
                    (report.failed if status is OutboxStatus.FAILED else report.dropped).append(message.id)
                    log.info("outbox %s (%s to contact %s) %s: %s", message.id, message.kind, message.contact_id, status.value, reason)
                else:
                    report.lost_claims.append(message.id)
                return None
            if not keep_going() or self._stopping:
                await uow.outbox.give_back(message.id, worker=self.worker, due_utc=message.due_utc, error=None)
                await uow.commit()
                report.given_back.append(message.id)
                return None
            # Keep what the renderer wrote (a sign-in link's token, carried by the message itself);
            # the hand-over is stamped later, right before the network call.
            await uow.commit()
        assert contact is not None and notification is not None and channel is not None
        return contact, notification, channel

    async def _send(
        self,
        message: OutgoingMessage,
        contact: Contact,
        notification: Notification,
        channel: MessageChannel,
        keep_going: Callable[[], bool],
        report: DeliveryReport,
    ) -> None:
        task = asyncio.current_task()
        assert task is not None

        async def handing_over() -> None:
            """Right before the network call: still running and still ours? Then say so, durably."""
            self._waiting_for_turn.discard(task)  # from here on shutdown lets it finish
            if not keep_going() or self._stopping:
                raise NotHandedOver("stopping")
            if not await asyncio.shield(self._hand_over(message)):
                raise NotHandedOver("claim lost")

        self._waiting_for_turn.add(task)
        try:
            try:
                async with asyncio.timeout(self.send_timeout.total_seconds()):
                    await channel.send(contact, notification, handing_over=handing_over)
            finally:
                self._waiting_for_turn.discard(task)  # what follows is bookkeeping: never cut short
        except NotHandedOver as exc:
            if str(exc) == "stopping":
                await self._give_back_unsent(message, report)
            else:
                log.warning("outbox %s: claim lost to another worker before sending (lease expired?); not sending", message.id)
                report.lost_claims.append(message.id)
        except RetryLaterError as exc:
            await self._retry_or_fail(message, f"rate limited: {exc}", timedelta(seconds=max(1.0, exc.retry_after)), report)
        except (TransientSendError, TimeoutError) as exc:
            await self._retry_or_fail(message, f"{type(exc).__name__}: {exc}", None, report)
        except RecipientBlockedError as exc:
            await self._recipient_blocked(message, contact, str(exc), report)
        except RejectedError as exc:
            log.error("outbox %s (%s to contact %s) rejected, not retried: %s", message.id, message.kind, contact.id, exc)
            await self._settle(message, OutboxStatus.FAILED, f"rejected: {exc}", report.failed, report)
        else:
            await self._settle(message, OutboxStatus.SENT, None, report.sent, report)

    async def _hand_over(self, message: OutgoingMessage) -> bool:
        # Not background: the rate limiter holds the recipient's chat for this message from now on,
        # so a write queued behind people's answers would keep their own edits in that chat waiting.
        async with self.uow_factory() as uow:
            won: bool = await uow.outbox.hand_over(message.id, worker=self.worker, now_utc=self.clock.now())
            await uow.commit()
        return won

    async def _give_back_unsent(self, message: OutgoingMessage, report: DeliveryReport) -> None:
        async with self.uow_factory(background=True) as uow:
            won = await uow.outbox.give_back(message.id, worker=self.worker, due_utc=message.due_utc, error=None)
            await uow.commit()
        (report.given_back if won else report.lost_claims).append(message.id)

    async def _settle(
        self, message: OutgoingMessage, status: OutboxStatus, error: str | None, outcome: list[int], report: DeliveryReport
    ) -> None:
        async with self.uow_factory(background=True) as uow:
            won = await uow.outbox.settle(message.id, worker=self.worker, status=status, now_utc=self.clock.now(), error=error)
            await uow.commit()
        if won:
            outcome.append(message.id)
        else:
            log.warning("outbox %s: %s, but another worker had taken the message over (lease expired); it may go out twice", message.id, status.value)
            report.lost_claims.append(message.id)

    async def _retry_or_fail(self, message: OutgoingMessage, error: str, wait: timedelta | None, report: DeliveryReport) -> None:
        """Back to the queue after ``wait`` (default: the backoff), or failed after too many attempts."""
        if message.attempts >= self.retry.max_attempts:
            log.error("outbox %s: giving up after %d attempts: %s", message.id, message.attempts, error)
            await self._settle(message, OutboxStatus.FAILED, f"gave up after {message.attempts} attempts: {error}", report.failed, report)
            return
        due = self.clock.now() + (wait if wait is not None else self.retry.delay(message.attempts))
        async with self.uow_factory(background=True) as uow:
            won = await uow.outbox.give_back(message.id, worker=self.worker, due_utc=due, error=error)
            await uow.commit()
        if won:
            log.info("outbox %s: attempt %d failed (%s); again at %s", message.id, message.attempts, error, due.isoformat())
            report.retrying.append(message.id)
            self.wakeups.outbox_changed(due)
        else:
            report.lost_claims.append(message.id)

    async def _recipient_blocked(self, message: OutgoingMessage, contact: Contact, error: str, report: DeliveryReport) -> None:
        """Fail the message (it goes by e-mail instead where the rule says so); the first time the
        contact turns unreachable, tell the coordinators."""
        now = self.clock.now()
        async with self.uow_factory(background=True) as uow:
            won = await uow.outbox.settle(message.id, worker=self.worker, status=OutboxStatus.FAILED, now_utc=now, error=f"blocked: {error}")
            notices = 0
            if message.channel is Channel.TELEGRAM and await uow.contacts.mark_unreachable(contact.id):
                notices = await _queue_unreachable_notices(uow, self.config, contact, message, now)
            if message.channel is Channel.TELEGRAM and won:
                notices += await self._by_email_instead(uow, message, replace(contact, reachable=False), now)
            await uow.commit()
        (report.failed if won else report.lost_claims).append(message.id)
        log.warning("outbox %s: contact %s cannot be reached on %s (%s); %d notices queued", message.id, contact.id, message.channel.value, error, notices)
        if notices:
            self.wakeups.outbox_changed(now)

    async def _by_email_instead(self, uow: UnitOfWork, message: OutgoingMessage, contact: Contact, now: datetime) -> int:
        """Queue a message Telegram cannot deliver by e-mail, if the channel rule says so; 1 if it did.

        The rule (``Contact.channels_for``) is applied when a message is queued; a contact who has
        blocked the bot since gets what was queued for Telegram by e-mail, where they have an
        address. Calendar files were queued on every channel the contact had, so they are not.
        """
        try:
            kind = NoticeKind(message.kind)
        except ValueError:
            return 0  # a kind outside the table (tests, benchmarks): not ours to re-route
        if kind.carries_calendar or Channel.EMAIL not in contact.channels_for(kind, email_enabled=self.config.email.enabled):
            return 0
        item = Queued(
            message.kind, contact.id, now, f"by-email-instead:{message.id}", dict(message.payload), message.session_id, Channel.EMAIL
        )
        return int(await queue(uow, item) is not None)


async def _queue_unreachable_notices(uow: UnitOfWork, config: Config, contact: Contact, trigger: OutgoingMessage, now_utc: datetime) -> int:
    coordinators = [c for c in await uow.contacts.with_role(Role.COORDINATOR) if c.id != contact.id]
    if not coordinators:
        log.warning("contact %s blocked the bot, and there is no coordinator contact to tell", contact.id)
    # One notice per blocking (the outbox id that met it), per coordinator.
    queued = await queue_notice(
        uow, NoticeKind.CONTACT_UNREACHABLE, coordinators, key=f"{NoticeKind.CONTACT_UNREACHABLE.value}:{contact.id}:{trigger.id}",
        due_utc=now_utc, payload={"contact_id": contact.id}, email_enabled=config.email.enabled,
    )
    return len(queued)
