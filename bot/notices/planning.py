"""What the planner found, to coordinators: a proposal to confirm, or why there is no common time."""

from __future__ import annotations

from bot import callback_data
from bot.domain import Channel, City, Contact, MatchStatus, NoTimeExplanation, NoTimeReason, OutgoingMessage
from bot.i18n import Place, format_instant, gettext
from bot.notices.rendering import RenderContext, on_channel
from bot.ports import Button, Notification


def describe_no_time(no_time: NoTimeExplanation | None, a: City, b: City, language: str) -> str:
    """Why a match has no common time, in words a coordinator can act on."""
    if no_time is None:
        return gettext(language, "No common time was found.")
    names: dict[object, str] = {a.id: a.name, b.id: b.name}
    reason = no_time.reason
    if reason is NoTimeReason.WINDOWS_NEVER_OVERLAP:
        return gettext(language, "Their meeting hours never overlap.")
    if reason is NoTimeReason.OVERLAP_TOO_SHORT:
        return gettext(
            language,
            "Their hours overlap for at most {minutes} minutes, less than a session lasts ({duration} minutes).",
            minutes=no_time.longest_overlap_minutes, duration=no_time.duration_minutes,
        )
    if reason is NoTimeReason.NOT_AFTER_NOTICE:
        return gettext(language, "Every common time lies before the minimum notice.")
    if reason is NoTimeReason.CLOSED_DAYS:
        days = ", ".join(
            f"{d.local_date.isoformat()} {names.get(d.city_id, '')} ({d.name or gettext(language, 'away')})"
            for d in no_time.closed_days[:6]
        )
        return gettext(language, "Every common day is a holiday or a day away: {days}.", days=days)
    blocked = ", ".join(names.get(c, str(c)) for c in no_time.blocking_city_ids) or "?"
    return gettext(language, "Other sessions already take every common time of {cities}.", cities=blocked)


async def render_planned_match(ctx: RenderContext, recipient: Contact, message: OutgoingMessage) -> Notification | None:
    """The planner's choice and alternatives, each a button in both cities' local times."""
    view = await ctx.uow.matches.view(message.number("match_id"))
    if view is None or view.match.status is not MatchStatus.PLANNED:
        return None  # confirmed or no longer plannable meanwhile
    starts = [start for start, _ in await ctx.uow.matches.proposals(view.match.id)]
    language = recipient.language
    a, b, topic = view.city_a, view.city_b, view.topic.title(language)
    own_city = await ctx.uow.cities.get(recipient.city_id) if recipient.city_id is not None else None
    zone = own_city.timezone if own_city is not None else ctx.config.programme.timezone  # coordinators: the programme's
    times = [format_instant(start, zone, language, (Place.of(a), Place.of(b))) for start in starts]
    # Buttons are narrow: the short form there ("Mon 29 Mar, 10:30 Berlin · 16:30 Panjin"), the
    # full one (year, offsets) in the text above them.
    labels = [format_instant(start, zone, language, (Place.of(a), Place.of(b)), short=True) for start in starts]
    buttons = tuple((Button(label, callback_data.CONFIRM_SLOT.build(view.match.id, start)),) for label, start in zip(labels, starts))
    if message.channel is Channel.EMAIL:  # no buttons in a mail: the times as lines, and where to confirm
        text = gettext(
            language, "New proposal: {city_a} and {city_b} on “{topic}”. Confirm one of these times in Telegram with /pending:",
            city_a=a.name, city_b=b.name, topic=topic,
        )
        text += "\n" + "\n".join(f"• {label}" for label in times)
    else:
        text = gettext(
            language, "New proposal: {city_a} and {city_b} on “{topic}”. Tap a time to confirm it:", city_a=a.name, city_b=b.name, topic=topic
        )
        text += "\n" + "\n".join(f"• {label}" for label in times)
    return await on_channel(
        ctx, recipient, message, text=text, buttons=buttons,
        subject=gettext(language, "New proposal: {city_a} and {city_b}", city_a=a.name, city_b=b.name),
    )


async def render_unschedulable_match(ctx: RenderContext, recipient: Contact, message: OutgoingMessage) -> Notification | None:
    """A match without a common time, and why."""
    view = await ctx.uow.matches.view(message.number("match_id"))
    if view is None or view.match.status is not MatchStatus.UNSCHEDULABLE:
        return None  # planned meanwhile
    language = recipient.language
    a, b = view.city_a, view.city_b
    text = gettext(
        language,
        "No common time for {city_a} and {city_b} on “{topic}”: {why}",
        city_a=a.name, city_b=b.name, topic=view.topic.title(language),
        why=describe_no_time(view.match.no_time, a, b, language),
    )
    return await on_channel(
        ctx, recipient, message, text=text,
        subject=gettext(language, "No common time for {city_a} and {city_b}", city_a=a.name, city_b=b.name),
    )
