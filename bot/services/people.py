"""Everyone's own data: who they are, their language, an export of their data, and forgetting it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.domain import Actor, InvalidInputError, PermissionDeniedError, Role
from bot.i18n import SUPPORTED_LANGUAGES
from bot.services.base import ServiceBase, telegram_user
from bot.services.errors import user_error
from bot.services.people_model import Person

__all__ = ["PeopleService", "Person"]


class PeopleService(ServiceBase):
    async def who(self, actor: Actor, *, language_code: str | None = None) -> Person:
        """Resolve an actor; ``language_code`` is Telegram's, used until they choose one."""
        async with self.reading() as uow:
            return await self.person(uow, actor, language_code)

    async def greet(self, *, by: Actor, chat_id: int, display_name: str, language_code: str | None) -> Person:
        """A ``/start`` without a code: a coordinator's first one creates their contact row.

        The row is how the bot knows a coordinator's chat (for planned matches) and language.
        Known people get their chat id refreshed; strangers are left unrecorded.
        """
        telegram_user_id = telegram_user(by)
        async with self.uow() as uow:
            person = await self.person(uow, by, language_code)
            if person.is_coordinator and person.contact is None:
                await uow.contacts.add(
                    display_name=display_name[:120] or str(telegram_user_id),
                    role=Role.COORDINATOR,
                    language=person.language,
                    now_utc=self.now(),
                    telegram_user_id=telegram_user_id,
                    chat_id=chat_id,
                    email=self._coordinator_email(by),
                )
            elif person.contact is not None and (person.contact.chat_id != chat_id or not person.contact.reachable):
                await uow.contacts.set_chat(person.contact.id, chat_id)
            await uow.commit()
            return await self.person(uow, by, language_code)

    def _coordinator_email(self, by: Actor) -> str | None:
        coordinator = self.config.programme.coordinator(by)
        return coordinator.email or None if coordinator is not None else None

    async def set_language(self, *, by: Actor, language: str) -> Person:
        """Remember the language this person reads; the next messages use it."""
        if language not in SUPPORTED_LANGUAGES:
            raise user_error(InvalidInputError, "This language is not offered.")
        async with self.uow() as uow:
            person = await self.person(uow, by)
            if person.contact is None:
                raise user_error(
                    PermissionDeniedError,
                    "I can only remember a language for people of the programme; open your invite link first.",
                )
            await uow.contacts.set_language(person.contact.id, language)
            await uow.commit()
            return replace(person, language=language)

    async def export(self, *, by: Actor) -> dict[str, Any]:
        """Everything the bot keeps about this person, as plain JSON-ready values (``/mydata``)."""
        async with self.uow() as uow:
            person = await self.person(uow, by)
            contact = person.contact
            data: dict[str, Any] = {
                "telegram_user_id": by.telegram_user_id,
                "role": person.role.value if person.role else "none",
                "language": person.language,
                "contact": None,
                "city": None,
                "sessions": [],
                "waiting_for": person.waiting_for,
            }
            if contact is not None:
                data["contact"] = {
                    "display_name": contact.display_name,
                    "email": contact.email,
                    "chat_id": contact.chat_id,
                    "reachable": contact.reachable,
                }
                data["sessions"] = [
                    {"session_id": session_id, "answer": answer.value, "answered_at": at.isoformat() if at else None}
                    for session_id, answer, at in await uow.sessions.participations(contact.id)
                ]
            if person.city is not None:
                data["city"] = {"name": person.city.name, "country": person.city.country, "timezone": person.city.timezone}
            return data

    async def forget(self, *, by: Actor) -> bool:
        """Delete this person's contact row (and with it their answers and queued messages).

        The city's interests, hours and matches stay: they belong to the city, not the person.
        False when there was nothing to delete.
        """
        async with self.uow() as uow:
            person = await self.person(uow, by)
            had_conversation = person.waiting_for is not None or person.acting_city_id is not None
            if by.telegram_user_id is not None:
                await uow.conversations.delete(by.telegram_user_id)
            if person.contact is not None:
                await uow.contacts.delete(person.contact.id)
            await uow.commit()
            return person.contact is not None or had_conversation

    async def stop_waiting(self, *, by: Actor) -> bool:
        """``/cancel``: stop waiting for free text; True if the bot was waiting for some."""
        if by.telegram_user_id is None:
            return False  # only the chat waits for free text
        async with self.uow() as uow:
            conversation = await uow.conversations.get(by.telegram_user_id)
            if conversation.step is None:
                return False
            await uow.conversations.save(replace(conversation, step=None, payload=None), now_utc=self.now())
            await uow.commit()
            return True
