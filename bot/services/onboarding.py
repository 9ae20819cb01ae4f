"""Join links: one-time codes that make a Telegram user a city's contact or a contact's colleague.

(The chat command is still ``/invite`` and the setting ``[invites] code_ttl``; in the code, an
"invite" is a calendar invitation, ``bot.invites``, and these are join links.)

A code is 24 random URL-safe characters (``secrets``, 144 bits) and only its SHA-256 is stored, so
reading the database grants nobody a city. It expires after ``[invites] code_ttl`` and is spent by
the first person who opens it (a conditional update decides if two open it at once).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from bot.domain import Actor, City, ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError, Role, excerpt
from bot.ports import UnitOfWork
from bot.services.base import ServiceBase, telegram_user
from bot.services.errors import user_error
from bot.services.people_model import Person

JOIN_CODE_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")  # what Telegram allows in a /start payload


def hash_join_code(code: str) -> str:
    return hashlib.sha256(code.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class NewJoinLink:
    """A join link just made: its code goes into a deep link, shown once to whoever asked."""

    code: str  # never stored
    city: City
    role: Role
    expires_utc: datetime


class OnboardingService(ServiceBase):
    async def contact_link(self, *, by: Actor, city_name: str) -> NewJoinLink:
        """A coordinator's one-time link that makes its opener the contact of ``city_name``."""
        self.require_coordinator(by)
        async with self.uow() as uow:
            city = await uow.cities.by_name(city_name)
            if city is None:
                raise user_error(NotFoundError, "There is no city called \"{name}\"; /cities lists them.", name=excerpt(city_name.strip()))
            link = await self._issue(uow, by, city, Role.CONTACT)
            await uow.commit()
            return link

    async def colleague_link(self, *, by: Actor) -> NewJoinLink:
        """A city contact's one-time link for a colleague, who then receives the city's invitations."""
        async with self.uow() as uow:
            person = await self.person(uow, by)
            if person.role is not Role.CONTACT or person.city is None:
                raise user_error(PermissionDeniedError, "Only a city's contact may invite colleagues.")
            link = await self._issue(uow, by, person.city, Role.PARTICIPANT)
            await uow.commit()
            return link

    async def _issue(self, uow: UnitOfWork, by: Actor, city: City, role: Role) -> NewJoinLink:
        code = secrets.token_urlsafe(18)
        now = self.now()
        expires = now + self.config.invites.code_ttl
        await uow.join_links.add(
            code_hash=hash_join_code(code), city_id=city.id, role=role, now_utc=now, expires_at=expires,
            created_by=by.telegram_user_id, created_by_contact_id=by.contact_id,
        )
        return NewJoinLink(code, city, role, expires)

    async def join(self, *, by: Actor, chat_id: int, display_name: str, language_code: str | None, code: str) -> Person:
        """Open a join link: bind ``by`` (a Telegram user) to the code's city. A bad code binds nothing."""
        telegram_user_id = telegram_user(by)
        now = self.now()
        async with self.uow() as uow:
            person = await self.person(uow, by, language_code)
            link = await uow.join_links.by_hash(hash_join_code(code)) if JOIN_CODE_PATTERN.fullmatch(code) else None
            if link is None:
                raise user_error(
                    InvalidInputError, "This invite link is not valid. Please ask the programme coordinator for a new one."
                )
            city = await uow.cities.get(link.city_id)
            if person.is_coordinator:
                raise user_error(ConflictError, "You are a coordinator; coordinators do not join a city. Use /act to work for one.")
            if person.city is not None:
                if person.city.id == link.city_id and link.used_at_utc is not None:
                    return person  # their own link, opened again: nothing to do
                raise user_error(
                    ConflictError,
                    "You already speak for {city}. One Telegram account belongs to one city; use /forget first to leave it.",
                    city=person.city.name,
                )
            if link.used_at_utc is not None:
                raise user_error(
                    InvalidInputError, "This invite link has been used already. Please ask the programme coordinator for a new one."
                )
            if link.expires_at_utc <= now:
                raise user_error(
                    InvalidInputError, "This invite link has expired. Please ask the programme coordinator for a new one."
                )
            assert city is not None  # the code's foreign key cascades: no city, no code
            if person.contact is None:
                contact = await uow.contacts.add(
                    display_name=display_name[:120] or str(telegram_user_id),
                    role=link.role,
                    language=person.language,
                    now_utc=now,
                    city_id=city.id,
                    telegram_user_id=telegram_user_id,
                    chat_id=chat_id,
                )
            else:
                contact = await uow.contacts.join_city(person.contact.id, city_id=city.id, role=link.role, chat_id=chat_id)
            if not await uow.join_links.use(link.id, contact_id=contact.id, now_utc=now):
                # Someone else opened the same link a moment earlier; their transaction won.
                raise user_error(
                    InvalidInputError, "This invite link has been used already. Please ask the programme coordinator for a new one."
                )
            await uow.commit()
        async with self.reading() as uow:
            return await self.person(uow, by, language_code)
