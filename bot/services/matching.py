"""Mutual interest: a shared topic between two eligible cities becomes a match, and both sides hear of it.

Matches are created inside the unit of work that added the interest (``uow.matches.create`` lets
the database decide when two contacts pick the same topic at once). Notices go through the
outbox and are rendered at send time (``handlers/matches.py`` registers the renderers), so a
contact who changes language before the notice is sent reads it in the new one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot import callback_data
from bot.config import Config
from bot.domain import (
    Actor,
    Channel,
    City,
    ConflictError,
    Contact,
    Interest,
    Match,
    MatchStatus,
    NotFoundError,
    OutgoingMessage,
    Pairing,
    PermissionDeniedError,
    Role,
    Topic,
)
from bot.i18n import gettext
from bot.notifications import Button, Notification, Queued, RenderContext, queue, renderer
from bot.services.base import ServiceBase
from bot.services.errors import user_error

MATCH_NOTICE = "match_notice"
MATCH_ENDED = "match_ended"
# A match the partner or the programme can still act on; declining or withdrawing ends it.
LIVE_STATUSES = (MatchStatus.OPEN, MatchStatus.PLANNED, MatchStatus.UNSCHEDULABLE)
WITHDRAWN = "interest withdrawn"


def eligible(config: Config, one: City, other: City) -> bool:
    """Whether the programme's ``pairing`` lets these two cities meet."""
    if one.id == other.id:
        return False
    return config.programme.pairing is Pairing.ANY or one.group != other.group


def notice_recipients(contacts: list[Contact]) -> list[tuple[Contact, Channel]]:
    """The city's contacts who speak for it: on Telegram when they have a chat, else by e-mail."""
    recipients = []
    for contact in contacts:
        if contact.role is not Role.CONTACT:
            continue
        if contact.chat_id is not None:
            recipients.append((contact, Channel.TELEGRAM))
        elif contact.email:
            recipients.append((contact, Channel.EMAIL))
    return recipients


async def queue_to_city(uow: Any, city_id: int, kind: str, key: str, now: datetime, payload: dict[str, Any]) -> int:
    """Queue one notice to each contact of a city; returns how many were queued."""
    queued = 0
    for contact, channel in notice_recipients(await uow.contacts.of_city(city_id)):
        item = Queued(
            kind=kind,
            contact_id=contact.id,
            due_utc=now,
            dedupe_key=f"{key}:{contact.id}:{channel.value}",
            payload=payload,
            channel=channel,
        )
        if await queue(uow, item) is not None:
            queued += 1
    return queued


async def match_new_interest(uow: Any, config: Config, now: datetime, city: City, topic_id: int) -> list[Match]:
    """Create the matches a new interest makes and queue both sides' notices; returns the new ones."""
    created: list[Match] = []
    for interest in await uow.interests.of_topic(topic_id):
        partner: City | None = await uow.cities.get(interest.city_id)
        if partner is None or not eligible(config, city, partner):
            continue
        match = await uow.matches.create(city.id, partner.id, topic_id, now)
        key = f"{MATCH_NOTICE}:{match.id}" if match else ""
        if match is None:
            # The pair met on this topic before; if that ended because an interest was withdrawn,
            # it comes back to life now that both want it again.
            match = await uow.matches.find(city.id, partner.id, topic_id)
            if match is None or match.status is not MatchStatus.CANCELLED or match.reason != WITHDRAWN:
                continue
            if not await uow.matches.transition(match.id, [MatchStatus.CANCELLED], MatchStatus.OPEN, now):
                continue
            match = await uow.matches.get(match.id)
            key = f"{MATCH_NOTICE}:{match.id}:{now.isoformat()}"
        for side in (match.city_a_id, match.city_b_id):
            await queue_to_city(uow, side, MATCH_NOTICE, key, now, {"match_id": match.id})
        created.append(match)
    return created


