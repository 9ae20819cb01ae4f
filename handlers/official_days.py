"""Coordinators: official days off and working days (``/holiday``, ``/holidays``).

``/holiday CN 2027-02-10 off Spring Festival``, ``/holiday CN 2027-02-07 work Mon 调休``,
``/holiday CN 2027-02-10 remove``; ``/holidays [CN]`` lists what was entered.
"""

from __future__ import annotations

from babel.dates import get_day_names
from telegram import Update

from bot.domain import DayOverride, DayOverrideKind
from bot.i18n import normalize_language
from handlers.context import TandemContext
from handlers.texts import replies_to_errors, t


def _rest(update: Update) -> str:
    text = update.effective_message.text or ""
    return text.partition(" ")[2].strip()


def describe(override: DayOverride, language: str) -> str:
    place = override.country + (f"-{override.subdivision}" if override.subdivision else "")
    if override.kind is DayOverrideKind.DAY_OFF:
        line = t(language, "{day} {place}: day off – {name}", day=override.day.isoformat(), place=place, name=override.name)
    else:
        assert override.works_as_weekday is not None
        line = t(
            language, "{day} {place}: working day with {weekday}'s hours – {name}",
            day=override.day.isoformat(), place=place, weekday=get_day_names("abbreviated", locale=normalize_language(language))[override.works_as_weekday],
            name=override.name or "—",
        )
    if override.added_by:
        line += " " + t(language, "(entered by {who})", who=override.added_by)
    return line


@replies_to_errors
async def change_official_day(update: Update, context: TandemContext) -> None:
    """/holiday PLACE DATE off NAME | work WEEKDAY [NAME] | remove."""
    rest = _rest(update)
    language = context.language
    service = context.services.official_days
    words = rest.split()
    if len(words) == 3 and words[2].lower() == "remove":
        change = await service.remove(rest, by=context.actor)
        lines = [t(language, "Removed; the holiday calendar's own word counts again for:")]
    else:
        change = await service.add(rest, by=context.actor)
        lines = [t(language, "Saved. Planning takes it into account from now on:")]
    lines += [describe(o, language) for o in change.overrides[:20]]
    if len(change.overrides) > 20:
        lines.append(t(language, "… and {count} more.", count=len(change.overrides) - 20))
    if change.sessions_reported:
        lines.append(t(language, "{count} confirmed session(s) now fall on a day off; I am sending you each with a one-tap move.", count=change.sessions_reported))
    await update.effective_message.reply_text("\n".join(lines))


@replies_to_errors
async def list_official_days(update: Update, context: TandemContext) -> None:
    """/holidays [COUNTRY]: the official days entered, by date."""
    rest = _rest(update)
    overrides = await context.services.official_days.list(rest or None, by=context.actor)
    language = context.language
    if not overrides:
        await update.effective_message.reply_text(
            t(language, "No official days are entered. Add one with /holiday CN 2027-02-10 off Spring Festival, or /holiday CN 2027-02-07 work Mon.")
        )
        return
    lines = [t(language, "Official days entered (they take precedence over the holiday calendar):")]
    lines += [describe(o, language) for o in overrides]
    text = "\n".join(lines)
    for start in range(0, len(text), 4000):  # Telegram's limit is 4096 characters a message
        await update.effective_message.reply_text(text[start:start + 4000])
