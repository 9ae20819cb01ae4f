"""A new partner city (with accept / decline), and the end of a match, to the cities' contacts."""

from __future__ import annotations

from bot import callback_data
from bot.domain import Contact, MatchView, NoticeKind, OutgoingMessage
from bot.i18n import gettext
from bot.notices.rendering import RenderContext, on_channel
from bot.ports import Button, Notification, UnitOfWork


async def notice_view(uow: UnitOfWork, recipient: Contact, message: OutgoingMessage) -> MatchView | None:
    """The match a notice is about, at send time; None once it ended (for a new partner) or is not the recipient's."""
    view: MatchView | None = await uow.matches.view(message.number("match_id"))
    if view is None or (message.kind == NoticeKind.MATCH_NOTICE and not view.match.is_live):
        return None
    return view if view.match.involves(recipient.city_id) else None


def notice_text(view: MatchView, city_id: int | None, language: str) -> str:
    own, partner = view.seen_from(city_id)
    lines = [
        gettext(
            language, "New partner for {city}: {partner} ({country}) is also interested in “{topic}”.",
            city=own.name, partner=partner.name, country=partner.country, topic=view.topic.title(language),
        )
    ]
    note = view.note_of(partner.id)
    if note:
        lines.append(gettext(language, "Their note: {note}", note=note))
    lines.append(gettext(language, "A coordinator will propose times that suit both cities. Would you like to meet them?"))
    return "\n".join(lines)


def ended_text(view: MatchView, city_id: int | None, why: str, language: str) -> str:
    _, partner = view.seen_from(city_id)
    if why == "declined":
        return gettext(
            language, "{partner} has declined the meeting on “{topic}”. Nothing more is planned for this pair.",
            partner=partner.name, topic=view.topic.title(language),
        )
    return gettext(
        language, "{partner} is no longer interested in “{topic}”, so that meeting will not take place.",
        partner=partner.name, topic=view.topic.title(language),
    )


async def render_match_notice(ctx: RenderContext, recipient: Contact, message: OutgoingMessage) -> Notification | None:
    """Who the partner is, with accept / decline; dropped if the match ended before it was sent."""
    view = await notice_view(ctx.uow, recipient, message)
    if view is None:
        return None
    language = recipient.language
    _, partner = view.seen_from(recipient.city_id)
    buttons = (
        (
            Button(gettext(language, "Yes, let's meet"), callback_data.ACCEPT_MATCH.build(view.match.id)),
            Button(gettext(language, "Decline"), callback_data.DECLINE_MATCH.build(view.match.id)),
        ),
    )
    return await on_channel(
        ctx, recipient, message, buttons=buttons, text=notice_text(view, recipient.city_id, language),
        subject=gettext(language, "New partner city: {partner}", partner=partner.name),
    )


async def render_match_ended(ctx: RenderContext, recipient: Contact, message: OutgoingMessage) -> Notification | None:
    """The partner declined or dropped the topic."""
    view = await notice_view(ctx.uow, recipient, message)
    if view is None:
        return None
    language = recipient.language
    _, partner = view.seen_from(recipient.city_id)
    return await on_channel(
        ctx, recipient, message, text=ended_text(view, recipient.city_id, str(message.payload.get("why")), language),
        subject=gettext(language, "Meeting with {partner} will not take place", partner=partner.name),
    )
