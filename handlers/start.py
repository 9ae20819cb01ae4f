"""/start: a greeting, or, with an invite code from a deep link, joining a city."""

from __future__ import annotations

from telegram import Update
from telegram.helpers import create_deep_linked_url

from bot.domain import Role
from bot.i18n import Place, format_instant
from bot.services.people_model import Person
from handlers.context import TandemContext
from handlers.help import help_text
from handlers.texts import replies_to_errors, t


def _name(update: Update) -> str:
    user = update.effective_user
    return user.full_name if user is not None else ""


@replies_to_errors
async def start(update: Update, context: TandemContext) -> None:
    """/start [code]: join a city with a code; without one, greet and show what this person may do."""
    user, chat = update.effective_user, update.effective_chat
    if context.args:
        person = await context.services.onboarding.join(
            by=user.id, chat_id=chat.id, display_name=_name(update), language_code=user.language_code, code=context.args[0]
        )
        await update.effective_message.reply_text(_welcome(person, context))
        return
    person = await context.services.people.greet(by=user.id, chat_id=chat.id, display_name=_name(update), language_code=user.language_code)
    await update.effective_message.reply_text(help_text(person, context.services.config.programme.name))


def _welcome(person: Person, context: TandemContext) -> str:
    language = person.language
    city = person.city.name if person.city else ""
    if person.role is Role.PARTICIPANT:
        return t(language, "Welcome! You now take part for {city}. I will send you invitations and reminders here.", city=city)
    return t(
        language,
        "Welcome! You now speak for {city}. Next: choose your topics with /topics and your usual meeting hours with /hours.",
        city=city,
    )


@replies_to_errors
async def invite_colleague(update: Update, context: TandemContext) -> None:
    """/colleague: a one-time link for a colleague of the contact's city."""
    invitation = await context.services.onboarding.invite_colleague(by=update.effective_user.id)
    link = create_deep_linked_url(context.bot.username, invitation.code)
    expires = format_instant(invitation.expires_utc, invitation.city.timezone, context.language, (Place.of(invitation.city),))
    await update.effective_message.reply_text(
        t(context.language, "Send this link to your colleague. It works once, until {expires}:\n{link}", expires=expires, link=link)
    )
