"""/help (what THIS person may do) and the localized command menus set at start-up."""

from __future__ import annotations

from telegram import Bot, BotCommand, BotCommandScopeChat, BotCommandScopeDefault, Update

from bot.config import Config
from bot.domain import Role
from bot.i18n import SUPPORTED_LANGUAGES
from bot.services.people_model import Person
from handlers.context import TandemContext
from handlers.texts import t

# (command, description msgid), per role, in menu order. Everyone gets EVERYONE.
EVERYONE = (
    ("start", "Start, or open an invite link"),
    ("help", "What I can do for you"),
    ("language", "Choose your language"),
    ("mydata", "Export the data I keep about you"),
    ("forget", "Delete your personal data"),
    ("cancel", "Stop what I am waiting for"),
)
CITY_CONTACT = (
    ("topics", "Choose your city's topics"),
    ("hours", "Set your city's usual meeting hours"),
    ("away", "Days when your city cannot meet"),
    ("colleague", "Invite a colleague"),
    ("sessions", "Your city's coming sessions"),
)
PARTICIPANT = (("sessions", "Your city's coming sessions"),)
COORDINATOR = (
    ("pending", "Planned matches waiting for confirmation"),
    ("schedule", "Confirmed sessions: move or cancel them"),
    ("roadmap", "What the cities said after their sessions"),
    ("cities", "List the cities"),
    ("addcity", "Add a city: name; country; time zone; group"),
    ("editcity", "Change a city: name; field; value"),
    ("invite", "Invite link for a city's contact"),
    ("act", "Act for a city (topics, hours, days away)"),
    ("addemail", "Add an e-mail contact: city; name; address"),
    ("holiday", "Official day off or working day: CN 2027-02-10 off Name"),
    ("holidays", "Official days entered, per country"),
    ("topics", "Topics of the city you act for"),
    ("hours", "Hours of the city you act for"),
    ("away", "Days away of the city you act for"),
)


def commands_for(person: Person) -> tuple[tuple[str, str], ...]:
    if person.is_coordinator:
        return COORDINATOR + EVERYONE
    if person.role is Role.CONTACT:
        return CITY_CONTACT + EVERYONE
    if person.role is Role.PARTICIPANT:
        return PARTICIPANT + EVERYONE
    return EVERYONE


def help_text(person: Person, programme: str) -> str:
    language = person.language
    if person.is_coordinator:
        intro = t(language, "You coordinate {programme}.", programme=programme)
    elif person.role is Role.CONTACT and person.city is not None:
        intro = t(language, "You speak for {city} in {programme}.", city=person.city.name, programme=programme)
    elif person.role is Role.PARTICIPANT and person.city is not None:
        intro = t(
            language, "You take part for {city} in {programme}: I will send you invitations and reminders.",
            city=person.city.name, programme=programme,
        )
    else:
        intro = t(
            language, "I arrange online meetings between the cities of {programme}. To take part, open the invite link your coordinator gave you.",
            programme=programme,
        )
    lines = [intro, ""] + [f"/{command} – {t(language, description)}" for command, description in commands_for(person)]
    return "\n".join(lines)


async def show_help(update: Update, context: TandemContext) -> None:
    """/help: the commands this person may use, with one line each."""
    await update.effective_message.reply_text(help_text(context.person, context.services.config.programme.name))


async def set_command_menus(bot: Bot, config: Config) -> None:
    """setMyCommands per language; coordinators' commands only in coordinators' private chats."""
    from handlers.web_app import WEB_COMMAND, set_menu_button

    web = (WEB_COMMAND,) if config.web.enabled else ()
    general = CITY_CONTACT + web + EVERYONE
    for language in (None, *SUPPORTED_LANGUAGES):
        words = language or "en"
        await bot.set_my_commands(
            [BotCommand(c, t(words, d)) for c, d in general], scope=BotCommandScopeDefault(), language_code=language
        )
        for coordinator in config.programme.coordinators:
            # A private chat's id is the user's id, so the scope exists before they ever write.
            await bot.set_my_commands(
                [BotCommand(c, t(words if language else coordinator.language, d)) for c, d in COORDINATOR + web + EVERYONE],
                scope=BotCommandScopeChat(coordinator.telegram_id),
                language_code=language,
            )
    await set_menu_button(bot, config)
