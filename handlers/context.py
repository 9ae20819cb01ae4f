"""The typed context every handler and job receives."""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram.ext import CallbackContext, ExtBot

from bot.services import Services

if TYPE_CHECKING:
    from bot.services.people_model import Person


class TandemContext(CallbackContext[ExtBot[None], dict, dict, dict]):  # type: ignore[type-arg]
    """``context.services`` is the one way from a handler into the core."""

    @property
    def services(self) -> Services:
        return self.bot_data["services"]  # type: ignore[no-any-return]

    # Who sent the update, resolved once per update by ``handlers.people.identify`` (group -1);
    # services still check permissions themselves on every call.
    @property
    def person(self) -> Person:
        return self.__dict__["_tandem_person"]  # type: ignore[no-any-return]

    @person.setter
    def person(self, value: Person) -> None:
        self.__dict__["_tandem_person"] = value

    @property
    def language(self) -> str:
        """The reader's language: chosen, else Telegram's, else English."""
        person = self.__dict__.get("_tandem_person")
        return person.language if person is not None else "en"
