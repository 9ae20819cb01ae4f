"""Reminders before a confirmed session: when they are due, and queuing them.

Two parts, from pure to effectful (their text is ``bot.notices.reminders``, rendered at send time):

* :func:`reminder_times` -- pure arithmetic: which of the configured offsets still make sense for a
  session starting at ``start_utc``, seen at ``now_utc``, and when each is due.
* :func:`queue_reminders` / :func:`drop_reminders` -- outbox rows inside the caller's unit of work
  (the confirm / reschedule / cancel services call them; they commit).

A session booked closer than an offset. An offset whose due time is already past when the session
is confirmed is skipped, unless it is past by no more than :data:`QUEUE_GRACE` (the moments between
reading the clock and committing). Worked numbers, offsets 24 h and 1 h:

* confirmed 30 h before the start: both, due at start - 24 h and start - 1 h;
* confirmed 23 h 58 min before: the 24 h reminder was due 2 min ago, within the grace: it is
  queued due now, so it arrives with the invite; the 1 h one as usual;
* confirmed 5 h before: the 24 h reminder would have been due 19 h ago: skipped; only the 1 h one;
* confirmed 40 min before: neither (the invite itself is the reminder).

A reminder that *was* queued but could not be sent in time because the bot was down is a different
case, decided by its renderer at send time (``bot.notices.reminders``): late, or dropped.

Dedupe keys name the session, its SEQUENCE, the offset, the contact and the channel
(``reminder:<session>:<sequence>:<offset seconds>:<contact>:<channel>``), so queuing twice is a
no-op, and a reschedule (which raises the sequence) queues new rows while the old ones are dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.domain import Channel, Contact, NoticeKind, OutgoingMessage, Session, SessionStatus, utc
from bot.notices.outbox import queue_notice
from bot.ports import UnitOfWork

REMINDER_KIND = NoticeKind.REMINDER.value
QUEUE_GRACE = timedelta(minutes=5)


@dataclass(frozen=True)
class ReminderTime:
    offset: timedelta
    due_utc: datetime


def reminder_times(
    start_utc: datetime, offsets: Iterable[timedelta], now_utc: datetime, grace: timedelta = QUEUE_GRACE
) -> list[ReminderTime]:
    """The reminders that still make sense for a session starting at ``start_utc``, earliest first."""
    start_utc, now_utc = utc(start_utc), utc(now_utc)
    if start_utc <= now_utc:
        return []
    times = []
    for offset in sorted(set(offsets), reverse=True):
        if offset <= timedelta(0):
            raise ValueError(f"a reminder offset must be positive, got {offset}")
        due = start_utc - offset  # arithmetic in UTC: "24 h before" is 24 real hours, across DST too
        if due < now_utc - grace:
            continue
        times.append(ReminderTime(offset, max(due, now_utc)))
    return times


def _key_prefix(session_id: int, sequence: int, offset: timedelta) -> str:
    return f"{REMINDER_KIND}:{session_id}:{sequence}:{int(offset.total_seconds())}"


def reminder_key(session_id: int, sequence: int, offset: timedelta, contact_id: int, channel: Channel) -> str:
    """The dedupe key of one reminder row (``queue_notice`` adds the contact and the channel)."""
    return f"{_key_prefix(session_id, sequence, offset)}:{contact_id}:{channel.value}"


async def queue_reminders(
    uow: UnitOfWork,
    session: Session,
    participants: Sequence[Contact],
    offsets: Iterable[timedelta],
    now_utc: datetime,
    *,
    email_enabled: bool,
) -> list[OutgoingMessage]:
    """(Re)queue a session's reminders for ``participants`` inside the caller's unit of work.

    Each goes on the channel the rule gives (``Contact.channels_for``: Telegram when reachable,
    else e-mail). Reminders of other sequences of the session still pending are dropped (a
    reschedule moves them). Returns the rows queued now (none for those queued before); the caller
    commits and then calls ``wakeups.outbox_changed(min(m.due_utc for m in queued))``.
    """
    if session.status is not SessionStatus.CONFIRMED:
        await drop_reminders(uow, session.id, f"session {session.id} is {session.status.value}")
        return []
    offsets = sorted(set(offsets), reverse=True)
    times = reminder_times(session.start_utc, offsets, now_utc)
    wanted = [
        reminder_key(session.id, session.sequence, when.offset, contact.id, channel)
        for when in times
        for contact in participants
        for channel in contact.channels_for(NoticeKind.REMINDER, email_enabled=email_enabled)
    ]
    await uow.outbox.drop_pending_for_session_except(
        session.id, [REMINDER_KIND], wanted, f"session {session.id} moved to sequence {session.sequence}"
    )
    queued: list[OutgoingMessage] = []
    for when in times:
        payload: dict[str, Any] = {
            "session_id": session.id,
            "sequence": session.sequence,
            "offset_seconds": int(when.offset.total_seconds()),
        }
        smaller = [o for o in offsets if o < when.offset]
        if smaller:  # a late 24 h reminder is pointless once the 1 h one is due
            payload["next_offset_seconds"] = int(smaller[0].total_seconds())
        queued += await queue_notice(
            uow, NoticeKind.REMINDER, participants, key=_key_prefix(session.id, session.sequence, when.offset),
            due_utc=when.due_utc, payload=payload, email_enabled=email_enabled, session_id=session.id,
        )
    return queued


async def drop_reminders(uow: UnitOfWork, session_id: int, reason: str) -> int:
    """Drop every pending reminder of a session (cancelled); returns how many."""
    return int(await uow.outbox.drop_pending_for_session(session_id, [REMINDER_KIND], reason))

