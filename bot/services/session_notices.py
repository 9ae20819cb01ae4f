"""Renderers of the planning and session notifications (see ``bot.notifications``).

Each reads the current state at send time: an invitation overtaken by a reschedule or a
cancellation (its sequence is no longer the session's) is dropped, never sent.
"""

from __future__ import annotations

import json
from typing import Any

from bot import callback_data
from bot.config import Config
from bot.domain import Attendance, Channel, City, Contact, MatchStatus, OutgoingMessage, Role, Session, SessionStatus, Topic
from bot.email import build_itip_email
from bot.i18n import Place, format_instant, gettext
from bot.invites import InviteAttendee, InviteCity, InviteEvent, build_invite, invite_filename, invite_text
from bot.notifications import Button, Document, Notification, RenderContext, renderer

def zone_for(config: Config, city: City | None) -> str:
    """Where a person reads the time: their city's zone; coordinators use the programme's."""
    return city.timezone if city is not None else config.programme.timezone


async def _match_parts(uow: Any, match_id: int) -> tuple[Any, City, City, Topic] | None:
    match = await uow.matches.get(match_id)
    if match is None:
        return None
    a, b = await uow.cities.get(match.city_a_id), await uow.cities.get(match.city_b_id)
    topic = next((t for t in await uow.topics.list() if t.id == match.topic_id), None)
    if a is None or b is None or topic is None:
        return None
    return match, a, b, topic


@renderer("planned_match")
async def render_planned_match(ctx: RenderContext, recipient: Contact, message: OutgoingMessage) -> Notification | None:
    parts = await _match_parts(ctx.uow, int(message.payload["match_id"]))
    if parts is None or parts[0].status is not MatchStatus.PLANNED:
        return None  # confirmed or no longer plannable meanwhile
    match, a, b, topic = parts
    proposals = await ctx.uow.matches.proposals(match.id)
    language = recipient.language
    text = gettext(
        language,
        "New proposal: {city_a} and {city_b} on “{topic}”. Tap a time to confirm it:",
        city_a=a.name, city_b=b.name, topic=topic.title(language),
    )
    city = await ctx.uow.cities.get(recipient.city_id) if recipient.city_id is not None else None
    zone, cities = zone_for(ctx.config, city), (Place.of(a), Place.of(b))
    buttons = tuple(
        (Button(format_instant(start, zone, language, cities), callback_data.CONFIRM_SLOT.build(match.id, start)),)
        for start, _ in proposals
    )
    return Notification(text=text, buttons=buttons)


def describe_no_time(reason_json: str | None, a: City, b: City, language: str) -> str:
    """Why a match has no common time, in words a coordinator can act on."""
    try:
        details = json.loads(reason_json or "{}")
    except ValueError:
        details = {}
    reason = details.get("reason")
    names = {a.id: a.name, b.id: b.name}
    if reason == "windows_never_overlap":
        return gettext(language, "Their meeting hours never overlap.")
    if reason == "overlap_too_short":
        return gettext(
            language,
            "Their hours overlap for at most {minutes} minutes, less than a session lasts ({duration} minutes).",
            minutes=details.get("longest_overlap_minutes", 0), duration=details.get("duration_minutes", 0),
        )
    if reason == "not_after_notice":
        return gettext(language, "Every common time lies before the minimum notice.")
    if reason == "closed_days":
        days = ", ".join(
            f"{d['date']} {names.get(d['city_id'], '')} ({d.get('name') or gettext(language, 'away')})"
            for d in details.get("closed_days", [])[:6]
        )
        return gettext(language, "Every common day is a holiday or a day away: {days}.", days=days)
    if reason == "all_taken":
        blocked = ", ".join(names.get(c, str(c)) for c in details.get("blocking_city_ids", [])) or "?"
        return gettext(language, "Other sessions already take every common time of {cities}.", cities=blocked)
    return gettext(language, "No common time was found.")


@renderer("unschedulable_match")
async def render_unschedulable_match(ctx: RenderContext, recipient: Contact, message: OutgoingMessage) -> Notification | None:
    parts = await _match_parts(ctx.uow, int(message.payload["match_id"]))
    if parts is None or parts[0].status is not MatchStatus.UNSCHEDULABLE:
        return None  # planned meanwhile
    match, a, b, topic = parts
    language = recipient.language
    return Notification(
        text=gettext(
            language,
            "No common time for {city_a} and {city_b} on “{topic}”: {why}",
            city_a=a.name, city_b=b.name, topic=topic.title(language),
            why=describe_no_time(match.reason, a, b, language),
        )
    )


async def invite_event(uow: Any, config: Config, session: Session) -> InviteEvent | None:
    parts = await _match_parts(uow, session.match_id)
    if parts is None:
        return None
    _, a, b, topic = parts
    participants = [c for c, _ in await uow.sessions.participants(session.id)]
    return InviteEvent(
        uid=session.ical_uid,
        sequence=session.sequence,
        status=session.status,
        start_utc=session.start_utc,
        end_utc=session.end_utc,
        topic_titles=topic.titles or {"en": topic.key},
        city_a=InviteCity(a.name, a.timezone),
        city_b=InviteCity(b.name, b.timezone),
        organizer_name=config.programme.organizer_name,
        organizer_email=config.programme.organizer_email,
        meeting_link=session.meeting_link,
        attendees=tuple(InviteAttendee(p.display_name, p.email, p.language) for p in participants),
    )


