"""Mutual interest: a shared topic between two eligible cities becomes a match, and both sides hear of it.

Matches are created inside the unit of work that added the interest (``uow.matches.create`` lets
the database decide when two contacts pick the same topic at once). Notices go through the
outbox and are rendered at send time (``bot.notices.matches``), so a contact who changes language
before the notice is sent reads it in the new one.
"""

from __future__ import annotations

from datetime import datetime

from bot.callback_data import ForgedButtonError
from bot.config import Config
from bot.domain import (
    LIVE_MATCH_STATUSES,
    Actor,
    City,
    ConflictError,
    Contact,
    Match,
    MatchStatus,
    MatchView,
    NotFoundError,
    NoticeKind,
    OutgoingMessage,
    Payload,
    PermissionDeniedError,
    Role,
)
from bot.notices.matches import listed_matches, partners_page
from bot.notices.outbox import NoticeBatch, queue_notice
from bot.notices.rendering import RenderContext
from bot.ports import Notification, UnitOfWork
from bot.services.base import ServiceBase
from bot.services.errors import user_error

WITHDRAWN = "interest withdrawn"


async def queue_to_city(uow: UnitOfWork, config: Config, city_id: int, kind: NoticeKind, key: str, now: datetime, payload: Payload) -> None:
    """Queue one notice to each contact who speaks for a city (the channel rule picks the channel)."""
    speakers = [c for c in await uow.contacts.of_city(city_id) if c.role is Role.CONTACT]
    await queue_notice(uow, kind, speakers, key=key, due_utc=now, payload=payload, email_enabled=config.email.enabled, cities=[city_id])


async def match_new_interest(uow: UnitOfWork, config: Config, now: datetime, city: City, topic_id: int) -> list[Match]:
    """Create the matches a new interest makes and queue both sides' notices; returns the new ones.

    The caller holds the topic's lock (``uow.topics.lock``) from before the interest was added, so
    an interest another process adds at the same moment is either seen here or sees this one:
    every pair that shares the topic gets its match, exactly once, in any number of processes.
    A handful of statements however many partners the topic has: the partners, the new matches
    and the notices are each read or written at once.
    """
    interested = [interest.city_id for interest in await uow.interests.of_topic(topic_id) if interest.city_id != city.id]
    partners = [partner for partner in await uow.cities.get_many(interested) if config.programme.pairing.allows(city, partner)]
    created = await uow.matches.create_many(city.id, [partner.id for partner in partners], topic_id, now)
    announced = [(match, f"{NoticeKind.MATCH_NOTICE.value}:{match.id}") for match in created]
    met_before = {partner.id for partner in partners} - {match.partner_of(city.id) for match in created}
    if met_before:
        # Those pairs met on this topic before; where that ended because an interest was withdrawn,
        # the match comes back to life now that both want it again.
        for match in await uow.matches.of_city(city.id):
            if match.topic_id != topic_id or match.partner_of(city.id) not in met_before:
                continue
            if match.status is not MatchStatus.CANCELLED or match.reason != WITHDRAWN:
                continue
            if not await uow.matches.transition(match.id, [MatchStatus.CANCELLED], MatchStatus.OPEN, now):
                continue
            revived = await uow.matches.get(match.id)
            assert revived is not None
            announced.append((revived, f"{NoticeKind.MATCH_NOTICE.value}:{revived.id}:{now.isoformat()}"))
    if not announced:
        return []
    sides = {side for match, _ in announced for side in match.city_ids}
    found = await uow.contacts.of_cities(sides)
    people = {side: found.get(side, []) for side in sides}  # a city nobody speaks for: [] (the coordinators hear of it)
    batch = NoticeBatch()
    for match, key in announced:
        for side in match.city_ids:
            speakers = [c for c in people[side] if c.role is Role.CONTACT]
            await queue_notice(
                uow, NoticeKind.MATCH_NOTICE, speakers, key=key, due_utc=now, payload={"match_id": match.id},
                email_enabled=config.email.enabled, cities=[side], sink=batch, people_of=people,
            )
    await batch.write(uow)
    return [match for match, _ in announced]


async def close_withdrawn(uow: UnitOfWork, config: Config, now: datetime, city: City, topic_id: int) -> list[Match]:
    """A city dropped a topic: its live matches on that topic end, and the partners are told.

    The caller holds the topic's lock, so no match on it is being made from the dropped interest meanwhile.
    """
    closed = []
    for match in await uow.matches.of_city(city.id):
        if match.topic_id != topic_id or not match.is_live:
            continue
        if await uow.matches.transition(match.id, LIVE_MATCH_STATUSES, MatchStatus.CANCELLED, now, reason=WITHDRAWN):
            await queue_to_city(
                uow, config, match.partner_of(city.id), NoticeKind.MATCH_ENDED, f"{NoticeKind.MATCH_ENDED.value}:{match.id}:{now.isoformat()}", now,
                {"match_id": match.id, "by_city_id": city.id, "why": "withdrawn"},
            )
            closed.append(match)
    return closed


