"""The one driver the demo and the tests share: simulated people talking to a built Application.

It is handed the ``Application`` (built by Tandem's composition root, or by any other bot) and the
:class:`FakeBotApi` its two request objects answer from; it never builds one itself, so this
package depends on python-telegram-bot only.
"""

from __future__ import annotations

from typing import Any

from telegram.ext import Application

from offline_bot_api.api import FakeBotApi
from offline_bot_api.transports import as_update
from offline_bot_api.values import FakeUser, JSONDict, SentMessage


class ChatDriver:
    """Feeds one person's messages and taps to ``application`` and returns what the bot answered."""

    def __init__(self, api: FakeBotApi, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        self.api = api
        self.application = application

    async def send(self, user: FakeUser, text: str) -> list[SentMessage]:
        """``user`` writes ``text``; returns what the bot sent them in answer (new messages only)."""
        before = len(self.api.sent_to(user)) if user.id in self.api.chats() else 0
        update = self.api.user_sends(user, text)
        await self.application.process_update(as_update(update, self.application.bot))
        return self.api.sent_to(user)[before:]

    async def tap(self, user: FakeUser, message: SentMessage, data: str) -> JSONDict | None:
        """``user`` taps a button with ``data`` on ``message``; returns the bot's callback answer."""
        update = self.api.user_taps(user, message.message_id, data)
        await self.application.process_update(as_update(update, self.application.bot))
        return self.api.callback_answer(update)

    def current(self, user: FakeUser, message: SentMessage) -> SentMessage:
        """The message as it looks now (edits applied)."""
        return next(m for m in self.api.sent_to(user) if m.message_id == message.message_id)
