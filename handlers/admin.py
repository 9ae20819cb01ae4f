"""Coordinators: cities in chat, invite links, acting for a city, e-mail contacts.

Arguments follow the command, separated by semicolons, because city names contain spaces:
``/addcity Ravenna; IT; Europe/Rome; EU``.
"""

from __future__ import annotations

from telegram import Update
from telegram.helpers import create_deep_linked_url

from bot.i18n import Place, format_instant
from handlers.context import TandemContext
from handlers.texts import coordinators_only, t


def _arguments(update: Update) -> list[str]:
    """The text after the command, split at semicolons."""
    text = update.effective_message.text or ""
    _, _, rest = text.partition(" ")
    return [part.strip() for part in rest.split(";")] if rest.strip() else []


async def _usage(update: Update, context: TandemContext, example: str) -> None:
    await update.effective_message.reply_text(t(context.language, "Please write it like this: {example}", example=example))


@coordinators_only
async def list_cities(update: Update, context: TandemContext) -> None:
    """/cities: every city with its zone, group and how its contacts are reached."""
    listings = await context.services.cities.list(by=context.actor)
    language = context.language
    if not listings:
        await update.effective_message.reply_text(t(language, "There are no cities yet. Add one with /addcity."))
        return
    lines = [t(language, "Cities:")] + [
        t(
            language, "{name} ({country}, {zone}, {group}): {telegram} on Telegram, {email} by e-mail",
            name=listing.city.name, country=listing.city.country, zone=listing.city.timezone, group=listing.city.group,
            telegram=listing.telegram_contacts, email=listing.email_contacts,
        )
        for listing in listings
    ]
    await update.effective_message.reply_text("\n".join(lines))


@coordinators_only
async def add_city(update: Update, context: TandemContext) -> None:
    """/addcity name; country; zone; group[; subdivision]."""
    args = _arguments(update)
    if len(args) not in (4, 5):
        await _usage(update, context, "/addcity Ravenna; IT; Europe/Rome; EU")
        return
    city = await context.services.cities.add(by=context.actor, name=args[0], country=args[1], timezone=args[2], group=args[3], subdivision=args[4] if len(args) == 5 else "")
    await update.effective_message.reply_text(
        t(context.language, "Added {name} ({country}, {zone}, {group}). Invite its contact with /invite {name}.", name=city.name, country=city.country, zone=city.timezone, group=city.group)
    )


@coordinators_only
async def edit_city(update: Update, context: TandemContext) -> None:
    """/editcity name; field; value."""
    args = _arguments(update)
    if len(args) != 3:
        await _usage(update, context, "/editcity Ravenna; timezone; Europe/Rome")
        return
    city = await context.services.cities.edit(by=context.actor, city_name=args[0], field=args[1].lower(), value=args[2])
    await update.effective_message.reply_text(
        t(context.language, "Saved: {name} ({country}, {zone}, {group}).", name=city.name, country=city.country, zone=city.timezone, group=city.group)
    )


@coordinators_only
async def invite(update: Update, context: TandemContext) -> None:
    """/invite city: a one-time link that makes its opener the city's contact."""
    args = _arguments(update)
    if len(args) != 1:
        await _usage(update, context, "/invite Ravenna")
        return
    new_link = await context.services.onboarding.contact_link(by=context.actor, city_name=args[0])
    language = context.language
    link = create_deep_linked_url(context.bot.username, new_link.code)
    expires = format_instant(new_link.expires_utc, context.services.config.programme.timezone, language, (Place.of(new_link.city),))
    await update.effective_message.reply_text(
        t(language, "Send this link to the contact of {city}. It works once, until {expires}:\n{link}", city=new_link.city.name, expires=expires, link=link)
    )


@coordinators_only
async def act_for_city(update: Update, context: TandemContext) -> None:
    """/act city: /topics, /hours and /away then change this city."""
    args = _arguments(update)
    if len(args) != 1:
        await _usage(update, context, "/act Panjin")
        return
    city = await context.services.cities.act_for(by=context.actor, city_name=args[0])
    await update.effective_message.reply_text(
        t(context.language, "You now act for {city}: /topics, /hours and /away change this city.", city=city.name)
    )


@coordinators_only
async def add_email_contact(update: Update, context: TandemContext) -> None:
    """/addemail city; name; address: a contact reached by e-mail only."""
    args = _arguments(update)
    if len(args) != 3:
        await _usage(update, context, "/addemail Panjin; Li Wei; li.wei@example.cn")
        return
    contact = await context.services.cities.add_email_contact(by=context.actor, city_name=args[0], name=args[1], email=args[2])
    await update.effective_message.reply_text(
        t(context.language, "{name} <{email}> will receive {city}'s notices and invitations by e-mail.", name=contact.display_name, email=contact.email, city=args[0])
    )
