"""To coordinators: someone, or a whole city, can no longer be reached."""

from __future__ import annotations

from bot.domain import City, Contact, NoticeKind, OutgoingMessage
from bot.i18n import gettext, normalize_language
from bot.notices.rendering import RenderContext, on_channel
from bot.ports import Notification


async def render_contact_unreachable(ctx: RenderContext, recipient: Contact, message: OutgoingMessage) -> Notification | None:
    """A contact blocked the bot; None if they are reachable again or gone."""
    blocked: Contact | None = await ctx.uow.contacts.get(message.number("contact_id"))
    if blocked is None or blocked.reachable:
        return None
    language = normalize_language(recipient.language)
    city: City | None = await ctx.uow.cities.get(blocked.city_id) if blocked.city_id is not None else None
    who = f"{blocked.display_name} ({city.name})" if city else blocked.display_name
    text = gettext(language, "{who} has blocked Tandem on Telegram: invites, changes and reminders no longer reach them there.", who=who)
    if blocked.email and ctx.config.email.enabled:
        text += "\n" + gettext(language, "They still get them by e-mail at {email}.", email=blocked.email)
    else:
        text += "\n" + gettext(language, "They have no e-mail address either: please contact them another way.")
    return await on_channel(ctx, recipient, message, text=text, subject=gettext(language, "{who} cannot be reached on Telegram", who=who))


async def render_city_unreachable(ctx: RenderContext, recipient: Contact, message: OutgoingMessage) -> Notification | None:
    """Nobody of a city can be reached on any channel; None once someone can again."""
    city: City | None = await ctx.uow.cities.get(message.number("city_id"))
    if city is None:
        return None
    people: list[Contact] = await ctx.uow.contacts.of_city(city.id)
    if any(p.channels_for(NoticeKind.CITY_UNREACHABLE, email_enabled=ctx.config.email.enabled) for p in people):
        return None
    language = normalize_language(recipient.language)
    text = gettext(
        language,
        "Nobody of {city} can be reached: no one of the city has a Telegram chat with Tandem or an e-mail address it may write to, "
        "so the city hears of nothing. Act for it with /act {city}, or add a contact with /invite {city} or /addemail.",
        city=city.name,
    )
    return await on_channel(ctx, recipient, message, text=text, subject=gettext(language, "Nobody of {city} can be reached", city=city.name))
