"""Coordinators confirm, move and cancel sessions; everyone lists what is coming and answers invites."""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine, Sequence
from datetime import datetime
from typing import Any

from telegram import InlineKeyboardMarkup, Update

from bot import callback_data
from bot.domain import SessionView, excerpt
from bot.i18n import Place, format_instant
from bot.notices.planning import describe_no_time
from bot.services.sessions import AlreadyConfirmedError, PendingMatch, SessionChangedError
from handlers import keyboards
from handlers.context import TandemContext
from handlers.texts import coordinators_only, replies_to_errors, t


def session_text(view: SessionView, context: TandemContext) -> str:
    language = context.language
    return t(
        language,
        "#{id} {city_a} – {city_b}: {topic}\n{when}\n{link}",
        id=view.session.id,
        city_a=view.city_a.name,
        city_b=view.city_b.name,
        topic=view.topic.title(language),
        when=_when(view.session.start_utc, view, context),
        link=view.session.meeting_link,
    )


def _when(start_utc: datetime, view: PendingMatch | SessionView, context: TandemContext, *, short: bool = False) -> str:
    """The time in the reader's own zone first, then in both cities (``short``: for a button)."""
    city = context.person.city
    zone = city.timezone if city is not None else context.services.config.programme.timezone
    return format_instant(start_utc, zone, context.language, (Place.of(view.city_a), Place.of(view.city_b)), short=short)


def session_keyboard(view: SessionView, language: str) -> InlineKeyboardMarkup:
    sequence = view.session.sequence
    return keyboards.keyboard(
        [[
            (t(language, "Move"), callback_data.RESCHEDULE_MENU.build(view.session.id, sequence)),
            (t(language, "Cancel"), callback_data.CANCEL_SESSION.build(view.session.id, sequence)),
        ]]
    )


def _slot_rows(view: PendingMatch | SessionView, starts: list[datetime], context: TandemContext, button: callback_data.ButtonAction[Any], *prefix: object) -> InlineKeyboardMarkup:
    return keyboards.keyboard(
        [[(_when(start, view, context, short=True), button.build(*prefix, start))] for start in starts]
    )


ButtonCallback = Callable[[Update, TandemContext], Coroutine[Any, Any, None]]


def tells_what_changed(callback: ButtonCallback) -> ButtonCallback:
    """A coordinator's button older than the session (it moved or was cancelled since, by them or
    someone else): say what happened and show the session as it is now, instead of a vague
    "someone changed it first"."""

    @functools.wraps(callback)
    async def telling(update: Update, context: TandemContext) -> None:
        try:
            await callback(update, context)
        except SessionChangedError as error:
            view, language = error.view, context.language
            if error.cancelled:
                headline = t(language, "This button is from before the session was cancelled; nothing changed.")
                if view.match.reason:
                    headline += "\n" + t(language, "Reason: {reason}", reason=view.match.reason)
                markup = None
            else:
                when = _when(view.session.start_utc, view, context)
                headline = t(language, "This time was offered before the session moved to {when}; nothing changed.", when=when)
                markup = session_keyboard(view, language)
            await update.callback_query.answer(headline, show_alert=True)  # over 200 characters: summarised where it leaves
            await keyboards.show(update.callback_query, headline + "\n\n" + session_text(view, context), markup)

    return telling


def _slot_lines(view: PendingMatch | SessionView, starts: Sequence[datetime], context: TandemContext) -> str:
    """The offered times in full (year, offsets), one a line, above their short buttons."""
    return "".join(f"\n• {_when(start, view, context)}" for start in starts)


PENDING_PER_PAGE = 4  # matches on one page of /pending
PENDING_ENTRY_LIMIT = 450  # characters of one match's lines: 4 x 450, even all outside the BMP, stays below 4,096 UTF-16 units