async def _render_invitation(ctx: RenderContext, recipient: Contact, message: OutgoingMessage) -> Notification | None:
    session = await ctx.uow.sessions.get(int(message.payload["session_id"]))
    if session is None or session.sequence != int(message.payload["sequence"]):
        return None  # overtaken by a later update or cancellation, which is queued too
    event = await invite_event(ctx.uow, ctx.config, session)
    if event is None:
        return None
    city = await ctx.uow.cities.get(recipient.city_id) if recipient.city_id is not None else None
    zone, language, now = zone_for(ctx.config, city), recipient.language, ctx.now_utc
    if message.channel is Channel.EMAIL:
        if not recipient.email:
            return None
        email = build_itip_email(
            event, InviteAttendee(recipient.display_name, recipient.email, language), recipient_zone=zone, dtstamp_utc=now,
            reminder_offsets=ctx.config.reminders.offsets,
        )
        return Notification(text="", email=email)
    ics = build_invite(
        event, recipient_language=language, recipient_zone=zone, recipient_email=recipient.email,
        dtstamp_utc=now, reminder_offsets=ctx.config.reminders.offsets,
    )
    headline = {
        "invitation": "You are invited to a session:",
        "update": "A session has moved. The new time:",
        "cancellation": "A session has been cancelled:",
    }[message.kind]
    text = gettext(language, headline) + "\n\n" + invite_text(event, language, zone)
    reason = message.payload.get("reason")
    if reason:
        text += "\n\n" + gettext(language, "Reason: {reason}", reason=reason)
    buttons: tuple[tuple[Button, ...], ...] = ()
    if session.status is SessionStatus.CONFIRMED and recipient.role is not Role.COORDINATOR:
        buttons = (
            (
                Button(gettext(language, "✅ I'll attend"), callback_data.ATTEND.build(session.id, 1)),
                Button(gettext(language, "❌ I can't attend"), callback_data.ATTEND.build(session.id, 0)),
            ),
        )
    return Notification(text=text, buttons=buttons, document=Document(invite_filename(event, zone), ics))


for _kind in ("invitation", "update", "cancellation"):
    renderer(_kind)(_render_invitation)


@renderer("attendance")
async def render_attendance(ctx: RenderContext, recipient: Contact, message: OutgoingMessage) -> Notification | None:
    session = await ctx.uow.sessions.get(int(message.payload["session_id"]))
    who = await ctx.uow.contacts.get(int(message.payload["who"]))
    if session is None or who is None or session.status is SessionStatus.CANCELLED:
        return None
    parts = await _match_parts(ctx.uow, session.match_id)
    if parts is None:
        return None
    _, a, b, topic = parts
    language = recipient.language
    city = await ctx.uow.cities.get(recipient.city_id) if recipient.city_id is not None else None
    template = (
        "{name} will attend the session {city_a} – {city_b} on {when}."
        if message.payload["answer"] == Attendance.YES.value
        else "{name} cannot attend the session {city_a} – {city_b} on {when}."
    )
    return Notification(
        text=gettext(
            language, template, name=who.display_name, city_a=a.name, city_b=b.name,
            when=format_instant(session.start_utc, zone_for(ctx.config, city), language, (Place.of(a), Place.of(b))),
        )
    )


@renderer("follow_up")
async def render_follow_up(ctx: RenderContext, recipient: Contact, message: OutgoingMessage) -> Notification | None:
    """After the session: did it take place? (then: the next steps, for the programme's roadmap)."""
    session = await ctx.uow.sessions.get(int(message.payload["session_id"]))
    if session is None or session.status is SessionStatus.CANCELLED or session.sequence != message.payload.get("sequence"):
        return None  # cancelled, or moved: the follow-up of the new time is queued instead
    parts = await _match_parts(ctx.uow, session.match_id)
    if parts is None:
        return None
    _, a, b, topic = parts
    language = recipient.language
    city = await ctx.uow.cities.get(recipient.city_id) if recipient.city_id is not None else None
    return Notification(
        text=gettext(
            language,
            "How did the session {city_a} – {city_b} on “{topic}” ({when}) go? Did it take place?",
            city_a=a.name, city_b=b.name, topic=topic.title(language),
            when=format_instant(session.start_utc, zone_for(ctx.config, city), language, (Place.of(a), Place.of(b))),
        ),
        buttons=(
            (
                Button(gettext(language, "✅ It took place"), callback_data.FOLLOW_UP.build(session.id, 1)),
                Button(gettext(language, "❌ It did not take place"), callback_data.FOLLOW_UP.build(session.id, 0)),
            ),
        ),
    )
