"""Reminders before a confirmed session: when they are due, queuing them, and their text.

Three parts, from pure to effectful:

* :func:`reminder_times` -- pure arithmetic: which of the configured offsets still make sense for a
  session starting at ``start_utc``, seen at ``now_utc``, and when each is due.
* :func:`queue_reminders` / :func:`drop_reminders` -- outbox rows inside the caller's unit of work
  (the confirm / reschedule / cancel services call them; they commit).
* :func:`render_reminder` -- the ``"reminder"`` renderer, run by the delivery service at send time,
  so the text shows the session as it is *then*, in the recipient's language and zone.

A session booked closer than an offset. An offset whose due time is already past when the session
is confirmed is skipped, unless it is past by no more than :data:`QUEUE_GRACE` (the moments between
reading the clock and committing). Worked numbers, offsets 24 h and 1 h:

* confirmed 30 h before the start: both, due at start - 24 h and start - 1 h;
* confirmed 23 h 58 min before: the 24 h reminder was due 2 min ago, within the grace: it is
  queued due now, so it arrives with the invite; the 1 h one as usual;
* confirmed 5 h before: the 24 h reminder would have been due 19 h ago: skipped; only the 1 h one;
* confirmed 40 min before: neither (the invite itself is the reminder).

A reminder that *was* queued but could not be sent in time because the bot was down is a different
case: the renderer sends it when the bot is back if the session has not begun, marked as late
(more than :data:`LATE_AFTER` after its due time), and returns None (dropped, logged) once the
session has begun -- or once the next, closer reminder is due too (back 30 min before the start,
the bot sends the 1 h reminder, late, and drops the 24 h one instead of sending both).

Dedupe keys name the session, its SEQUENCE, the offset, the contact and the channel
(``reminder:<session>:<sequence>:<offset seconds>:<contact>:<channel>``), so queuing twice is a
no-op, and a reschedule (which raises the sequence) queues new rows while the old ones are dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from babel.dates import format_timedelta

from bot.domain import Channel, Contact, OutgoingMessage, Session, SessionStatus, utc
from bot.i18n import Place, format_instant, gettext, normalize_language
from bot.notifications import Notification, Queued, RenderContext, queue, renderer

log = logging.getLogger(__name__)

REMINDER_KIND = "reminder"
QUEUE_GRACE = timedelta(minutes=5)
LATE_AFTER = timedelta(minutes=10)


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


def reminder_key(session_id: int, sequence: int, offset: timedelta, contact_id: int, channel: Channel) -> str:
    return f"{REMINDER_KIND}:{session_id}:{sequence}:{int(offset.total_seconds())}:{contact_id}:{channel.value}"


def reminder_channels(contact: Contact, *, by_email: bool = True) -> list[Channel]:
    """Telegram where the contact has a chat with the bot, e-mail where an address is known."""
    channels = []
    if contact.chat_id is not None or contact.telegram_user_id is not None:
        channels.append(Channel.TELEGRAM)
    if by_email and contact.email:
        channels.append(Channel.EMAIL)
    return channels


async def queue_reminders(
    uow: Any,
    session: Session,
    participants: Sequence[Contact],
    offsets: Iterable[timedelta],
    now_utc: datetime,
    *,
    coordinator_zone: str = "UTC",
    by_email: bool = True,
) -> list[OutgoingMessage]:
    """(Re)queue a session's reminders for ``participants`` inside the caller's unit of work.

    Reminders of other sequences of the session still pending are dropped (a reschedule moves
    them). Returns the rows queued now (none for those queued before); the caller commits and then
    calls ``wakeups.outbox_changed(min(m.due_utc for m in queued))``. ``coordinator_zone``
    (``config.programme.timezone``) is the zone of recipients without a city.
    """
    if session.status is not SessionStatus.CONFIRMED:
        await drop_reminders(uow, session.id, f"session {session.id} is {session.status.value}")
        return []
    offsets = sorted(set(offsets), reverse=True)
    wanted: list[Queued] = []
    for when in reminder_times(session.start_utc, offsets, now_utc):
        smaller = [o for o in offsets if o < when.offset]
        for contact in participants:
            for channel in reminder_channels(contact, by_email=by_email):
                payload: dict[str, Any] = {
                    "session_id": session.id,
                    "sequence": session.sequence,
                    "offset_seconds": int(when.offset.total_seconds()),
                }
                if smaller:  # a late 24 h reminder is pointless once the 1 h one is due
                    payload["next_offset_seconds"] = int(smaller[0].total_seconds())
                if contact.city_id is None:
                    payload["zone"] = coordinator_zone
                wanted.append(
                    Queued(
                        kind=REMINDER_KIND,
                        contact_id=contact.id,
                        due_utc=when.due_utc,
                        dedupe_key=reminder_key(session.id, session.sequence, when.offset, contact.id, channel),
                        payload=payload,
                        session_id=session.id,
                        channel=channel,
                    )
                )
    await uow.outbox.drop_pending_for_session_except(
        session.id, [REMINDER_KIND], [item.dedupe_key for item in wanted], f"session {session.id} moved to sequence {session.sequence}"
    )
    queued = []
    for item in wanted:
        message = await queue(uow, item)
        if message is not None:
            queued.append(message)
    return queued


async def drop_reminders(uow: Any, session_id: int, reason: str) -> int:
    """Drop every pending reminder of a session (cancelled); returns how many."""
    return int(await uow.outbox.drop_pending_for_session(session_id, [REMINDER_KIND], reason))


def earliest_due(messages: Iterable[OutgoingMessage]) -> datetime | None:
    return min((m.due_utc for m in messages), default=None)


# ---- rendering at send time ------------------------------------------------------------------


@dataclass(frozen=True)
class SessionView:
    """What a reminder says about a session, read from the database at send time."""

    session: Session
    city_names: tuple[str, str]
    city_zones: dict[int, str]
    city_ids: tuple[int, int]
    topic_title: str


async def _session_view(uow: Any, session: Session, language: str) -> SessionView | None:
    match = await uow.matches.get(session.match_id)
    if match is None:
        return None
    city_a = await uow.cities.get(match.city_a_id)
    city_b = await uow.cities.get(match.city_b_id)
    topic = await uow.topics.get(match.topic_id)
    if city_a is None or city_b is None:
        return None
    return SessionView(
        session=session,
        city_names=(city_a.name, city_b.name),
        city_zones={city_a.id: city_a.timezone, city_b.id: city_b.timezone},
        city_ids=(city_a.id, city_b.id),
        topic_title=topic.title(language) if topic else "",
    )


def _partner(view: SessionView, recipient: Contact) -> str:
    if recipient.city_id == view.city_ids[0]:
        return view.city_names[1]
    if recipient.city_id == view.city_ids[1]:
        return view.city_names[0]
    return f"{view.city_names[0]} – {view.city_names[1]}"  # a coordinator sees both


def reminder_text(
    view: SessionView, recipient: Contact, zone: str, now_utc: datetime, *, late: bool
) -> tuple[str, str]:
    """(subject, body) of a reminder for ``recipient``, who reads times in ``zone``."""
    language = normalize_language(recipient.language)
    session = view.session
    places = [Place(name, view.city_zones[city_id]) for name, city_id in zip(view.city_names, view.city_ids)]
    when = format_instant(session.start_utc, zone, language, places)
    starts_in = format_timedelta(session.start_utc - now_utc, locale=language, add_direction=True, threshold=1.0)
    partner = _partner(view, recipient)
    subject = gettext(language, "Reminder: {partner} – {topic}, {when}", partner=partner, topic=view.topic_title, when=when)
    lines = []
    if late:
        lines.append(gettext(language, "(Sent late: Tandem was offline when this reminder was due.)"))
    lines.append(
        gettext(
            language,
            "Reminder: your session with {partner} on “{topic}” starts {starts_in}.",
            partner=partner,
            topic=view.topic_title,
            starts_in=starts_in,
        )
    )
    lines.append(gettext(language, "When: {when}", when=when))
    lines.append(gettext(language, "Join the meeting: {link}", link=session.meeting_link))
    return subject, "\n".join(lines)


@renderer(REMINDER_KIND)
async def render_reminder(ctx: RenderContext, recipient: Contact, message: OutgoingMessage) -> Notification | None:
    """The reminder as it reads now; None if the session was cancelled, moved, or has begun."""
    uow, now_utc = ctx.uow, ctx.now_utc
    session_id = int(message.payload["session_id"])  # type: ignore[call-overload]
    session: Session | None = await uow.sessions.get(session_id)
    if session is None or session.status is not SessionStatus.CONFIRMED:
        log.info("reminder %s dropped: session %s is gone or cancelled", message.id, session_id)
        return None
    if session.sequence != message.payload.get("sequence"):
        log.info("reminder %s dropped: session %s was rescheduled since", message.id, session_id)
        return None
    if now_utc >= session.start_utc:
        log.warning("reminder %s dropped: session %s began at %s, before it could be sent", message.id, session_id, session.start_utc)
        return None
    next_offset = message.payload.get("next_offset_seconds")
    if isinstance(next_offset, int) and now_utc >= session.start_utc - timedelta(seconds=next_offset):
        log.info("reminder %s dropped: the next, closer reminder of session %s is due already", message.id, session_id)
        return None
    language = normalize_language(recipient.language)
    view = await _session_view(uow, session, language)
    if view is None:
        return None
    offset = timedelta(seconds=int(message.payload["offset_seconds"]))  # type: ignore[call-overload]
    intended_due = session.start_utc - offset
    # Late means "because the bot was down", not "a few seconds behind a queue of 1,000".
    late = now_utc - intended_due > LATE_AFTER
    if recipient.city_id is not None and recipient.city_id in view.city_zones:
        zone = view.city_zones[recipient.city_id]
    else:
        zone = str(message.payload.get("zone") or "UTC")
    subject, body = reminder_text(view, recipient, zone, now_utc, late=late)
    if message.channel is Channel.EMAIL:
        if not recipient.email:
            return None
        return Notification(text=body, email=plain_email(recipient, subject, body))
    return Notification(text=body)


def plain_email(recipient: Contact, subject: str, body: str) -> EmailMessage:
    """A text e-mail to ``recipient``; the e-mail channel adds From, Date and Message-ID."""
    email = EmailMessage()
    email["To"] = recipient.email or ""
    email["Subject"] = subject
    email.set_content(body, charset="utf-8")
    return email
