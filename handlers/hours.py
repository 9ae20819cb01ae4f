"""/hours (usual meeting hours, with presets and free text, answered with the partners' overlap) and /away."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta

from babel.dates import format_interval, format_skeleton, get_day_names
from telegram import InlineKeyboardMarkup, Update

from bot import callback_data
from bot.domain import DayOverrideKind, InvalidInputError, Payload, WeeklyWindow
from bot.i18n import normalize_language
from bot.services.availability import HOURS_PRESETS, AwayView, HoursView
from handlers import keyboards
from handlers.context import TandemContext
from handlers.texts import replies_to_errors, t

MAX_OVERLAPS_SHOWN = 12
_ENGLISH_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def localized_hours(text: str, language: str) -> str:
    """The planner's canonical form ("Mon-Fri 09:00-12:00") with the reader's day names ("周一-周五 …")."""
    names = get_day_names("abbreviated", locale=normalize_language(language))
    return re.sub(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun)\b", lambda m: names[_ENGLISH_DAYS.index(m.group(1))], text)


def _city_id(payload: Payload | None) -> int | None:
    """The city the bot asked about when it began waiting for this text (None: the person's own)."""
    value = (payload or {}).get("city_id")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _windows_text(windows: tuple[WeeklyWindow, ...], language: str) -> str:
    from bot.planner import render_weekly_hours

    return localized_hours(render_weekly_hours(windows), language)


def hours_text(view: HoursView, language: str) -> str:
    if not view.windows:
        return t(language, "{city} has no meeting hours yet. Choose a preset or type your own, in {zone} time.", city=view.city.name, zone=view.city.timezone)
    lines = [t(language, "Meeting hours of {city} ({zone}): {hours}", city=view.city.name, zone=view.city.timezone, hours=localized_hours(view.text, language))]
    for overlap in view.overlaps[:MAX_OVERLAPS_SHOWN]:
        if overlap.windows:
            lines.append(
                t(language, "With {partner} ({zone}) you overlap {hours} your time.", partner=overlap.partner.name, zone=overlap.partner.timezone, hours=_windows_text(overlap.windows, language))
            )
        else:
            lines.append(t(language, "With {partner} ({zone}) you have no common hours.", partner=overlap.partner.name, zone=overlap.partner.timezone))
    if len(view.overlaps) > MAX_OVERLAPS_SHOWN:
        lines.append(t(language, "… and {count} more partner cities.", count=len(view.overlaps) - MAX_OVERLAPS_SHOWN))
    if view.official_days:
        lines.append(t(language, "Official days ahead, entered by the coordinators:"))
        day_names = get_day_names("abbreviated", locale=normalize_language(language))
        for official in view.official_days[:MAX_OVERLAPS_SHOWN]:
            o, cities = official.override, ", ".join(official.cities)
            if o.kind is DayOverrideKind.DAY_OFF:
                lines.append(t(language, "{day}, {cities}: day off – {name}", day=o.day.isoformat(), cities=cities, name=o.name))
            else:
                lines.append(t(
                    language, "{day}, {cities}: working day with {weekday}'s hours",
                    day=o.day.isoformat(), cities=cities, weekday=day_names[o.works_as_weekday or 0],
                ))
    return "\n".join(lines)


def hours_keyboard(view: HoursView, language: str) -> InlineKeyboardMarkup:
    rows = [[(localized_hours(text, language), callback_data.HOURS_PRESET.build(view.city.id, key))] for key, text in HOURS_PRESETS.items()]
    rows.append([(t(language, "Type my own hours"), callback_data.HOURS_TYPE.build(view.city.id))])
    return keyboards.keyboard(rows)


@replies_to_errors
async def show_hours(update: Update, context: TandemContext) -> None:
    """/hours: the current hours with overlaps and the presets; `/hours Mon-Fri 09:00-12:00` sets them directly."""
    text = (update.effective_message.text or "").partition(" ")[2].strip()
    view = await context.services.availability.set_hours(by=context.actor, text=text) if text else await context.services.availability.hours(by=context.actor)
    await update.effective_message.reply_text(hours_text(view, context.language), reply_markup=hours_keyboard(view, context.language))


@replies_to_errors
async def choose_preset(update: Update, context: TandemContext) -> None:
    """A preset button: save those hours and redraw the message."""
    query = update.callback_query
    city_id, preset = callback_data.HOURS_PRESET.parse(query.data)
    if preset not in HOURS_PRESETS:
        raise callback_data.ForgedButtonError("unknown preset")
    view = await context.services.availability.set_hours(by=context.actor, text=str(preset), city_id=city_id)
    await query.answer()
    await keyboards.show(query, hours_text(view, context.language), hours_keyboard(view, context.language))


@replies_to_errors
async def ask_hours(update: Update, context: TandemContext) -> None:
    """"Type my own": wait for the hours as the next message."""
    query = update.callback_query
    (city_id,) = callback_data.HOURS_TYPE.parse(query.data)
    city = await context.services.availability.ask_hours(by=context.actor, city_id=city_id)
    await query.answer()
    await query.message.reply_text(
        t(context.language, "Send the usual meeting hours of {city} in {zone} time, for example: Mon-Fri 09:00-12:00, 14:00-17:30", city=city.name, zone=city.timezone)
    )


@replies_to_errors
async def type_hours(update: Update, context: TandemContext) -> None:
    """The free text after "Type my own": parse it; a mistake is explained and nothing is saved."""
    try:
        payload = context.person.step_payload or {}
        view = await context.services.availability.set_hours(by=context.actor, text=update.effective_message.text or "", city_id=_city_id(payload))
    except InvalidInputError as error:
        if error.msgid is not None:
            raise
        await update.effective_message.reply_text(t(context.language, "I could not read these hours: {reason}. Nothing was saved; please send them again.", reason=str(error)))
        return
    await update.effective_message.reply_text(hours_text(view, context.language), reply_markup=hours_keyboard(view, context.language))


MAX_PERIODS_SHOWN = 30
# English dates as the rest of Tandem writes them ("4 Jan 2027"), not the American "Jan 4, 2027".
_DATE_LOCALES = {"en": "en_GB", "de": "de", "zh": "zh"}


def periods_away(days: Sequence[date]) -> list[tuple[date, date]]:
    """Sorted days as runs of consecutive days: (first, last) each."""
    periods: list[tuple[date, date]] = []
    for day in sorted(days):
        if periods and day - periods[-1][1] == timedelta(days=1):
            periods[-1] = (periods[-1][0], day)
        elif not periods or day != periods[-1][1]:
            periods.append((day, day))
    return periods


def period_text(first: date, last: date, language: str, *, count: bool = True) -> str:
    """"1 Apr 2027", or a run as a range with its length: "4 Jan – 31 Dec 2027 (362 days)"."""
    locale = _DATE_LOCALES[normalize_language(language)]
    if first == last:
        return format_skeleton("yMMMd", first, locale=locale)
    span = format_interval(first, last, "yMMMd", locale=locale)
    return t(language, "{range} ({count} days)", range=span, count=(last - first).days + 1) if count else span


def away_text(view: AwayView, language: str) -> str:
    """The days away as periods (a year away is one line, not 365 dates), the first few of many."""
    if not view.days:
        return t(language, "{city} has no days away. Public holidays are left out automatically.", city=view.city.name)
    periods = periods_away(view.days)
    shown = ", ".join(period_text(first, last, language) for first, last in periods[:MAX_PERIODS_SHOWN])
    text = t(language, "Days away of {city}: {days}. Tap one to remove it.", city=view.city.name, days=shown)
    if len(periods) > MAX_PERIODS_SHOWN:
        text += "\n" + t(language, "… and {count} more periods away.", count=len(periods) - MAX_PERIODS_SHOWN)
    return text


def away_keyboard(view: AwayView, language: str) -> InlineKeyboardMarkup:
    rows = [
        [(f"🗑 {period_text(first, last, language, count=False)}", callback_data.AWAY_REMOVE.build(view.city.id, first, last))]
        for first, last in periods_away(view.days)[:MAX_PERIODS_SHOWN]
    ]
    rows.append([(t(language, "Add days away"), callback_data.AWAY_ADD.build(view.city.id))])
    return keyboards.keyboard(rows)


@replies_to_errors
async def show_days_away(update: Update, context: TandemContext) -> None:
    """/away: the coming days away; `/away 2027-04-01..2027-04-03` adds directly."""
    text = (update.effective_message.text or "").partition(" ")[2].strip()
    view = await context.services.availability.add_days_away(by=context.actor, text=text) if text else await context.services.availability.days_away(by=context.actor)
    await update.effective_message.reply_text(away_text(view, context.language), reply_markup=away_keyboard(view, context.language))


@replies_to_errors
async def ask_days_away(update: Update, context: TandemContext) -> None:
    """"Add days away": wait for dates as the next message."""
    query = update.callback_query
    (city_id,) = callback_data.AWAY_ADD.parse(query.data)
    city = await context.services.availability.ask_days_away(by=context.actor, city_id=city_id)
    await query.answer()
    await query.message.reply_text(t(context.language, "Send the days when {city} cannot meet, for example: 2027-04-01, 2027-04-06..2027-04-08", city=city.name))


@replies_to_errors
async def type_days_away(update: Update, context: TandemContext) -> None:
    """The free text after "Add days away"."""
    payload = context.person.step_payload or {}
    try:
        view = await context.services.availability.add_days_away(by=context.actor, text=update.effective_message.text or "", city_id=_city_id(payload))
    except InvalidInputError as error:
        if error.msgid is not None:
            raise
        await update.effective_message.reply_text(t(context.language, "I could not read these dates: {reason}. Nothing was saved; please send them again.", reason=str(error)))
        return
    await update.effective_message.reply_text(away_text(view, context.language), reply_markup=away_keyboard(view, context.language))


@replies_to_errors
async def remove_day_away(update: Update, context: TandemContext) -> None:
    """🗑 a period: remove its days (a double tap removes nothing more) and redraw."""
    query = update.callback_query
    city_id, first, last = callback_data.AWAY_REMOVE.parse(query.data)
    view = await context.services.availability.remove_day_away(by=context.actor, city_id=city_id, day=first, until=last)
    await query.answer()
    await keyboards.show(query, away_text(view, context.language), away_keyboard(view, context.language))
