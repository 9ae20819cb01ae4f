"""The Telegram channel: sends one rendered ``Notification`` and speaks the core's error types.

Rate limits and pacing are the bot's rate limiter's (``handlers/rate_limit.py``): every call here
passes :class:`~handlers.rate_limit.Background`, so it yields to answers to people's own actions,
keeps Telegram's 30/s overall, 1/s per chat and 20/min per group, and awaits the delivery
service's ``handing_over`` after that wait and immediately before the HTTP call.

429 is handled in two places that agree: the limiter waits ``retry_after`` + 0.1 s as told,
holding back *every* request meanwhile, and retries (3 times); only if the fourth try is still
refused does ``RetryAfter`` reach us, and the delivery service then returns the message to the
queue due ``retry_after`` seconds later. Neither ever retries sooner than Telegram asked.

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

import logging
from datetime import timedelta
from typing import Any

from telegram import InputFile
from telegram.constants import MessageLimit
from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import ExtBot

from bot.domain import Contact
from bot.ports import HandOver, Notification, RecipientBlockedError, RejectedError, RetryLaterError, TransientSendError
from handlers import keyboards
from handlers.rate_limit import Background

log = logging.getLogger(__name__)


class TelegramChannel:
    """Implements ``bot.ports.MessageChannel`` with ``bot.send_message`` / ``bot.send_document``.

    The bot must carry :class:`~handlers.rate_limit.TelegramRateLimiter` (``build_application``
    installs it): it paces the calls and runs ``handing_over``.
    """

    def __init__(self, bot: ExtBot[Any]) -> None:
        self.bot = bot

    async def send(self, recipient: Contact, notification: Notification, *, handing_over: HandOver) -> None:
        chat_id = recipient.chat_id if recipient.chat_id is not None else recipient.telegram_user_id
        if chat_id is None:
            raise RejectedError(f"contact {recipient.id} has no Telegram chat")
        try:
            await self._send(chat_id, notification, handing_over)
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

    async def _send(self, chat_id: int, notification: Notification, handing_over: HandOver) -> None:
        if self.bot.rate_limiter is None:
            raise RuntimeError("the Telegram channel needs the bot's rate limiter (tandem.app.build_application)")
        markup = keyboards.of(notification)
        document = notification.document
        first = Background(handing_over, timely=notification.timely)
        if document is not None and len(notification.text) <= MessageLimit.CAPTION_LENGTH:
            await self.bot.send_document(
                chat_id,
                InputFile(document.content, filename=document.filename),
                caption=notification.text,
                reply_markup=markup,
                rate_limit_args=first,
            )
            return
        await self.bot.send_message(chat_id, notification.text, reply_markup=markup, rate_limit_args=first)
        if document is not None:
            await self.bot.send_document(
                chat_id, InputFile(document.content, filename=document.filename), rate_limit_args=Background()
            )
