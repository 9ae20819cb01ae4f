"""Outgoing notifications: what features queue, and how each kind becomes a message.

Every message to someone other than the person who is talking to the bot right now (a match
notice, a planned match for coordinators, an invite, an update, a cancellation, a reminder) is an
outbox row first (``uow.outbox``), and is rendered only when it is sent: in the recipient's
language and zone *at that moment*, from the current state of the database (so a reminder
queued before a reschedule shows the new time, and one whose session was cancelled is dropped).

A feature registers one renderer per kind with ``@renderer("kind")`` and queues with
``queue(...)``. The delivery service (``bot/services/delivery.py``) claims due rows, renders them
and hands them to a channel: Telegram (``handlers/notifier.py``) or e-mail (``bot/email.py``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from bot.domain import Channel, Contact, OutgoingMessage


@dataclass(frozen=True)
class Button:
    text: str
    data: str  # callback data, built by handlers/callback_data.py's rules (≤ 64 bytes)


@dataclass(frozen=True)
class Document:
    filename: str  # the name the recipient sees, e.g. "tandem-panjin-hamburg-2027-03-31.ics"
    content: bytes
    mime_type: str = "text/calendar"


@dataclass(frozen=True)
class Notification:
    """One rendered message for one recipient on one channel."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    document: Document | None = None
    email: EmailMessage | None = None  # the whole e-mail, for the e-mail channel


@dataclass(frozen=True)
class RenderContext:
    """What a renderer may use: the open unit of work (read only), the config, the send time."""

    uow: Any
    config: Any  # bot.config.Config
    now_utc: datetime


# (context, recipient, message) -> the message to send, or None when it is no longer wanted (the
# delivery service then marks it dropped, with a log line).
Renderer = Callable[[RenderContext, Contact, OutgoingMessage], Awaitable[Notification | None]]

RENDERERS: dict[str, Renderer] = {}


def renderer(kind: str) -> Callable[[Renderer], Renderer]:
    """Register the renderer of one kind of notification."""

    def register(function: Renderer) -> Renderer:
        if kind in RENDERERS and RENDERERS[kind] is not function:
            raise ValueError(f"two renderers for notification kind {kind!r}")
        RENDERERS[kind] = function
        return function

    return register


@dataclass(frozen=True)
class Queued:
    kind: str
    contact_id: int
    due_utc: datetime
    dedupe_key: str
    payload: dict[str, Any] = field(default_factory=dict)
    session_id: int | None = None
    channel: Channel = Channel.TELEGRAM


async def queue(uow: Any, item: Queued) -> OutgoingMessage | None:
    """Queue one notification inside the caller's unit of work; None if it was queued before."""
    return await uow.outbox.enqueue(
        dedupe_key=item.dedupe_key,
        kind=item.kind,
        channel=item.channel,
        contact_id=item.contact_id,
        due_utc=item.due_utc,
        payload=item.payload,
        session_id=item.session_id,
    )
