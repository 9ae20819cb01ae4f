"""Who is talking (resolved once per update), and everyone's own data: /mydata and /forget."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot import callback_data
from bot.domain import Actor, storable
from bot.i18n import normalize_language
from handlers import keyboards
from handlers.context import TandemContext
from handlers.texts import CALLBACK_ANSWER_LIMIT, replies_to_errors, t, tell_sender_it_failed

log = logging.getLogger(__name__)


async def identify(update: Update, context: TandemContext) -> None:
    """Resolve the sender before any other handler runs, so every answer is in their language.

    When that fails (the database unreachable, no connection free in time), no later handler can
    act for the sender: they are told to try again, and the update ends here.
    """
    user = update.effective_user
    if user is None:
        return
    try:
        context.person = await context.services.people.who(Actor.telegram(user.id), language_code=user.language_code)
    except Exception:
        log.exception("could not identify the sender of update %s; told them to try again", update.update_id)
        await tell_sender_it_failed(update, normalize_language(user.language_code))
        raise ApplicationHandlerStop from None


async def refuse_unstorable_text(update: Update, context: TandemContext) -> None:
    """The one guard for text from Telegram that no database can keep (``bot.domain.storable``).

    Anything of the update may end up stored (a message, a note, a city name, a person's name),
    so every string in it is checked; the sender is told why and nothing else handles it.
    """
    if all(storable(text) for text in _strings(update.to_dict())):
        return
    answer = t(context.language, "Your message contains a character that cannot be saved (U+0000 or a broken character). Nothing was changed; please send it again without it.")
    if update.callback_query is not None:
        await update.callback_query.answer(answer[:CALLBACK_ANSWER_LIMIT], show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(answer)
    raise ApplicationHandlerStop


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


@replies_to_errors
async def send_my_data(update: Update, context: TandemContext) -> None:
    """/mydata: everything the bot keeps about the sender, as a JSON file."""
    data = await context.services.people.export(by=context.actor)
    content = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    await update.effective_message.reply_document(
        document=content, filename="tandem-my-data.json", caption=t(context.language, "This is everything Tandem keeps about you.")
    )


async def ask_to_forget(update: Update, context: TandemContext) -> None:
    """/forget: ask before deleting anything."""
    language = context.language
    await update.effective_message.reply_text(
        t(language, "Delete your personal data (your contact entry and your answers)? Your city's topics and hours stay."),
        reply_markup=keyboards.keyboard(
            [[(t(language, "Delete my data"), callback_data.FORGET_ME.build(1)), (t(language, "Keep it"), callback_data.FORGET_ME.build(0))]]
        ),
    )


@replies_to_errors
async def forget(update: Update, context: TandemContext) -> None:
    """The answer to /forget's question; pressing twice deletes nothing more."""
    query = update.callback_query
    (confirmed,) = callback_data.FORGET_ME.parse(query.data)
    language = context.language
    if not confirmed:
        await query.answer()
        await keyboards.show(query, t(language, "Nothing was deleted."))
        return
    deleted = await context.services.people.forget(by=context.actor)
    await query.answer()
    if deleted:
        await keyboards.show(query, t(language, "Your personal data has been deleted. Goodbye!"))
    else:
        await keyboards.show(query, t(language, "There was no personal data to delete."))
