"""What came back by e-mail (``bot.services.mail_in``): to the coordinators a time proposed from a
calendar and a reply in words; to the proposer the organizer's "no" to their time (DECLINECOUNTER).

A proposal reads the session at send time: once it moved or was cancelled, the proposal is about
a time that is no longer the session's, and it is dropped.
"""

from __future__ import annotations

from bot import callback_data
from bot.config import parse_instant
from bot.domain import City, Contact, OutgoingMessage, SessionStatus, SessionView
from bot.email import build_declinecounter_email
from bot.i18n import Place, format_instant, gettext
from bot.invites import InviteAttendee
from bot.notices.rendering import RenderContext, on_channel, sign_in_footer
from bot.notices.sessions import invite_event, zone_of
from bot.ports import Button, Notification


async def _who(ctx: RenderContext, contact_id: int) -> tuple[Contact, str] | None:
    """The person, and how coordinators know them: "Wang Fang (Panjin)"."""
    person: Contact | None = await ctx.uow.contacts.get(contact_id)
    if person is None:
        return None
    city: City | None = await ctx.uow.cities.get(person.city_id) if person.city_id is not None else None
    return person, f"{person.display_name} ({city.name})" if city else person.display_name


async def render_counter_proposal(ctx: RenderContext, recipient: Contact, message: OutgoingMessage) -> Notification | None:
    """A participant's calendar proposed another time: both times, and "move" or "keep" in one tap."""
    view: SessionView | None = await ctx.uow.sessions.view(message.number("session_id"))
    found = await _who(ctx, message.number("who"))
    if view is None or found is None or view.session.status is SessionStatus.CANCELLED or view.session.sequence != message.number("sequence"):
        return None
    proposer, who = found
    language, zone = recipient.language, zone_of(ctx.config, view, recipient)
    places = (Place.of(view.city_a), Place.of(view.city_b))
    proposed = parse_instant(str(message.payload["start_utc"]))
    text = gettext(
        language,
        "{who} proposes another time for the session {city_a} – {city_b} on “{topic}”.\nNow: {now}\nProposed: {proposed}",
        who=who, city_a=view.city_a.name, city_b=view.city_b.name, topic=view.topic.title(language),
        now=format_instant(view.session.start_utc, zone, language, places),
        proposed=format_instant(proposed, zone, language, places),
    )
    comment = str(message.payload.get("comment") or "")
    if comment:
        text += "\n" + gettext(language, "Their note: {comment}", comment=comment)
    session = view.session
    buttons = (
        (Button(gettext(language, "Move to this time"), callback_data.RESCHEDULE_TO.build(session.id, session.sequence, proposed)),),
        (Button(gettext(language, "Keep the time"), callback_data.DECLINE_COUNTER.build(session.id, session.sequence, proposer.id)),),
    )
    return await on_channel(
        ctx, recipient, message, text=text, buttons=buttons,
        subject=gettext(language, "New time proposed: {city_a} – {city_b}", city_a=view.city_a.name, city_b=view.city_b.name),
    )


async def render_counter_declined(ctx: RenderContext, recipient: Contact, message: OutgoingMessage) -> Notification | None:
    """The organizer keeps the time: iTIP DECLINECOUNTER to the proposer's calendar, by e-mail."""
    view: SessionView | None = await ctx.uow.sessions.view(message.number("session_id"))
    if view is None or not recipient.email or view.session.status is SessionStatus.CANCELLED or view.session.sequence != message.number("sequence"):
        return None
    language, zone = recipient.language, zone_of(ctx.config, view, recipient)
    text = gettext(
        language,
        "The coordinators keep the session {city_a} – {city_b} at its time: {when}.",
        city_a=view.city_a.name, city_b=view.city_b.name,
        when=format_instant(view.session.start_utc, zone, language, (Place.of(view.city_a), Place.of(view.city_b))),
    )
    footer = await sign_in_footer(ctx, recipient)
    event = await invite_event(ctx.uow, ctx.config, view)
    email = build_declinecounter_email(
        event, InviteAttendee(recipient.display_name, recipient.email, language),
        text=text + "\n" + footer if footer else text, dtstamp_utc=ctx.now_utc,
    )
    return Notification(text=text, email=email)


async def render_mail_forwarded(ctx: RenderContext, recipient: Contact, message: OutgoingMessage) -> Notification | None:
    """A reply in words that reached the programme's mailbox, forwarded to the coordinators."""
    found = await _who(ctx, message.number("who"))
    if found is None:
        return None  # the person asked to be forgotten meanwhile
    person, who = found
    language = recipient.language
    text = gettext(language, "{who} wrote to the programme's mailbox ({email}):", who=who, email=person.email or "")
    subject = str(message.payload.get("subject") or "")
    if subject:
        text += "\n" + gettext(language, "Subject: {subject}", subject=subject)
    text += "\n\n" + str(message.payload.get("text") or "")
    return await on_channel(ctx, recipient, message, text=text, subject=gettext(language, "E-mail from {who}", who=who))
