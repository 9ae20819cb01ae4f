"""Reminders before a confirmed session: when they are due -- pure arithmetic, no I/O.

:func:`reminder_times` says which of the configured offsets still make sense for a session starting
at ``start_utc``, seen at ``now_utc``, and when each is due. The bot's reminders
(``bot.notices.reminders`` queues and renders them) and the calendar file's alarms
(``bot.invites``) both follow it, so a VALARM rings when the bot's reminder arrives.

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

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain import Channel, NoticeKind, utc

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


def key_prefix(session_id: int, sequence: int, offset: timedelta) -> str:
    return f"{REMINDER_KIND}:{session_id}:{sequence}:{int(offset.total_seconds())}"


def reminder_key(session_id: int, sequence: int, offset: timedelta, contact_id: int, channel: Channel) -> str:
    """The dedupe key of one reminder row (``queue_notice`` adds the contact and the channel)."""
    return f"{key_prefix(session_id, sequence, offset)}:{contact_id}:{channel.value}"
