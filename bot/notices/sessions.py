"""A confirmed session, to everyone in it: the invitation (update, cancellation), who attends, and
afterwards the question whether it took place.

Each reads the session at send time: an invitation overtaken by a reschedule or a cancellation
(its sequence is no longer the session's) is dropped, never sent.
"""

from __future__ import annotations

from bot import callback_data
from bot.config import Config
from bot.domain import Attendance, Channel, Contact, NoticeKind, OutgoingMessage, Role, SessionStatus, SessionView
from bot.i18n import Place, format_instant, gettext
from bot.invites import InviteAttendee, InviteCity, InviteEvent, build_invite, invite_filename, invite_text
from bot.notices.rendering import RenderContext, invitation_by_email, on_channel
from bot.ports import Button, Document, Notification, UnitOfWork

HEADLINES = {
    NoticeKind.INVITATION: "You are invited to a session:",
    NoticeKind.UPDATE: "A session has moved. The new time:",
    NoticeKind.CANCELLATION: "A session has been cancelled:",
}


def zone_of(config: Config, view: SessionView, recipient: Contact) -> str:
    """Where a person reads the session's time: their city's zone; coordinators the programme's."""
    return view.zone_of(recipient.city_id) or config.programme.timezone


async def _current(ctx: RenderContext, message: OutgoingMessage) -> SessionView | None:
    view: SessionView | None = await ctx.uow.sessions.view(message.number("session_id"))
    return view


async def invite_event(uow: UnitOfWork, config: Config, view: SessionView) -> InviteEvent:
    """The calendar event of a session, with everyone invited as attendees."""
    session, topic = view.session, view.topic
    participants = [c for c, _ in await uow.sessions.participants(session.id)]
    return InviteEvent(
        uid=session.ical_uid,
        sequence=session.sequence,
        status=session.status,
        start_utc=session.start_utc,
        end_utc=session.end_utc,
        topic_titles=topic.titles or {"en": topic.key},
        city_a=InviteCity(view.city_a.name, view.city_a.timezone),
        city_b=InviteCity(view.city_b.name, view.city_b.timezone),
        organizer_name=config.programme.organizer_name,
        organizer_email=config.programme.organizer_email,
        meeting_link=session.meeting_link,
        attendees=tuple(InviteAttendee(p.display_name, p.email, p.language) for p in participants),
    )


async def render_invitation(ctx: RenderContext, recipient: Contact, message: OutgoingMessage) -> Notification | None:
    """The invitation, update or cancellation: a chat message with the .ics, or an iTIP e-mail."""
    view = await _current(ctx, message)
    if view is None or view.session.sequence != message.number("sequence"):
        return None  # overtaken by a later update or cancellation, which is queued too
    event = await invite_event(ctx.uow, ctx.config, view)
    zone, language, now = zone_of(ctx.config, view, recipient), recipient.language, ctx.now_utc
    if message.channel is Channel.EMAIL:
        return await invitation_by_email(ctx, recipient, event, zone=zone)
    ics = build_invite(
        event, recipient_language=language, recipient_zone=zone, recipient_email=recipient.email,
        dtstamp_utc=now, reminder_offsets=ctx.config.reminders.offsets,
    )
    text = gettext(language, HEADLINES[NoticeKind(message.kind)]) + "\n\n" + invite_text(event, language, zone)
    reason = message.payload.get("reason")
    if reason:
        text += "\n\n" + gettext(language, "Reason: {reason}", reason=reason)
    buttons: tuple[tuple[Button, ...], ...] = ()
    if view.session.status is SessionStatus.CONFIRMED and recipient.role is not Role.COORDINATOR:
        buttons = (
            (
                Button(gettext(language, "✅ I'll attend"), callback_data.ATTEND.build(view.session.id, 1)),
                Button(gettext(language, "❌ I can't attend"), callback_data.ATTEND.build(view.session.id, 0)),
            ),
        )
    return Notification(text=text, buttons=buttons, document=Document(invite_filename(event, zone), ics))


async def render_attendance(ctx: RenderContext, recipient: Contact, message: OutgoingMessage) -> Notification | None:
    """Someone will attend, or cannot: to the coordinators and the partner city."""
    view = await _current(ctx, message)
    who = await ctx.uow.contacts.get(message.number("who"))
    if view is None or who is None or view.session.status is SessionStatus.CANCELLED:
        return None
    language = recipient.language
    template = (
        "{name} will attend the session {city_a} – {city_b} on {when}."
        if message.payload["answer"] == Attendance.YES.value
        else "{name} cannot attend the session {city_a} – {city_b} on {when}."
    )
    text = gettext(
        language, template, name=who.display_name, city_a=view.city_a.name, city_b=view.city_b.name,
        when=format_instant(view.session.start_utc, zone_of(ctx.config, view, recipient), language, (Place.of(view.city_a), Place.of(view.city_b))),
    )
    if "earlier_sequence" in message.payload:  # a calendar answered an invitation the session has since moved from
        text += "\n" + gettext(language, "Their calendar answered the invitation for an earlier time; they may not have seen the new one yet.")
    return await on_channel(
        ctx, recipient, message, text=text,
        subject=gettext(language, "Session {city_a} – {city_b}", city_a=view.city_a.name, city_b=view.city_b.name),
    )


async def render_follow_up(ctx: RenderContext, recipient: Contact, message: OutgoingMessage) -> Notification | None:
    """After the session: did it take place? (then: the next steps, for the programme's roadmap)."""
    view = await _current(ctx, message)
    if view is None or view.session.status is SessionStatus.CANCELLED or view.session.sequence != message.payload.get("sequence"):
        return None  # cancelled, or moved: the follow-up of the new time is queued instead
    language = recipient.language
    text = gettext(
        language,
        "How did the session {city_a} – {city_b} on “{topic}” ({when}) go? Did it take place?",
        city_a=view.city_a.name, city_b=view.city_b.name, topic=view.topic.title(language),
        when=format_instant(view.session.start_utc, zone_of(ctx.config, view, recipient), language, (Place.of(view.city_a), Place.of(view.city_b))),
    )
    if message.channel is Channel.EMAIL:
        text += "\n" + gettext(language, "Please reply to this e-mail with what happened and the next steps; it reaches the programme's coordinators.")
    buttons = (
        (
            Button(gettext(language, "✅ It took place"), callback_data.FOLLOW_UP.build(view.session.id, 1)),
            Button(gettext(language, "❌ It did not take place"), callback_data.FOLLOW_UP.build(view.session.id, 0)),
        ),
    )
    return await on_channel(
        ctx, recipient, message, text=text, buttons=buttons,
        subject=gettext(language, "How did the session {city_a} – {city_b} go?", city_a=view.city_a.name, city_b=view.city_b.name),
    )
