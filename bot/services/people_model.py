"""Who is talking: a Telegram user resolved to coordinator, city contact, participant or stranger."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.config import Config
from bot.domain import City, Contact, Role
from bot.i18n import normalize_language


@dataclass(frozen=True)
class Person:
    """One Telegram user as the programme sees them right now."""

    telegram_user_id: int
    role: Role | None  # None: a stranger (no invite link opened, not a coordinator)
    language: str
    contact: Contact | None = None
    city: City | None = None
    waiting_for: str | None = None  # the conversation step whose free text is expected
    step_payload: dict[str, Any] | None = None
    acting_city_id: int | None = None  # coordinators: the city they act for

    @property
    def is_coordinator(self) -> bool:
        return self.role is Role.COORDINATOR

    @property
    def is_stranger(self) -> bool:
        return self.role is None


async def resolve_person(uow: Any, config: Config, telegram_user_id: int, language_code: str | None = None) -> Person:
    """Coordinator by the config's list (the config is the truth), otherwise by the contact row."""
    contact: Contact | None = await uow.contacts.by_telegram_user(telegram_user_id)
    conversation = await uow.conversations.get(telegram_user_id)
    coordinator = next((c for c in config.programme.coordinators if c.telegram_id == telegram_user_id), None)
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
    city = await uow.cities.get(contact.city_id) if contact is not None and contact.city_id is not None else None
    return Person(
        telegram_user_id=telegram_user_id,
        role=role,
        language=language,
        contact=contact,
        city=city if role is not Role.COORDINATOR else None,
        waiting_for=conversation.step,
        step_payload=conversation.payload,
        acting_city_id=conversation.acting_city_id if role is Role.COORDINATOR else None,
    )
