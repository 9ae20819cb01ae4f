"""The typed context every handler and job receives."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot, JobQueue

from bot.domain import Actor
from bot.services import Services
from bot.services.people_model import Person


class TandemContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """``context.services`` is the one way from a handler into the core."""

    person: Person
    """Who sent the update, resolved once per update by ``handlers.people.identify`` (group -1),
    before any other handler runs; services still check permissions themselves on every call."""

    @property
    def services(self) -> Services:
        return self.bot_data["services"]  # type: ignore[no-any-return]

    @property
    def actor(self) -> Actor:
        """The sender as the services' ``by=``: a Telegram user."""
        return self.person.actor

    @property
    def language(self) -> str:
        """The reader's language: chosen, else Telegram's, else English."""
        person: Person | None = getattr(self, "person", None)
        return person.language if person is not None else "en"


# The application as build_application makes it: Tandem's context in every handler and job.
TandemApplication = Application[ExtBot[None], TandemContext, dict[Any, Any], dict[Any, Any], dict[Any, Any], JobQueue[Any]]
