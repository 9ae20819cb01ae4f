"""A match's notice to both cities (accept / decline), and the answers to its buttons."""

from __future__ import annotations

from telegram import Update

from bot import callback_data
from bot.domain import MatchStatus, MatchView
from handlers import keyboards
from handlers.context import TandemContext
from handlers.texts import replies_to_errors, t


def accepted_text(view: MatchView, city_id: int | None, language: str) -> str:
    own, partner = view.seen_from(city_id)
    return t(
        language, "Good: {partner} and {city} will meet on “{topic}”. A coordinator will confirm a time that suits both of you.",
        partner=partner.name, city=own.name, topic=view.topic.title(language),
    )


@replies_to_errors
async def accept_match(update: Update, context: TandemContext) -> None:
    """Accept: nothing changes for planning; the buttons go away."""
    query = update.callback_query
    (match_id,) = callback_data.ACCEPT_MATCH.parse(query.data)
    view = await context.services.matching.accept(by=context.actor, match_id=match_id)
    await query.answer()
    await keyboards.show(query, accepted_text(view, _own_city_id(context), context.language))


@replies_to_errors
async def decline_match(update: Update, context: TandemContext) -> None:
    """Decline: the match ends and the partner city is told; a second tap changes nothing."""
    query = update.callback_query
    (match_id,) = callback_data.DECLINE_MATCH.parse(query.data)
    view = await context.services.matching.decline(by=context.actor, match_id=match_id)
    await query.answer()
    assert view.match.status is MatchStatus.DECLINED
    _, partner = view.seen_from(_own_city_id(context))
    await keyboards.show(
        query, t(context.language, "You declined the meeting with {partner} on “{topic}”. They have been told.", partner=partner.name, topic=view.topic.title(context.language))
    )


@replies_to_errors
async def page_partners(update: Update, context: TandemContext) -> None:
    """‹ / › on a new-partners digest: the page in place, with its decline buttons."""
    query = update.callback_query
    message_id, page = callback_data.PARTNERS_PAGE.parse(query.data)
    shown = await context.services.matching.partners_page(by=context.actor, message_id=message_id, page=page)
    await query.answer()
    await keyboards.show(query, shown.text, keyboards.of(shown))


@replies_to_errors
async def decline_partner(update: Update, context: TandemContext) -> None:
    """Decline one partner of a digest: the match ends, the partner is told, the page shows it."""
    query = update.callback_query
    message_id, match_id, page = callback_data.DECLINE_PARTNER.parse(query.data)
    view, shown = await context.services.matching.decline_partner(by=context.actor, message_id=message_id, match_id=match_id, page=page)
    _, partner = view.seen_from(_own_city_id(context))
    await query.answer(
        t(context.language, "You declined the meeting with {partner} on “{topic}”. They have been told.", partner=partner.name, topic=view.topic.title(context.language))
    )
    await keyboards.show(query, shown.text, keyboards.of(shown))


def _own_city_id(context: TandemContext) -> int | None:
    return context.person.city.id if context.person.city is not None else None
