"""Replies by e-mail: what calendars and people send back to the organizer's mailbox, acted on once.

Every invitation names the programme's mailbox as ``ORGANIZER`` and asks for a reply, so Accept,
Tentative, Decline and "Propose new time" in Outlook, Gmail, Apple Calendar, Thunderbird, Foxmail
(and a reply typed in words) arrive there. ``MailInService.take_in`` acts on one message
(``bot.calendar_replies`` reads it); ``read_pass`` and ``run`` read a mailbox (``bot.ports.Mailbox``:
IMAP in ``tandem run``, a Maildir in the demo) with one reader at a time across processes.

What each message does
----------------------

=======================================  ===========================================================
the message                              what Tandem does (then files it in the *processed* folder)
=======================================  ===========================================================
REPLY, PARTSTAT ACCEPTED or TENTATIVE    records "I'll attend" for the invited address, exactly as
                                         the chat's button (``sessions.record_attendance``): the
                                         coordinators and the partner city are told. Tandem knows
                                         two answers; a tentative yes keeps the person expected.
REPLY, PARTSTAT DECLINED                 records "I can't attend", told the same way
REPLY for an older SEQUENCE              recorded too, and the notice says it answered an earlier time
REPLY by a delegate (DELEGATED-FROM)     recorded for the invited person who delegated
COUNTER (a proposed time)                the coordinators see both times in both cities' local time,
                                         with "Move to this time" (the same move as /schedule) and
                                         "Keep the time" (sends the proposer iTIP DECLINECOUNTER)
REFRESH                                  the invited address gets the current version again
no calendar part, from a known address   forwarded to the coordinators as a message
=======================================  ===========================================================

An unknown UID, an address that was not invited, a calendar part that does not parse, a method
an organizer does not receive, or words from an unknown address change nothing: logged, and
filed in the *unmatched* folder for a person to look at. Never guessing.

Never twice, never lost
-----------------------

Each message is recorded (``mail_in_messages``, by its Message-ID, else a hash of its bytes) in
the same transaction as what it changed; a message read again (a crash before it was moved, a
new UIDVALIDITY, a second copy) finds its record and changes nothing. Messages are read in
batches (``batch_size``, ``batch_bytes``): one FETCH, one transaction for all their effects and
records, one MOVE per folder. The reader moves messages only after that transaction committed,
and remembers the UIDVALIDITY and the last UID it dealt with after the moves, so a crash at any
point leaves the messages in the folder to be read again -- uncommitted, none of the batch
counts; committed, the records make reading them again harmless. (The position is saved after
the moves, not with the effects: saved with them, a crash before the moves would leave those
messages in the folder below the position, never read again and never filed.) One reader at a time: a lease row per mailbox
(``mail_in_mailboxes``), taken and renewed by a conditional update; another process waits, and
takes over when a dead reader's lease expires.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.calendar_replies import CalendarAnswer, ItipMethod, ReceivedMail, read_mail
from bot.domain import Channel, Contact, NoticeKind, Role, Session, SessionStatus
from bot.notices.outbox import NoticeBatch, Queued, queue, queue_notice
from bot.ports import Mailbox, MailboxError, UnitOfWork
from bot.services.base import ServiceBase
from bot.services.sessions import record_attendance

log = logging.getLogger(__name__)

PROCESSED, UNMATCHED = "processed", "unmatched"
ANSWERS = {"ACCEPTED": True, "TENTATIVE": True, "DECLINED": False}


@dataclass(frozen=True)
class TakenIn:
    """What became of one message: ``outcome`` (processed or unmatched) and, in words, why."""

    outcome: str
    detail: str
    repeated: bool = False  # it was taken in before: nothing changed now

    @property
    def matched(self) -> bool:
        return self.outcome == PROCESSED


@dataclass
class PassResult:
    """One pass over the mailbox: how many messages, and the time spent acting on them."""

    leased: bool = True  # False: another reader holds the mailbox, nothing was read
    processed: int = 0
    unmatched: int = 0
    repeated: int = 0
    seconds_acting: float = 0.0  # wall time inside take_in (the rest is the mailbox's round trips)
    cpu_seconds_acting: float = 0.0

    @property
    def messages(self) -> int:
        return self.processed + self.unmatched


def message_key(mail: ReceivedMail, raw: bytes) -> str:
    """One message's identity across copies and folders: its Message-ID, else its bytes."""
    source = ("mid:" + mail.message_id).encode() if mail.message_id else b"raw:" + raw
    return hashlib.sha256(source).hexdigest()