async def close_withdrawn(uow: Any, now: datetime, city: City, topic_id: int) -> list[Match]:
    """A city dropped a topic: its live matches on that topic end, and the partners are told."""
    closed = []
    for match in await uow.matches.of_city(city.id):
        if match.topic_id != topic_id or match.status not in LIVE_STATUSES:
            continue
        if await uow.matches.transition(match.id, LIVE_STATUSES, MatchStatus.CANCELLED, now, reason=WITHDRAWN):
            partner_id = match.city_b_id if match.city_a_id == city.id else match.city_a_id
            await queue_to_city(
                uow, partner_id, MATCH_ENDED, f"{MATCH_ENDED}:{match.id}:{now.isoformat()}", now,
                {"match_id": match.id, "by_city_id": city.id, "why": "withdrawn"},
            )
            closed.append(match)
    return closed


@dataclass(frozen=True)
class MatchView:
    """A match as one of its cities sees it."""

    match: Match
    own_city: City | None  # None when a coordinator looks
    partner: City
    topic: Topic
    partner_note: str | None  # the partner's note on the topic ("we run a wetland reserve")


async def match_view(uow: Any, match: Match, own_city_id: int | None) -> MatchView:
    city_a = await uow.cities.get(match.city_a_id)
    city_b = await uow.cities.get(match.city_b_id)
    own, partner = (city_a, city_b) if own_city_id != city_b.id else (city_b, city_a)
    topic = next(t for t in await uow.topics.list() if t.id == match.topic_id)
    note = next((i.note for i in await uow.interests.of_city(partner.id) if i.topic_id == match.topic_id), None)
    return MatchView(match, own if own_city_id is not None else None, partner, topic, note)


async def notice_view(uow: Any, recipient: Contact, message: OutgoingMessage) -> MatchView | None:
    """What a queued match notice shows at send time; None if the match is no longer live."""
    match = await uow.matches.get(int(message.payload["match_id"]))  # type: ignore[call-overload]
    if match is None or (message.kind == MATCH_NOTICE and match.status not in LIVE_STATUSES):
        return None
    if recipient.city_id not in (match.city_a_id, match.city_b_id):
        return None
    return await match_view(uow, match, recipient.city_id)


class MatchingService(ServiceBase):
    async def accept(self, *, by: Actor, match_id: int) -> MatchView:
        """A contact (or coordinator) agrees to meet the partner; planning goes on as it would."""
        async with self.uow() as uow:
            match, city_id = await self._own_match(uow, by, match_id)
            if match.status not in LIVE_STATUSES:
                raise user_error(ConflictError, "This match has ended already; nothing changed.")
            return await match_view(uow, match, city_id)

    async def decline(self, *, by: Actor, match_id: int) -> MatchView:
        """Decline the partner: the match ends and the other side is told. The first answer wins."""
        now = self.now()
        async with self.uow() as uow:
            match, city_id = await self._own_match(uow, by, match_id)
            reason = f"declined by city {city_id}" if city_id is not None else "declined by a coordinator"
            if not await uow.matches.transition(match.id, LIVE_STATUSES, MatchStatus.DECLINED, now, reason=reason):
                raise user_error(ConflictError, "This match has ended already; nothing changed.")
            for side in (match.city_a_id, match.city_b_id):
                if side != city_id:
                    await queue_to_city(
                        uow, side, MATCH_ENDED, f"{MATCH_ENDED}:{match.id}:declined", now,
                        {"match_id": match.id, "by_city_id": city_id, "why": "declined"},
                    )
            view = await match_view(uow, await uow.matches.get(match.id), city_id)
            await uow.commit()
        self.wakeups.outbox_changed(now)
        self.wakeups.planning_needed()
        return view

    async def of_my_city(self, *, by: Actor) -> list[MatchView]:
        """Every match of the person's own city (contacts and colleagues), newest first."""
        async with self.uow() as uow:
            person = await self.person(uow, by)
            if person.city is None or person.role not in (Role.CONTACT, Role.PARTICIPANT):
                raise user_error(PermissionDeniedError, "You are not registered yet: open the invite link you were given.")
            matches = sorted(await uow.matches.of_city(person.city.id), key=lambda m: m.id, reverse=True)
            return [await match_view(uow, match, person.city.id) for match in matches]

    async def _own_match(self, uow: Any, by: Actor, match_id: int) -> tuple[Match, int | None]:
        """The match, if ``by`` speaks for one of its cities (or coordinates); checked on every press."""
        person = await self.person(uow, by)
        match: Match | None = await uow.matches.get(match_id)
        if match is None:
            raise user_error(NotFoundError, "This match no longer exists.")
        if person.is_coordinator:
            return match, None
        if person.role is Role.CONTACT and person.city is not None and person.city.id in (match.city_a_id, match.city_b_id):
            return match, person.city.id
        raise user_error(PermissionDeniedError, "Only the contacts of the two cities may answer for this match.")



