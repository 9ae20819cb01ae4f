"""The Telegram channel: sends one rendered ``Notification`` and speaks the core's error types.

Rate limits. Telegram allows about 30 messages a second overall, 20 a minute per group and one a
second per chat. The first two are python-telegram-bot's ``AIORateLimiter`` (installed on the bot
by ``build_application``); it does not pace private chats, so :class:`TelegramChannel` keeps at
least ``per_chat_interval`` between two messages to one chat (an invite and a reminder due at the
same instant, or a long text followed by its ``.ics``).

429 is handled in two places that agree: the limiter (``max_retries=3``) waits ``retry_after`` +
0.1 s as told, holding back *every* request meanwhile, and retries; only if the fourth try is
still refused does ``RetryAfter`` reach us, and the delivery service then returns the message to
the queue due ``retry_after`` seconds later. Neither ever retries sooner than Telegram asked.

Translation of python-telegram-bot's exceptions (``BadRequest`` and ``TimedOut`` are subclasses of
``NetworkError``, so the order matters):

=====================================  ====================================================
``RetryAfter``                         ``RetryLaterError(retry_after)``
``Forbidden`` (blocked, kicked)        ``RecipientBlockedError``
``BadRequest``, ``ChatMigrated``       ``RejectedError`` (never retried)
``TimedOut``, ``NetworkError``         ``TransientSendError`` (backoff)
``InvalidToken``, other errors         ``TransientSendError``, logged as an error
=====================================  ====================================================

A notification with a document and a text that fits a caption (1,024 characters) is one
``sendDocument``; a longer text is a ``sendMessage`` followed by the document. If the second call
fails the retry sends both again: the text may then arrive twice (rare; invites are short).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import AsyncIterator
from datetime import timedelta

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.constants import MessageLimit
from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError

from bot.domain import Contact
from bot.ports import Notification, RecipientBlockedError, RejectedError, RetryLaterError, TransientSendError

log = logging.getLogger(__name__)


def keyboard(notification: Notification) -> InlineKeyboardMarkup | None:
    if not notification.buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(button.text, callback_data=button.data) for button in row] for row in notification.buttons]
    )


class TelegramChannel:
    """Implements ``bot.ports.MessageChannel`` with ``bot.send_message`` / ``bot.send_document``."""

    def __init__(self, bot: Bot, *, per_chat_interval: float = 1.0) -> None:
        self.bot = bot
        self.per_chat_interval = per_chat_interval
        self._chat_locks: dict[int, asyncio.Lock] = {}
        self._last_sent: dict[int, float] = {}

    async def send(self, recipient: Contact, notification: Notification) -> None:
        chat_id = recipient.chat_id if recipient.chat_id is not None else recipient.telegram_user_id
        if chat_id is None:
            raise RejectedError(f"contact {recipient.id} has no Telegram chat")
        try:
            await self._send(chat_id, notification)
        except RetryAfter as exc:
            value = exc.retry_after
            seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
            raise RetryLaterError(exc.message, retry_after=seconds) from exc
        except Forbidden as exc:
            raise RecipientBlockedError(exc.message) from exc
        except (BadRequest, ChatMigrated) as exc:
            raise RejectedError(exc.message) from exc
        except NetworkError as exc:  # TimedOut included
            raise TransientSendError(f"{type(exc).__name__}: {exc.message}") from exc
        except (InvalidToken, TelegramError) as exc:
            log.error("Telegram refused a message to chat %s: %s: %s", chat_id, type(exc).__name__, exc.message)
            raise TransientSendError(f"{type(exc).__name__}: {exc.message}") from exc

    async def _send(self, chat_id: int, notification: Notification) -> None:
        markup = keyboard(notification)
        document = notification.document
        if document is not None and len(notification.text) <= MessageLimit.CAPTION_LENGTH:
            async with self._paced(chat_id):
                await self.bot.send_document(
                    chat_id,
                    InputFile(document.content, filename=document.filename),
                    caption=notification.text,
                    reply_markup=markup,
                )
            return
        async with self._paced(chat_id):
            await self.bot.send_message(chat_id, notification.text, reply_markup=markup)
        if document is not None:
            async with self._paced(chat_id):
                await self.bot.send_document(chat_id, InputFile(document.content, filename=document.filename))

    @contextlib.asynccontextmanager
    async def _paced(self, chat_id: int) -> AsyncIterator[None]:
        """One message at a time per chat, ``per_chat_interval`` apart (Telegram: 1/s per chat)."""
        lock = self._chat_locks.setdefault(chat_id, asyncio.Lock())
        loop = asyncio.get_running_loop()
        async with lock:
            wait = self._last_sent.get(chat_id, -math.inf) + self.per_chat_interval - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                yield
            finally:
                self._last_sent[chat_id] = loop.time()
        self._forget_idle_chats(loop.time())

    def _forget_idle_chats(self, now: float) -> None:
        if len(self._last_sent) < 4096:
            return
        for chat_id, at in list(self._last_sent.items()):
            lock = self._chat_locks.get(chat_id)
            if now - at > self.per_chat_interval and (lock is None or not lock.locked()):
                self._last_sent.pop(chat_id, None)
                self._chat_locks.pop(chat_id, None)