class MailInService(ServiceBase):
    # How long a reader holds the mailbox without renewing; a dead reader's lease expires after it.
    lease_ttl = timedelta(minutes=2)
    # Messages fetched and acted on together, in one transaction: at most this many, and at most
    # this many bytes (a message above it goes alone), so a mailbox of large mails is not held in memory.
    batch_size = 50
    batch_bytes = 8 * 1024 * 1024

    # ----------------------------------------------------------------------------- one message

    async def take_in(self, raw: bytes) -> TakenIn:
        """Act on one message, once: its effect and its record commit together."""
        return (await self.take_in_many([raw]))[0]

    async def take_in_many(self, raws: Sequence[bytes]) -> list[TakenIn]:
        """Act on several messages, each once, in one transaction: every effect and every
        message's record commit together, or none does (a crash in the middle leaves them all to
        be read again). What is looked up is looked up once for all of them: the records of
        messages taken in before, and the sessions the replies name with their people."""
        mails = [read_mail(raw) for raw in raws]
        keys = [message_key(mail, raw) for mail, raw in zip(mails, raws, strict=True)]
        now = self.now()
        taken: list[TakenIn] = []
        async with self.uow() as uow:
            before = await uow.mail_in.outcomes_of(keys)
            lookups = _Lookups(uow, await uow.sessions.with_participants_by_uid(
                mail.calendar.uid for key, mail in zip(keys, mails, strict=True) if mail.calendar is not None and key not in before
            ))
            fresh: dict[str, tuple[str, str]] = {}
            for mail, key in zip(mails, keys, strict=True):
                if key in before or key in fresh:  # taken in before, or a second copy in this batch
                    taken.append(TakenIn(before[key] if key in before else fresh[key][0], "taken in before", repeated=True))
                    continue
                fresh[key] = await self._act(lookups, mail, key, now)
                taken.append(TakenIn(*fresh[key]))
            await lookups.notices.write(uow)
            # The records last, in the same transaction. A key recorded meanwhile by another
            # process (the lease makes it rare) refuses the lot: nothing is kept, and the messages
            # are taken in one by one, where that one is found "taken in before".
            if fresh and len(await uow.mail_in.record([(k, *outcome) for k, outcome in fresh.items()], now_utc=now)) < len(fresh):
                await uow.rollback()
                if len(raws) == 1:
                    outcome = (await uow.mail_in.outcomes_of(keys)).get(keys[0], taken[0].outcome)
                    return [TakenIn(outcome, "taken in before", repeated=True)]
                return [await self.take_in(raw) for raw in raws]
            await uow.commit()
        for mail, result in zip(mails, taken, strict=True):
            if result.repeated:
                continue
            where = f"message {mail.message_id or '(no Message-ID)'} from {mail.sender or '(no sender)'}"
            if result.outcome == UNMATCHED:
                log.warning("reply not matched, filed as unmatched: %s: %s", where, result.detail)
            else:
                log.info("reply taken in: %s: %s", where, result.detail)
        if fresh:
            self.wakeups.outbox_changed(now)
        return taken

    async def _act(self, lookups: _Lookups, mail: ReceivedMail, key: str, now: datetime) -> tuple[str, str]:
        if mail.calendar is not None:
            return await self._calendar(lookups, mail.calendar, key, now)
        if mail.problem:
            return UNMATCHED, f"the calendar part cannot be used: {mail.problem}"
        return await self._words(lookups, mail, key, now)

    async def _words(self, lookups: _Lookups, mail: ReceivedMail, key: str, now: datetime) -> tuple[str, str]:
        """A reply without a calendar part: to the coordinators, if it comes from someone Tandem knows."""
        uow = lookups.uow
        senders = [c for c in await uow.contacts.by_email(mail.sender) if c.role is not Role.COORDINATOR] if mail.sender else []
        if not senders:
            return UNMATCHED, f"a message in words from an address Tandem does not know ({mail.sender or 'none'})"
        if not mail.text:
            return UNMATCHED, "a message without a calendar part and without text"
        await queue_notice(
            uow, NoticeKind.MAIL_FORWARDED, await lookups.coordinators(), key=f"{NoticeKind.MAIL_FORWARDED.value}:{key[:32]}", due_utc=now,
            payload={"who": senders[0].id, "subject": mail.subject[:300], "text": mail.text},
            email_enabled=self.config.email.enabled, sink=lookups.notices,
        )
        return PROCESSED, f"forwarded to the coordinators (from {senders[0].display_name})"

    async def _calendar(self, lookups: _Lookups, answer: CalendarAnswer, key: str, now: datetime) -> tuple[str, str]:
        found_session = lookups.sessions.get(answer.uid)
        if found_session is None:
            return UNMATCHED, f"no session has the UID {answer.uid}"
        session, participants = found_session
        invited = {c.email.lower(): c for c in participants if c.email}
        if answer.method is ItipMethod.REFRESH:
            return await self._refresh(lookups.uow, session, answer, invited, key, now)
        found = _whose_answer(answer, invited)
        if found is None:
            addresses = ", ".join(a.address for a in answer.attendees)
            return UNMATCHED, f"{addresses} was not invited to session {session.id}"
        contact, partstat = found
        if session.status is SessionStatus.CANCELLED:
            return PROCESSED, f"session {session.id} was cancelled; the {answer.method.value} changes nothing"
        if answer.method is ItipMethod.COUNTER:
            return await self._counter(lookups, session, answer, contact, key, now)
        if partstat not in ANSWERS:
            return PROCESSED, f"{contact.display_name} answered {partstat}: nothing to record (a delegate's own reply will follow)"
        await record_attendance(
            lookups.uow, self.config, session, contact, ANSWERS[partstat], now,
            answered_sequence=answer.sequence, participants=participants, sink=lookups.notices,
        )
        earlier = " (for an earlier time)" if answer.sequence < session.sequence else ""
        return PROCESSED, f"{contact.display_name}: {partstat} for session {session.id}{earlier}"

    async def _counter(
        self, lookups: _Lookups, session: Session, answer: CalendarAnswer, contact: Contact, key: str, now: datetime
    ) -> tuple[str, str]:
        assert answer.proposed_start_utc is not None  # the reader refuses a COUNTER without DTSTART
        await queue_notice(
            lookups.uow, NoticeKind.COUNTER_PROPOSAL, await lookups.coordinators(), key=f"{NoticeKind.COUNTER_PROPOSAL.value}:{key[:32]}", due_utc=now,
            payload={
                "session_id": session.id, "sequence": session.sequence, "who": contact.id,
                "start_utc": answer.proposed_start_utc.isoformat(), "comment": answer.comment[:500],
            },
            email_enabled=self.config.email.enabled, session_id=session.id, sink=lookups.notices,
        )
        return PROCESSED, f"{contact.display_name} proposes {answer.proposed_start_utc.isoformat()} for session {session.id}"

    async def _refresh(
        self, uow: UnitOfWork, session: Session, answer: CalendarAnswer, invited: dict[str, Contact], key: str, now: datetime
    ) -> tuple[str, str]:
        contact = next((invited[a.address] for a in answer.attendees if a.address in invited), None)
        if contact is None:
            return UNMATCHED, f"the REFRESH comes from an address not invited to session {session.id}"
        if session.status is SessionStatus.CANCELLED:
            kind = NoticeKind.CANCELLATION
        else:
            kind = NoticeKind.UPDATE if session.sequence else NoticeKind.INVITATION
        item = Queued(
            kind.value, contact.id, now, f"refresh:{key[:32]}:{contact.id}",
            {"session_id": session.id, "sequence": session.sequence, "reason": None}, session.id, Channel.EMAIL,
        )
        if self.config.email.enabled:  # by e-mail only: it is their calendar that asked
            await queue(uow, item)
        return PROCESSED, f"the current version of session {session.id} is sent to {contact.display_name} again"

    # ----------------------------------------------------------------------------- the mailbox

    async def read_pass(self, mailbox: Mailbox, *, owner: str) -> PassResult:
        """Read every new message of ``mailbox`` once, if ``owner`` may (the lease); see the module docstring."""
        result = PassResult()
        if not await self._renew(mailbox.name, owner):
            return PassResult(leased=False)
        uidvalidity = await mailbox.open()
        async with self.uow() as uow:
            known_validity, last_uid = await uow.mail_in.position(mailbox.name)
        if known_validity != uidvalidity:
            if known_validity is not None:
                log.warning("%s has a new UIDVALIDITY (%s, was %s): reading it from the start", mailbox.name, uidvalidity, known_validity)
            last_uid = 0
            if not await self._advance(mailbox.name, owner, uidvalidity, last_uid):
                return PassResult(leased=False)
        for batch in _batches(await mailbox.messages_after(last_uid), self.batch_size, self.batch_bytes):
            raws = await mailbox.fetch(batch)
            present = [uid for uid in batch if uid in raws]  # a message gone meanwhile is skipped
            if present:
                wall, cpu = time.perf_counter(), time.process_time()
                taken = await self.take_in_many([raws[uid] for uid in present])
                result.seconds_acting += time.perf_counter() - wall
                result.cpu_seconds_acting += time.process_time() - cpu
                for item in taken:
                    result.repeated += item.repeated
                    if item.matched:
                        result.processed += 1
                    else:
                        result.unmatched += 1
                for matched in (True, False):
                    await mailbox.file_away([uid for uid, item in zip(present, taken, strict=True) if item.matched is matched], matched=matched)
            if not await self._advance(mailbox.name, owner, uidvalidity, batch[-1]):
                log.warning("%s: another reader took the mailbox over; this one stops", mailbox.name)
                break
        return result

    async def run(self, connect: Callable[[], Mailbox], *, owner: str, stop: asyncio.Event) -> None:
        """Read the mailbox until ``stop``: a pass, then wait for new mail (IDLE, else the poll interval).

        A mailbox that cannot be reached is tried again after the poll interval; a reader that
        does not hold the lease looks again after the poll interval too.
        """
        interval = self.config.email.imap_poll_interval.total_seconds()
        # Renew the lease well within its life, also while IDLE finds no new mail.
        wait = min(interval, self.lease_ttl.total_seconds() / 3)
        mailbox: Mailbox | None = None
        try:
            while not stop.is_set():
                mailbox = mailbox or connect()
                try:
                    result = await self.read_pass(mailbox, owner=owner)
                    if result.leased:
                        await _until(stop, mailbox.wait_for_mail(wait), mailbox)
                        continue
                except MailboxError as exc:
                    log.warning("cannot read %s now: %s; trying again in %.0f s", mailbox.name, exc, interval)
                await mailbox.close()
                mailbox = None
                await _sleep_unless(stop, interval)
        finally:
            if mailbox is not None:
                await mailbox.close()
                async with self.uow() as uow:
                    await uow.mail_in.release_lease(mailbox.name, owner=owner)
                    await uow.commit()

    async def _renew(self, name: str, owner: str) -> bool:
        now = self.now()
        async with self.uow() as uow:
            held = await uow.mail_in.take_lease(name, owner=owner, now_utc=now, until_utc=now + self.lease_ttl)
            await uow.commit()
        return held

    async def _advance(self, name: str, owner: str, uidvalidity: int, uid: int) -> bool:
        now = self.now()
        async with self.uow() as uow:
            held = await uow.mail_in.take_lease(name, owner=owner, now_utc=now, until_utc=now + self.lease_ttl)
            if held:
                await uow.mail_in.advance(name, owner=owner, uidvalidity=uidvalidity, last_uid=uid)
            await uow.commit()
        return held


