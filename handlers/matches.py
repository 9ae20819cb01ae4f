"""A match's notice to both cities (accept / decline), and the answers to its buttons."""

from __future__ import annotations

from telegram import Update

from bot import callback_data
from bot.domain import MatchStatus
from bot.services.matching import MatchView
from handlers import keyboards
from handlers.context import TandemContext
from handlers.texts import replies_to_errors, t


def accepted_text(view: MatchView, language: str) -> str:
    return t(
        language, "Good: {partner} and {city} will meet on “{topic}”. A coordinator will confirm a time that suits both of you.",
        partner=view.partner.name, city=view.own_city.name if view.own_city else "", topic=view.topic.title(language),
    )


@replies_to_errors
async def accept_match(update: Update, context: TandemContext) -> None:
    """Accept: nothing changes for planning; the buttons go away."""
    query = update.callback_query
    (match_id,) = callback_data.ACCEPT_MATCH.parse(query.data)
    view = await context.services.matching.accept(by=context.actor, match_id=match_id)
    await query.answer()
    await keyboards.show(query, accepted_text(view, context.language))


@replies_to_errors
async def decline_match(update: Update, context: TandemContext) -> None:
    """Decline: the match ends and the partner city is told; a second tap changes nothing."""
    query = update.callback_query
    (match_id,) = callback_data.DECLINE_MATCH.parse(query.data)
    view = await context.services.matching.decline(by=context.actor, match_id=match_id)
    await query.answer()
    assert view.match.status is MatchStatus.DECLINED
    await keyboards.show(
        query, t(context.language, "You declined the meeting with {partner} on “{topic}”. They have been told.", partner=view.partner.name, topic=view.topic.title(context.language))
    )
