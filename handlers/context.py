"""The typed context every handler and job receives."""

from __future__ import annotations

from telegram.ext import CallbackContext, ExtBot

from bot.services import Services


class TandemContext(CallbackContext[ExtBot[None], dict, dict, dict]):  # type: ignore[type-arg]
    """``context.services`` is the one way from a handler into the core."""

    @property
    def services(self) -> Services:
        return self.bot_data["services"]  # type: ignore[no-any-return]
