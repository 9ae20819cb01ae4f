"""Who is acting: an actor resolved to coordinator, city contact, participant or stranger."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.config import Config
from bot.domain import Actor, City, Contact, Role
from bot.i18n import normalize_language
from bot.ports import UnitOfWork


@dataclass(frozen=True)
class Person:
    """One actor as the programme sees them right now."""

    actor: Actor
    role: Role | None  # None: a stranger (no invite link opened, not a coordinator)
    language: str
    contact: Contact | None = None
    city: City | None = None
    waiting_for: str | None = None  # the chat's step whose free text is expected (Telegram users only)
    step_payload: dict[str, Any] | None = None
    acting_city_id: int | None = None  # coordinators: the city they act for

    @property
    def is_coordinator(self) -> bool:
        return self.role is Role.COORDINATOR

    @property
    def is_stranger(self) -> bool:
        return self.role is None


async def resolve_person(uow: UnitOfWork, config: Config, actor: Actor, language_code: str | None = None) -> Person:
    """Coordinator by the config's list (the config is the truth), otherwise by the contact row.

    A Telegram user is found by their Telegram id, and has a chat conversation (the step whose
    free text the bot waits for, the city a coordinator acts for); a contact signed in on the web
    is found by the contact's id and has none.
    """
    coordinator = config.programme.coordinator(actor)
    if actor.telegram_user_id is not None:
        contact, city, conversation = await uow.contacts.of_telegram_user(actor.telegram_user_id)
        waiting_for, step_payload, acting_city_id = conversation.step, conversation.payload, conversation.acting_city_id
    else:
        assert actor.contact_id is not None  # an actor is one of the two
        contact, city = await uow.contacts.with_city(actor.contact_id)
        waiting_for, step_payload, acting_city_id = None, None, None
    if contact is not None:
        language = contact.language
    elif coordinator is not None and language_code is None:
        language = coordinator.language
    else:
        language = normalize_language(language_code)
    if coordinator is not None:
        role: Role | None = Role.COORDINATOR
    elif contact is not None and contact.city_id is not None:
        role = contact.role
    else:
        role = None
    return Person(
        actor=actor,
        role=role,
        language=language,
        contact=contact,
        city=city if role is not Role.COORDINATOR else None,
        waiting_for=waiting_for,
        step_payload=step_payload,
        acting_city_id=acting_city_id if role is Role.COORDINATOR else None,
    )
