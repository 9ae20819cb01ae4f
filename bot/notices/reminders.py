"""A reminder before a session, as it reads when it is sent (``bot.reminders`` says when they fall due).

Rendered at send time, so the text shows the session as it is *then*, in the recipient's language
and zone. A reminder that could not be sent in time because the bot was down goes out when the
bot is back if the session has not begun, marked as late (more than ``LATE_AFTER`` after its due
time), and is dropped (None, logged) once the session has begun -- or once the next, closer
reminder is due too (back 30 min before the start, the bot sends the 1 h reminder, late, and drops
the 24 h one instead of sending both).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from babel.dates import format_timedelta

from bot.domain import Contact, OutgoingMessage, SessionStatus, SessionView
from bot.i18n import format_instant, gettext, normalize_language
from bot.notices.rendering import RenderContext, on_channel
from bot.ports import Notification

log = logging.getLogger(__name__)

LATE_AFTER = timedelta(minutes=10)


def reminder_text(view: SessionView, recipient: Contact, zone: str, now_utc: datetime, *, late: bool) -> tuple[str, str]:
    """(subject, body) of a reminder for ``recipient``, who reads times in ``zone``."""
    language = normalize_language(recipient.language)
    session = view.session
    when = format_instant(session.start_utc, zone, language)
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
    return on_channel(ctx, recipient, message, subject=subject, text=body)
