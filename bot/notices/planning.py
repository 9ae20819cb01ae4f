"""What the planner found, to coordinators: a proposal to confirm, or why there is no common time."""

from __future__ import annotations

from bot import callback_data
from bot.domain import Channel, City, Contact, MatchStatus, NoTimeExplanation, NoTimeReason, OutgoingMessage, Payload, excerpt
from bot.i18n import Place, format_instant, gettext
from bot.notices.rendering import DIGEST_LINE_LIMIT, DIGEST_PAGE_SIZE, RenderContext, on_channel, page_turns
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


def match_ids(payload: Payload, key: str) -> list[int]:
    """The match ids a digest lists under ``key`` (payloads are flat: the ids are one string, "12 13 15")."""
    value = payload.get(key)
    return [int(part) for part in value.split()] if isinstance(value, str) else []


async def digest_page(
    ctx: RenderContext, recipient: Contact, message: OutgoingMessage, page: int
) -> tuple[str, tuple[tuple[Button, ...], ...], int]:
    """One page of a planning run's digest: a summary, up to ``DIGEST_PAGE_SIZE`` matches, buttons.

    Each planned match on the page gets a button confirming its best slot (as in /pending);
    "‹" and "›" turn the page (``DIGEST_PAGE`` names the outbox row and the page: a few bytes).
    Returns the text, the buttons and the number of pages; ``page`` is clamped to them.
    """
    planned, without_time = match_ids(message.payload, "planned"), match_ids(message.payload, "unschedulable")
    entries = [(match_id, True) for match_id in planned] + [(match_id, False) for match_id in without_time]
    pages = max(1, -(-len(entries) // DIGEST_PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = entries[page * DIGEST_PAGE_SIZE : (page + 1) * DIGEST_PAGE_SIZE]
    views = {view.match.id: view for view in await ctx.uow.matches.views(ids=[match_id for match_id, _ in shown])}
    proposals = await ctx.uow.matches.proposals_of([match_id for match_id, is_planned in shown if is_planned])
    language = recipient.language
    zone = ctx.config.programme.timezone
    lines = [
        gettext(
            language, "Planning: {planned} matches have a new proposed time, {unschedulable} have no common time. Page {page} of {pages}:",
            planned=len(planned), unschedulable=len(without_time), page=page + 1, pages=pages,
        )
    ]
    buttons: list[tuple[Button, ...]] = []
    for match_id, is_planned in shown:
        view = views.get(match_id)
        if view is None:
            continue
        a, b, topic = view.city_a, view.city_b, view.topic.title(language)
        slots = proposals.get(match_id, [])
        if is_planned and view.match.status is MatchStatus.PLANNED and slots:
            best = slots[0][0]
            when = format_instant(best, zone, language, (Place.of(a), Place.of(b)))
            line = f"• {a.name} – {b.name}, {topic}: {when}"
            label = format_instant(best, zone, language, (Place.of(a), Place.of(b)), short=True)
            buttons.append((Button(excerpt(f"✓ {a.name} – {b.name}: {label}", 60), callback_data.CONFIRM_SLOT.build(match_id, best)),))
        elif is_planned:
            line = f"• {a.name} – {b.name}, {topic}: " + gettext(language, "no longer open (see /pending).")
        else:
            line = f"• {a.name} – {b.name}, {topic}: " + describe_no_time(view.match.no_time, a, b, language)
        lines.append(excerpt(line, DIGEST_LINE_LIMIT))
    turns = page_turns(callback_data.DIGEST_PAGE, message.id, page, pages)
    if turns:
        buttons.append(turns)
    return "\n".join(lines), tuple(buttons), pages


async def render_planning_digest(ctx: RenderContext, recipient: Contact, message: OutgoingMessage) -> Notification | None:
    """Everything one planning run has to tell a coordinator, in one message (its first page; the
    chat pages through the rest with buttons, an e-mail lists every page)."""
    text, buttons, pages = await digest_page(ctx, recipient, message, 0)
    language = recipient.language
    subject = gettext(language, "Planning: new proposals and matches without a common time")
    if message.channel is Channel.EMAIL:
        text = "\n\n".join([text] + [(await digest_page(ctx, recipient, message, page))[0] for page in range(1, pages)])
        text += "\n\n" + gettext(language, "Confirm the proposed times in Telegram with /pending.")
        return await on_channel(ctx, recipient, message, text=text, subject=subject)
    return await on_channel(ctx, recipient, message, text=text, buttons=buttons, subject=subject)
