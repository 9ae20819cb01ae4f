"""The sign-in e-mail: a personal link to the web pages, asked for by address on the sign-in page."""

from __future__ import annotations

from bot.domain import City, Contact, OutgoingMessage
from bot.i18n import Place, format_instant, gettext
from bot.notices.links import issue_link
from bot.notices.rendering import RenderContext, text_email
from bot.ports import Notification


async def render_sign_in_link(ctx: RenderContext, recipient: Contact, message: OutgoingMessage) -> Notification | None:
    """The e-mail with a personal sign-in link, made now (only its hash is stored).

    It is the link itself, so it is the one e-mail without the sign-in footer of the others.
    """
    if not recipient.email:
        return None
    config = ctx.config
    url, expires = await issue_link(ctx.uow, config, ctx.now_utc, recipient.id)
    language = recipient.language
    city: City | None = await ctx.uow.cities.get(recipient.city_id) if recipient.city_id is not None else None
    zone = city.timezone if city is not None else config.programme.timezone
    body = "\n\n".join(
        [
            gettext(language, "Hello {name},", name=recipient.display_name),
            gettext(language, "Open this link to sign in to {programme}:", programme=config.programme.name),
            url,
            gettext(language, "The link works once, until {when}. If you did not ask for it, you can ignore this e-mail.",
                    when=format_instant(expires, zone, language, [Place.of(city)] if city else ())),
        ]
    )
    subject = gettext(language, "Your sign-in link for {programme}", programme=config.programme.name)
    return Notification(text=body, email=text_email(ctx, recipient, subject=subject, body=body + "\n"))