def pending_page(views: Sequence[PendingMatch], page: int, context: TandemContext) -> tuple[str, InlineKeyboardMarkup | None]:
    """One page of /pending: how many wait, then up to ``PENDING_PER_PAGE`` matches, each with its
    slots as buttons (or why it has no time); "‹" and "›" turn the page. ``page`` is clamped."""
    language = context.language
    pages = max(1, -(-len(views) // PENDING_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    if pages == 1:
        header = t(language, "Waiting for confirmation: {count}.", count=len(views))
    else:
        header = t(language, "Waiting for confirmation: {count}. Page {page} of {pages}:", count=len(views), page=page + 1, pages=pages)
    entries = [header]
    rows: list[list[tuple[str, str]]] = []
    for view in views[page * PENDING_PER_PAGE : (page + 1) * PENDING_PER_PAGE]:
        title = t(language, "{city_a} and {city_b} on “{topic}”", city_a=view.city_a.name, city_b=view.city_b.name, topic=view.topic.title(language))
        if view.slots:
            entry = title + "\n" + t(language, "Tap a time to confirm it:") + _slot_lines(view, view.slots, context)
            rows += [[(_when(start, view, context, short=True), callback_data.CONFIRM_SLOT.build(view.match.id, start))] for start in view.slots]
        else:
            entry = f"{title}\n{describe_no_time(view.match.no_time, view.city_a, view.city_b, language)}"
        entries.append(excerpt(entry, PENDING_ENTRY_LIMIT))
    turn = []
    if page > 0:
        turn.append(("‹", callback_data.PENDING_PAGE.build(page - 1)))
    if page < pages - 1:
        turn.append(("›", callback_data.PENDING_PAGE.build(page + 1)))
    if turn:
        rows.append(turn)
    return "\n\n".join(entries), keyboards.keyboard(rows) if rows else None


@coordinators_only
async def list_pending(update: Update, context: TandemContext) -> None:
    """/pending: one message, a page at a time: planned matches with their best slots as buttons,
    and matches without a time (450 pending matches were 450 messages, drained at one a second)."""
    views = await context.services.sessions.pending(by=context.actor)
    if not views:
        await update.effective_message.reply_text(t(context.language, "Nothing is waiting for confirmation."))
        return
    text, markup = pending_page(views, 0, context)
    await update.effective_message.reply_text(text, reply_markup=markup)


@coordinators_only
async def page_pending(update: Update, context: TandemContext) -> None:
    """‹ / › on /pending: that page as things stand now, in place."""
    query = update.callback_query
    (page,) = callback_data.PENDING_PAGE.parse(query.data)
    views = await context.services.sessions.pending(by=context.actor)
    await query.answer()
    if not views:
        await keyboards.show(query, t(context.language, "Nothing is waiting for confirmation."))
        return
    await keyboards.show(query, *pending_page(views, page, context))


@coordinators_only
@tells_what_changed
async def pick_slot(update: Update, context: TandemContext) -> None:
    """Confirm the slot a coordinator tapped; the first tap wins, the second is told who was first."""
    query = update.callback_query
    match_id, start_utc = callback_data.CONFIRM_SLOT.parse(query.data)
    language = context.language
    try:
        view = await context.services.sessions.confirm(match_id, start_utc, by=context.actor)
    except AlreadyConfirmedError as exc:
        await query.answer()
        await keyboards.show(query, t(language, "Already confirmed by {name}.", name=exc.confirmed_by) + "\n" + session_text(exc.view, context), None)
        return
    await query.answer()
    await keyboards.show(query, t(language, "Confirmed. Invitations are on their way.") + "\n" + session_text(view, context), None)


@coordinators_only
async def list_schedule(update: Update, context: TandemContext) -> None:
    """/schedule (coordinators): every coming session, each with "Move" and "Cancel"."""
    await list_sessions(update, context)


@replies_to_errors
async def list_sessions(update: Update, context: TandemContext) -> None:
    """/sessions: what is coming, in both cities' local times; coordinators may move or cancel."""
    views = await context.services.sessions.upcoming_for(by=context.actor)
    language = context.language
    if not views:
        await update.effective_message.reply_text(t(language, "No sessions are planned yet."))
        return
    coordinator = context.person.is_coordinator
    for view in views:
        markup = session_keyboard(view, language) if coordinator else None
        await update.effective_message.reply_text(session_text(view, context), reply_markup=markup)


@coordinators_only
@tells_what_changed
async def show_moves(update: Update, context: TandemContext) -> None:
    """"Move": offer the other common times of a session (coordinators)."""
    query = update.callback_query
    session_id, sequence = callback_data.RESCHEDULE_MENU.parse(query.data)
    view, starts = await context.services.sessions.reschedule_options(session_id, by=context.actor)
    language = context.language
    await query.answer()
    if not starts:
        await keyboards.show(query, session_text(view, context) + "\n\n" + t(language, "There is no other common time."), None)
        return
    keyboard = _slot_rows(view, starts, context, callback_data.RESCHEDULE_TO, session_id, sequence)
    await keyboards.show(query, session_text(view, context) + "\n\n" + t(language, "Move it to:") + _slot_lines(view, starts, context), keyboard)


@coordinators_only
@tells_what_changed
async def move_session(update: Update, context: TandemContext) -> None:
    """Move a session to the tapped time: everyone gets the updated invitation."""
    query = update.callback_query
    session_id, sequence, start_utc = callback_data.RESCHEDULE_TO.parse(query.data)
    view = await context.services.sessions.reschedule(session_id, start_utc, by=context.actor, expected_sequence=sequence)
    await query.answer()
    await keyboards.show(query, t(context.language, "Moved. Updated invitations are on their way.") + "\n" + session_text(view, context), None)


@coordinators_only
@tells_what_changed
async def decline_counter(update: Update, context: TandemContext) -> None:
    """"Keep the time" under a time proposed from a calendar: the proposer's calendar is told no."""
    query = update.callback_query
    session_id, sequence, contact_id = callback_data.DECLINE_COUNTER.parse(query.data)
    view = await context.services.sessions.decline_counter(session_id, contact_id, by=context.actor, expected_sequence=sequence)
    await query.answer()
    await keyboards.show(query, t(context.language, "The time stays; the proposer's calendar is told.") + "\n" + session_text(view, context), None)


@coordinators_only
@tells_what_changed
async def ask_cancel_reason(update: Update, context: TandemContext) -> None:
    """"Cancel": wait for the reason (the next message), which everyone will be told."""
    query = update.callback_query
    session_id, sequence = callback_data.CANCEL_SESSION.parse(query.data)
    await context.services.sessions.ask_cancel_reason(session_id, by=context.actor)
    await query.answer()
    await query.message.reply_text(t(context.language, "Why is session #{id} cancelled? Send the reason; everyone will be told. /cancel keeps it.", id=session_id))


@replies_to_errors
async def answer_invite(update: Update, context: TandemContext) -> None:
    """A participant taps "I'll attend" or "I can't attend"; coordinators and the partner city are told."""
    query = update.callback_query
    session_id, flag = callback_data.ATTEND.parse(query.data)
    await context.services.sessions.answer(session_id, bool(flag), by=context.actor)
    await query.answer(t(context.language, "Thank you, your answer is noted."))


@replies_to_errors
async def cancel_with_reason(update: Update, context: TandemContext) -> None:
    """The free text after "Cancel": the reason; the session is cancelled and everyone told."""
    view = await context.services.sessions.cancel_with_reason(update.effective_message.text or "", by=context.actor)
    await update.effective_message.reply_text(t(context.language, "Cancelled. Everyone is told.") + "\n" + session_text(view, context))


@replies_to_errors
async def record_outcome(update: Update, context: TandemContext) -> None:
    """After a session: a contact taps whether it took place; the bot then asks for the next steps."""
    query = update.callback_query
    session_id, flag = callback_data.FOLLOW_UP.parse(query.data)
    view = await context.services.sessions.record_outcome(session_id, bool(flag), by=context.actor)
    await query.answer()
    await keyboards.show(query, session_text(view, context), None)
    await query.message.reply_text(t(context.language, "Thank you. What are the next steps? Send them in one message (or /cancel)."))


@replies_to_errors
async def save_next_steps(update: Update, context: TandemContext) -> None:
    """The free text after the follow-up question: the next steps, kept with the match."""
    await context.services.sessions.save_next_steps(update.effective_message.text or "", by=context.actor)
    await update.effective_message.reply_text(t(context.language, "Noted for the programme's roadmap. Thank you!"))


@coordinators_only
async def show_roadmap(update: Update, context: TandemContext) -> None:
    """/roadmap (coordinators): what the cities said after each session, and their next steps."""
    entries = await context.services.sessions.roadmap(by=context.actor)
    language = context.language
    if not entries:
        await update.effective_message.reply_text(t(language, "No city has reported on a session yet."))
        return
    for view, accounts in entries:
        cities = {view.city_a.id: view.city_a.name, view.city_b.id: view.city_b.name}
        lines = [session_text(view, context)]
        for entry in accounts:
            status = t(language, "took place") if entry.took_place else t(language, "did not take place")
            line = f"• {cities.get(entry.city_id, '?')} ({entry.reported_by}): {status}"
            if entry.next_steps:
                line += "\n  " + t(language, "Next steps: {steps}", steps=entry.next_steps)
            lines.append(line)
        await update.effective_message.reply_text("\n".join(lines))


@coordinators_only
async def page_digest(update: Update, context: TandemContext) -> None:
    """‹ / › on a planning digest: the page in place, with its confirm buttons."""
    query = update.callback_query
    message_id, page = callback_data.DIGEST_PAGE.parse(query.data)
    shown = await context.services.planning.digest_page(by=context.actor, message_id=message_id, page=page)
    await query.answer()
    await keyboards.show(query, shown.text, keyboards.of(shown))