# ---- Notices, rendered at send time in the recipient's language -----------------------------


def notice_text(view: MatchView, language: str) -> str:
    lines = [
        gettext(
            language, "New partner for {city}: {partner} ({country}) is also interested in “{topic}”.",
            city=view.own_city.name if view.own_city else "", partner=view.partner.name,
            country=view.partner.country, topic=view.topic.title(language),
        )
    ]
    if view.partner_note:
        lines.append(gettext(language, "Their note: {note}", note=view.partner_note))
    lines.append(gettext(language, "A coordinator will propose times that suit both cities. Would you like to meet them?"))
    return "\n".join(lines)


def ended_text(view: MatchView, why: str, language: str) -> str:
    if why == "declined":
        return gettext(
            language, "{partner} has declined the meeting on “{topic}”. Nothing more is planned for this pair.",
            partner=view.partner.name, topic=view.topic.title(language),
        )
    return gettext(
        language, "{partner} is no longer interested in “{topic}”, so that meeting will not take place.",
        partner=view.partner.name, topic=view.topic.title(language),
    )


def _as_email(render: RenderContext, recipient: Contact, subject: str, body: str) -> Notification:
    from bot.email import build_text_email

    programme = render.config.programme
    email = build_text_email(
        sender_name=programme.organizer_name, sender_email=render.config.email.sender or programme.organizer_email,
        recipient_name=recipient.display_name, recipient_email=recipient.email or "", subject=subject, body=body,
        date_utc=render.now_utc,
    )
    return Notification(text=body, email=email)


@renderer(MATCH_NOTICE)
async def render_match_notice(render: RenderContext, recipient: Contact, message: OutgoingMessage) -> Notification | None:
    """Who the partner is, with accept / decline; dropped if the match ended before it was sent."""
    view = await notice_view(render.uow, recipient, message)
    if view is None:
        return None
    language = recipient.language
    text = notice_text(view, language)
    if message.channel is Channel.EMAIL:
        subject = gettext(language, "New partner city: {partner}", partner=view.partner.name)
        return _as_email(render, recipient, subject, text)
    buttons = (
        (
            Button(gettext(language, "Yes, let's meet"), callback_data.ACCEPT_MATCH.build(view.match.id)),
            Button(gettext(language, "Decline"), callback_data.DECLINE_MATCH.build(view.match.id)),
        ),
    )
    return Notification(text=text, buttons=buttons)


@renderer(MATCH_ENDED)
async def render_match_ended(render: RenderContext, recipient: Contact, message: OutgoingMessage) -> Notification | None:
    """The partner declined or dropped the topic."""
    view = await notice_view(render.uow, recipient, message)
    if view is None:
        return None
    text = ended_text(view, str(message.payload.get("why")), recipient.language)
    if message.channel is Channel.EMAIL:
        subject = gettext(recipient.language, "Meeting with {partner} will not take place", partner=view.partner.name)
        return _as_email(render, recipient, subject, text)
    return Notification(text=text)

__all__ = ["Interest", "MatchView", "MatchingService", "eligible", "match_new_interest", "close_withdrawn", "notice_view"]