class _Lookups:
    """What acting on a batch of messages looks up once: the sessions the replies name, with their
    people (read before acting: acting changes answers, never who is invited), and the coordinators;
    and the notices it queues, written together (``NoticeBatch``)."""

    def __init__(self, uow: UnitOfWork, sessions: dict[str, tuple[Session, list[Contact]]]) -> None:
        self.uow, self.sessions = uow, sessions
        self.notices = NoticeBatch()
        self._coordinators: list[Contact] | None = None

    async def coordinators(self) -> list[Contact]:
        if self._coordinators is None:
            self._coordinators = await self.uow.contacts.with_role(Role.COORDINATOR)
        return self._coordinators


def _batches(messages: list[tuple[int, int]], size: int, max_bytes: int) -> Iterator[list[int]]:
    """The UIDs in order, in groups of at most ``size`` messages and ``max_bytes`` (at least one each)."""
    batch: list[int] = []
    total = 0
    for uid, length in messages:
        if batch and (len(batch) == size or total + length > max_bytes):
            yield batch
            batch, total = [], 0
        batch.append(uid)
        total += length
    if batch:
        yield batch


def _whose_answer(answer: CalendarAnswer, invited: dict[str, Contact]) -> tuple[Contact, str] | None:
    """The invited person a reply answers for, and their PARTSTAT: the invited attendee itself,
    else the invited person a delegate answers for (``DELEGATED-FROM``)."""
    for attendee in answer.attendees:
        if attendee.address in invited:
            if attendee.partstat in ANSWERS or not any(a.delegated_from for a in answer.attendees):
                return invited[attendee.address], attendee.partstat
    for attendee in answer.attendees:
        for delegator in attendee.delegated_from:
            if delegator in invited:
                return invited[delegator], attendee.partstat
    return None


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass


async def _until(stop: asyncio.Event, waiting: Awaitable[None], mailbox: Mailbox) -> None:
    """Wait for ``waiting`` (the mailbox's IDLE) or ``stop``; on stop the mailbox is closed, which ends it."""
    task = asyncio.ensure_future(waiting)
    stopper = asyncio.ensure_future(stop.wait())
    done, _ = await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    stopper.cancel()
    if task not in done:
        await mailbox.close()
        try:
            await task
        except MailboxError:
            pass
    else:
        task.result()
