"""What handlers share for words: translation, and domain errors turned into the reader's language."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from telegram import Update

from bot.callback_data import ForgedButtonError
from bot.domain import TandemError
from bot.i18n import gettext
from handlers.context import TandemContext

log = logging.getLogger(__name__)
CALLBACK_ANSWER_LIMIT = 200  # Telegram cuts answerCallbackQuery texts at 200 characters

t = gettext  # t(language, "English text with {placeholders}", **values)

Callback = TypeVar("Callback", bound=Callable[..., Awaitable[Any]])


FAULT_TEXT = "Sorry, Tandem could not handle that just now (a fault on our side, and it is logged). Nothing was changed; please try again in a minute."


async def tell_sender_it_failed(update: Update, language: str) -> None:
    """After an unexpected error (the database unreachable, a bug): the person is told, never left
    waiting for an answer that will not come. Best effort: Telegram may be what failed."""
    text = t(language, FAULT_TEXT)
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(text[:CALLBACK_ANSWER_LIMIT], show_alert=True)
        elif update.effective_message is not None:
            await update.effective_message.reply_text(text)
    except Exception:  # noqa: BLE001 - already answered, or Telegram unreachable; the error is logged
        log.warning("could not tell the sender of update %s about the error", update.update_id)


def error_text(error: TandemError, language: str) -> str:
    """A domain error in the reader's language; errors without a msgid keep their own words."""
    if isinstance(error, ForgedButtonError):
        return t(language, "This button is not valid any more. Please use the latest message, or the menu.")
    if error.msgid is not None:
        return t(language, error.msgid, **error.values)
    return t(language, "That did not work: {reason}", reason=str(error))


def replies_to_errors(callback: Callback) -> Callback:
    """Turn a domain error into a polite answer: an alert on a button, a reply to a message.

    Nothing changed when a service raised (its unit of work rolled back), so the answer is all
    there is to do. Anything that is not a domain error goes on to the global error handler.
    """

    @functools.wraps(callback)
    async def answering(update: Update, context: TandemContext) -> Any:
        try:
            return await callback(update, context)
        except TandemError as error:
            text = error_text(error, context.language)
            if update.callback_query is not None:
                log.info("button %r refused for %s: %s", update.callback_query.data, update.effective_user.id if update.effective_user else None, error)
                await update.callback_query.answer(text[:CALLBACK_ANSWER_LIMIT], show_alert=True)
            elif update.effective_message is not None:
                await update.effective_message.reply_text(text)
            return None

    return answering  # type: ignore[return-value]


def coordinators_only(callback: Callback) -> Callback:
    """A coordinator's command or button: the service checks the sender before anything is read.

    Everyone else gets the same refusal whatever they typed after the command: no usage line, no
    validation error, nothing that depends on the arguments or reveals the programme (a group
    name in "use one of: China, EU" told a stranger more than "no"). The services check again on
    every call; this check only comes first. Errors are answered as by :func:`replies_to_errors`.
    """

    @functools.wraps(callback)
    async def checked(update: Update, context: TandemContext) -> Any:
        context.services.people.require_coordinator(context.actor)
        return await callback(update, context)

    return replies_to_errors(checked)  # type: ignore[return-value]
