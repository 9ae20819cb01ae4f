"""A new partner city (with accept / decline), and the end of a match, to the cities' contacts.

Many new partners at once are one message: a contact whose city shares a popular topic, or who
taps a topic many cities chose, would otherwise get a message per partner, one a second (Telegram's
limit per chat), ahead of the answers to their own taps. So when a new-partner notice comes to be
sent and more than ``SEPARATE_NOTICES`` of them wait for the same person and channel, it takes the
others in (``OutboxRepository.fold``: they end as dropped, "folded into outbox N") and says
everything as one digest, paged like a planning digest, with a decline button for each partner.
The folded match ids are written to the row itself, in the same transaction as the folding, so a
send that fails and is retried (or a crash before the hand-over) still says all of them.
"""

from __future__ import annotations

from dataclasses import replace

from bot import callback_data
from bot.domain import Channel, Contact, MatchView, NoticeKind, OutgoingMessage, excerpt
from bot.i18n import gettext
from bot.notices.rendering import DIGEST_LINE_LIMIT, DIGEST_PAGE_SIZE, SEPARATE_NOTICES, RenderContext, on_channel, page_turns
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


def listed_matches(message: OutgoingMessage) -> list[int]:
    """The matches a new-partner notice is about: one, or those a digest took in ("12 13 15")."""
    listed = message.payload.get("matches")
    return [int(part) for part in listed.split()] if isinstance(listed, str) else [message.number("match_id")]


async def take_in_waiting(ctx: RenderContext, message: OutgoingMessage) -> OutgoingMessage:
    """``message``, having folded in the new-partner notices waiting for the same person and
    channel when there are more than ``SEPARATE_NOTICES`` in all (``listed_matches`` of the
    result names them all, as its stored row does)."""
    match_ids = listed_matches(message)
    waiting = await ctx.uow.outbox.waiting_alike(message, now_utc=ctx.now_utc)
    if not waiting or (len(match_ids) == 1 and 1 + len(waiting) <= SEPARATE_NOTICES):
        return message
    folded = set(await ctx.uow.outbox.fold(message.id, [other.id for other in waiting]))
    for other in waiting:
        if other.id in folded:
            match_ids += [match_id for match_id in listed_matches(other) if match_id not in match_ids]
    payload = {**message.payload, "match_id": match_ids[0], "matches": " ".join(map(str, match_ids))}
    await ctx.uow.outbox.rewrite_payload(message.id, payload)
    return replace(message, payload=payload)


async def partners_page(
    ctx: RenderContext, recipient: Contact, message: OutgoingMessage, page: int, *, page_size: int = DIGEST_PAGE_SIZE
) -> tuple[str, tuple[tuple[Button, ...], ...], int]:
    """One page of a new-partners digest: a summary, up to ``page_size`` partners, a decline
    button for each partner still open, "‹" / "›". ``page`` is clamped to the pages there are.
    Returns the text, the buttons and the number of pages."""
    match_ids = listed_matches(message)
    pages = max(1, -(-len(match_ids) // page_size))
    page = min(max(page, 0), pages - 1)
    shown = match_ids[page * page_size : (page + 1) * page_size]
    views = {view.match.id: view for view in await ctx.uow.matches.views(ids=shown)}
    language = recipient.language
    own_city = await ctx.uow.cities.get(recipient.city_id) if recipient.city_id is not None else None
    lines = [
        gettext(
            language,
            "{count} new partner cities for {city}, each also interested in one of your topics. A coordinator will propose times; decline any you do not want to meet.",
            count=len(match_ids), city=own_city.name if own_city else "",
        )
    ]
    if pages > 1:
        lines.append(gettext(language, "Page {page} of {pages}", page=page + 1, pages=pages))
    buttons: list[tuple[Button, ...]] = []
    for match_id in shown:
        view = views.get(match_id)
        if view is None or not view.match.involves(recipient.city_id):
            continue
        _, partner = view.seen_from(recipient.city_id)
        topic = view.topic.title(language)
        line = f"• {partner.name} ({partner.country}): “{topic}”"
        note = view.note_of(partner.id)
        if not view.match.is_live:
            line += " " + gettext(language, "(no longer open)")
        elif note:
            line += " " + gettext(language, "Their note: {note}", note=note)
        lines.append(excerpt(line, DIGEST_LINE_LIMIT))
        if view.match.is_live:
            label = excerpt(gettext(language, "Decline {partner}: {topic}", partner=partner.name, topic=topic), 60)
            buttons.append((Button(label, callback_data.DECLINE_PARTNER.build(message.id, match_id, page)),))
    turns = page_turns(callback_data.PARTNERS_PAGE, message.id, page, pages)
    if turns:
        buttons.append(turns)
    return "\n".join(lines), tuple(buttons), pages


async def render_match_notice(ctx: RenderContext, recipient: Contact, message: OutgoingMessage) -> Notification | None:
    """Who the partner is, with accept / decline; dropped if the match ended before it was sent.
    Many partners at once: one digest (see the module's docstring)."""
    message = await take_in_waiting(ctx, message)
    match_ids = listed_matches(message)
    language = recipient.language
    if len(match_ids) > 1:
        live = [view for view in await ctx.uow.matches.views(ids=match_ids) if view.match.is_live and view.match.involves(recipient.city_id)]
        if not live:
            return None
        subject = gettext(language, "{count} new partner cities", count=len(match_ids))
        if message.channel is Channel.EMAIL:  # no pages to turn in a mail: every partner at once
            text, _, _ = await partners_page(ctx, recipient, message, 0, page_size=len(match_ids))
            return await on_channel(ctx, recipient, message, text=text, subject=subject)
        text, buttons, _ = await partners_page(ctx, recipient, message, 0)
        return await on_channel(ctx, recipient, message, text=text, buttons=buttons, subject=subject)
    view = await notice_view(ctx.uow, recipient, message)
    if view is None:
        return None
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
