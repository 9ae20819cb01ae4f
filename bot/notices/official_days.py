"""To coordinators: the official calendar changed under a confirmed session, or is still a guess."""

from __future__ import annotations

from datetime import date, datetime

from bot import callback_data
from bot.domain import Contact, OutgoingMessage, SessionStatus, SessionView
from bot.i18n import Place, format_instant, gettext, normalize_language
from bot.notices.rendering import RenderContext, on_channel
from bot.notices.sessions import zone_of
from bot.ports import Button, Notification


async def render_session_on_day_off(ctx: RenderContext, recipient: Contact, message: OutgoingMessage) -> Notification | None:
    """A confirmed session lies on a new official day off: one tap moves it to the best other time.

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
    text = gettext(
        language,
        "{day} is now an official day off in {city} ({name}), and the session {city_a} – {city_b} on “{topic}” is then: {when}.",
        day=day.isoformat(), city=city.name, name=str(message.payload.get("name") or "—"),
        city_a=view.city_a.name, city_b=view.city_b.name, topic=view.topic.title(language),
        when=format_instant(view.session.start_utc, zone, language, places),
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
        subject=gettext(language, "Session {city_a} – {city_b} falls on a day off", city_a=view.city_a.name, city_b=view.city_b.name),
    )
