"""To coordinators: the official calendar changed under a confirmed session, or is still a guess."""

from __future__ import annotations

from datetime import date, datetime

from babel import Locale
from babel.dates import format_date

from bot import callback_data
from bot.domain import City, Contact, OutgoingMessage, SessionStatus, SessionView
from bot.i18n import Place, format_instant, gettext, normalize_language
from bot.notices.rendering import RenderContext, on_channel
from bot.notices.sessions import zone_of
from bot.ports import Button, Notification

# Why a confirmed session is reported (``session_on_day_off``'s payload "reason"; older messages have none: DAY_OFF).
DAY_OFF = "day_off"  # the day is now a day off: one entered, or the package's holiday once more
WORKING_DAY_WITHDRAWN = "working_day_withdrawn"  # an official working day was removed, and the city does not work that weekday


async def render_session_on_day_off(ctx: RenderContext, recipient: Contact, message: OutgoingMessage) -> Notification | None:
    """A confirmed session lies on a new official day off, or on a weekend day whose official working
    day was withdrawn: one tap moves it to the best other time.

    None once the session was moved or cancelled meanwhile (its sequence changed).
    """
    view: SessionView | None = await ctx.uow.sessions.view(message.number("session_id"))
    if view is None or view.session.status is SessionStatus.CANCELLED or view.session.sequence != message.payload.get("sequence"):
        return None
    language = normalize_language(recipient.language)
    places = (Place.of(view.city_a), Place.of(view.city_b))
    zone = zone_of(ctx.config, view, recipient)
    city = view.city_a if view.city_a.id == message.payload.get("city_id") else view.city_b
    day = date.fromisoformat(str(message.payload["day"]))
    values: dict[str, object] = {
        "day": day.isoformat(), "city": city.name, "city_a": view.city_a.name, "city_b": view.city_b.name,
        "topic": view.topic.title(language), "when": format_instant(view.session.start_utc, zone, language, places),
    }
    name = str(message.payload.get("name") or "")
    pair = {"city_a": view.city_a.name, "city_b": view.city_b.name}
    if message.payload.get("reason") == WORKING_DAY_WITHDRAWN:  # a make-up Saturday taken back, say
        subject = gettext(language, "Session {city_a} – {city_b} falls on a day that is no longer worked", **pair)
        values["weekday"] = format_date(day, "EEEE", locale=language)
        if name:
            text = gettext(
                language,
                "{day} ({weekday}) is no longer an official working day in {city} (“{name}” was withdrawn), so {city} does not work that day, "
                "and the session {city_a} – {city_b} on “{topic}” is then: {when}.",
                name=name, **values,
            )
        else:
            text = gettext(
                language,
                "{day} ({weekday}) is no longer an official working day in {city}, so {city} does not work that day, "
                "and the session {city_a} – {city_b} on “{topic}” is then: {when}.",
                **values,
            )
    else:
        subject = gettext(language, "Session {city_a} – {city_b} falls on a day off", **pair)
        text = gettext(
            language,
            "{day} is now an official day off in {city} ({name}), and the session {city_a} – {city_b} on “{topic}” is then: {when}.",
            name=name or "—", **values,
        )
    buttons: tuple[tuple[Button, ...], ...] = ()
    move_to = message.payload.get("move_to")
    if isinstance(move_to, str):
        start = datetime.fromisoformat(move_to)
        label = format_instant(start, zone, language, places)
        text += "\n" + gettext(language, "The best other common time is {when}. Tap it to move the session; everyone gets the updated invitation.", when=label)
        buttons = (
            (Button(label, callback_data.RESCHEDULE_TO.build(view.session.id, view.session.sequence, start)),),
            (Button(gettext(language, "Other times"), callback_data.RESCHEDULE_MENU.build(view.session.id, view.session.sequence)),),
        )
    else:
        text += "\n" + gettext(language, "There is no other common time; cancel it or change the cities' hours (/schedule).")
    return await on_channel(
        ctx, recipient, message, text=text, buttons=buttons,
        subject=subject,
    )


async def render_calendar_guess(ctx: RenderContext, recipient: Contact, message: OutgoingMessage) -> Notification | None:
    """The holiday calendar of a country and year is still a guess: how to enter the official days."""
    language = normalize_language(recipient.language)
    country, year = str(message.payload["country"]), message.number("year")
    ids: object = message.payload.get("city_ids")
    cities: list[City] = []
    city_id: object
    for city_id in ids if isinstance(ids, list) else []:
        city = await ctx.uow.cities.get(city_id) if isinstance(city_id, int) else None
        if city is not None:
            cities.append(city)
    country_name = Locale.parse(language).territories.get(country, country)
    text = gettext(
        language,
        "{country}'s official holiday arrangement for {year} is not known yet: the holiday calendar only guesses it, and planning now reaches into {year}. "
        "Sessions in {cities} from {start} may fall on days off or miss official working days.",
        country=country_name, year=year, cities=", ".join(c.name for c in cities) or country, start=str(message.payload["start"]),
    )
    text += "\n" + gettext(
        language,
        "Add the official days when they are published: /holiday {country} {example} off <name>, /holiday {country} <date> work <weekday>, or tandem holidays import FILE.",
        country=country, example=f"{year}-MM-DD",
    )
    return await on_channel(
        ctx, recipient, message, text=text,
        subject=gettext(language, "The holiday calendar of {country} for {year} is a guess", country=country_name, year=year),
    )
