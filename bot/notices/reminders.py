"""Reminders before a session: queued in the outbox (when: ``bot.reminders``), and rendered as they read when sent.

Rendered at send time, so the text shows the session as it is *then*, in the recipient's language
and zone. A reminder that could not be sent in time because the bot was down goes out when the
bot is back if the session has not begun, marked as late (more than ``LATE_AFTER`` after its due
time), and is dropped (None, logged) once the session has begun -- or once the next, closer
reminder is due too (back 30 min before the start, the bot sends the 1 h reminder, late, and drops
the 24 h one instead of sending both).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from babel.dates import format_timedelta

from bot.domain import Contact, NoticeKind, OutgoingMessage, Session, SessionStatus, SessionView
from bot.i18n import Place, format_instant, gettext, normalize_language
from bot.notices.outbox import queue_notice
from bot.notices.rendering import RenderContext, on_channel
from bot.ports import Notification, UnitOfWork
from bot.reminders import REMINDER_KIND, key_prefix, reminder_key, reminder_times

log = logging.getLogger(__name__)

LATE_AFTER = timedelta(minutes=10)


def reminder_text(view: SessionView, recipient: Contact, zone: str, now_utc: datetime, *, late: bool) -> tuple[str, str]:
    """(subject, body) of a reminder for ``recipient``, who reads times in ``zone``."""
    language = normalize_language(recipient.language)
    session = view.session
    when = format_instant(session.start_utc, zone, language, (Place.of(view.city_a), Place.of(view.city_b)))
    starts_in = format_timedelta(session.start_utc - now_utc, locale=language, add_direction=True, threshold=1.0)
    if recipient.city_id is not None and view.match.involves(recipient.city_id):
        partner = view.partner_of(recipient.city_id).name
    else:
        partner = f"{view.city_a.name} – {view.city_b.name}"  # a coordinator sees both
    topic = view.topic.title(language)
    subject = gettext(language, "Reminder: {partner} – {topic}, {when}", partner=partner, topic=topic, when=when)
    lines = []
    if late:
        lines.append(gettext(language, "(Sent late: Tandem was offline when this reminder was due.)"))
    lines.append(
        gettext(language, "Reminder: your session with {partner} on “{topic}” starts {starts_in}.", partner=partner, topic=topic, starts_in=starts_in)
    )
    lines.append(gettext(language, "When: {when}", when=when))
    lines.append(gettext(language, "Join the meeting: {link}", link=session.meeting_link))
    return subject, "\n".join(lines)


async def render_reminder(ctx: RenderContext, recipient: Contact, message: OutgoingMessage) -> Notification | None:
    """The reminder as it reads now; None if the session was cancelled, moved, or has begun."""
    now_utc = ctx.now_utc
    session_id = message.number("session_id")
    view: SessionView | None = await ctx.uow.sessions.view(session_id)
    if view is None or view.session.status is not SessionStatus.CONFIRMED:
        log.info("reminder %s dropped: session %s is gone or cancelled", message.id, session_id)
        return None
    session = view.session
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
    offset = timedelta(seconds=message.number("offset_seconds"))
    # Late means "because the bot was down", not "a few seconds behind a queue of 1,000".
    late = now_utc - (session.start_utc - offset) > LATE_AFTER
    # Rows queued before the programme's zone was read from the config carry it (``zone``).
    zone = view.zone_of(recipient.city_id) or str(message.payload.get("zone") or ctx.config.programme.timezone)
    subject, body = reminder_text(view, recipient, zone, now_utc, late=late)
    return await on_channel(ctx, recipient, message, subject=subject, text=body, timely=True)


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
            uow, NoticeKind.REMINDER, participants, key=key_prefix(session.id, session.sequence, when.offset),
            due_utc=when.due_utc, payload=payload, email_enabled=email_enabled, session_id=session.id,
        )
    return queued


async def drop_reminders(uow: UnitOfWork, session_id: int, reason: str) -> int:
    """Drop every pending reminder of a session (cancelled); returns how many."""
    return int(await uow.outbox.drop_pending_for_session(session_id, [REMINDER_KIND], reason))

