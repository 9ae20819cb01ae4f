"""/language: the reader chooses English, Chinese or German."""

from __future__ import annotations

from telegram import Update

from bot import callback_data
from handlers import keyboards
from handlers.context import TandemContext
from handlers.texts import replies_to_errors, t

# Each language named in itself, so anyone finds their own.
LANGUAGE_NAMES = {"en": "English", "zh": "中文", "de": "Deutsch"}


async def choose_language(update: Update, context: TandemContext) -> None:
    """/language: offer the languages as buttons."""
    rows = [[(name, callback_data.CHOOSE_LANGUAGE.build(code)) for code, name in LANGUAGE_NAMES.items()]]
    await update.effective_message.reply_text(t(context.language, "Which language should I use?"), reply_markup=keyboards.keyboard(rows))


@replies_to_errors
async def set_language(update: Update, context: TandemContext) -> None:
    """A language button: remember it and confirm in the new language."""
    query = update.callback_query
    (code,) = callback_data.CHOOSE_LANGUAGE.parse(query.data)
    person = await context.services.people.set_language(by=context.actor, language=str(code))
    await query.answer()
    await keyboards.show(query, t(person.language, "I will write to you in English from now on."))