class MatchingService(ServiceBase):
    async def accept(self, *, by: Actor, match_id: int) -> MatchView:
        """A contact (or coordinator) agrees to meet the partner; planning goes on as it would."""
        async with self.uow() as uow:
            view, _ = await self._own_match(uow, by, match_id)
            if not view.match.is_live:
                raise user_error(ConflictError, "This match has ended already; nothing changed.")
            return view

    async def decline(self, *, by: Actor, match_id: int) -> MatchView:
        """Decline the partner: the match ends and the other side is told. The first answer wins."""
        now = self.now()
        async with self.uow() as uow:
            view, city_id = await self._own_match(uow, by, match_id)
            match = view.match
            reason = f"declined by city {city_id}" if city_id is not None else "declined by a coordinator"
            if not await uow.matches.transition(match.id, LIVE_MATCH_STATUSES, MatchStatus.DECLINED, now, reason=reason):
                raise user_error(ConflictError, "This match has ended already; nothing changed.")
            for side in match.city_ids:
                if side != city_id:
                    await queue_to_city(
                        uow, self.config, side, NoticeKind.MATCH_ENDED, f"{NoticeKind.MATCH_ENDED.value}:{match.id}:declined", now,
                        {"match_id": match.id, "by_city_id": city_id, "why": "declined"},
                    )
            declined = await uow.matches.view(match.id)
            assert declined is not None
            await uow.commit()
        self.wakeups.outbox_changed(now)
        self.wakeups.planning_needed()
        return declined

    async def partners_page(self, *, by: Actor, message_id: int, page: int) -> Notification:
        """Another page of a new-partners digest, for the person it was sent to (a "‹" or "›" tap)."""
        async with self.reading() as uow:
            contact, message = await self._own_digest(uow, by, message_id)
            text, buttons, _ = await partners_page(RenderContext(uow, self.config, self.now()), contact, message, page)
        return Notification(text=text, buttons=buttons)

    async def decline_partner(self, *, by: Actor, message_id: int, match_id: int, page: int) -> tuple[MatchView, Notification]:
        """Decline one partner from a new-partners digest: as ``decline``; then the digest's page again."""
        async with self.reading() as uow:
            _, message = await self._own_digest(uow, by, message_id)
        if match_id not in listed_matches(message):
            raise ForgedButtonError(f"match {match_id} is not in digest {message_id}")
        declined = await self.decline(by=by, match_id=match_id)
        return declined, await self.partners_page(by=by, message_id=message_id, page=page)

    async def _own_digest(self, uow: UnitOfWork, by: Actor, message_id: int) -> tuple[Contact, OutgoingMessage]:
        """The digest's row and its recipient, who must be the person pressing (checked on every press)."""
        person = await self.person(uow, by)
        message = await uow.outbox.get(message_id)
        if person.contact is None or message is None or message.kind != NoticeKind.MATCH_NOTICE.value or message.contact_id != person.contact.id:
            raise ForgedButtonError(f"no new-partners digest {message_id} for this person")
        return person.contact, message

    async def end(self, *, by: Actor, match_id: int) -> MatchView:
        """A coordinator ends a match that has no session (the board): as a decline, both cities are told."""
        self.require_coordinator(by)
        return await self.decline(by=by, match_id=match_id)

    async def of_my_city(self, *, by: Actor) -> list[MatchView]:
        """Every match of the person's own city (contacts and colleagues), newest first."""
        async with self.reading() as uow:
            person = await self.person(uow, by)
            if person.city is None or person.role not in (Role.CONTACT, Role.PARTICIPANT):
                raise user_error(PermissionDeniedError, "You are not registered yet: open the invite link you were given.")
            views = await uow.matches.views(ids=[m.id for m in await uow.matches.of_city(person.city.id)])
        return sorted(views, key=lambda view: view.match.id, reverse=True)

    async def _own_match(self, uow: UnitOfWork, by: Actor, match_id: int) -> tuple[MatchView, int | None]:
        """The match and the city ``by`` speaks for in it (None: a coordinator); checked on every press."""
        person = await self.person(uow, by)
        view: MatchView | None = await uow.matches.view(match_id)
        if view is None:
            raise user_error(NotFoundError, "This match no longer exists.")
        if person.is_coordinator:
            return view, None
        if person.role is Role.CONTACT and person.city is not None and view.match.involves(person.city.id):
            return view, person.city.id
        raise user_error(PermissionDeniedError, "Only the contacts of the two cities may answer for this match.")
