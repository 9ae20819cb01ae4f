"""The ports the services need: a unit of work and its repositories, described structurally.

``storage.uow.SqlUnitOfWork`` is the implementation; services only rely on this shape, so the
core never imports the storage package.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Any, Protocol

from bot.domain import Contact


class UnitOfWork(Protocol):
    cities: Any
    contacts: Any
    conversations: Any
    join_links: Any
    topics: Any
    interests: Any
    matches: Any
    sessions: Any
    outbox: Any
    roadmap: Any

    async def __aenter__(self) -> UnitOfWork: ...

    async def __aexit__(self, *exc_info: object) -> None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]


class Wakeups(Protocol):
    """How services ask for background work soon, without knowing the job queue."""

    def outbox_changed(self, due_utc: datetime) -> None:
        """Something was queued that is due at ``due_utc``: make sure the sender runs then."""
        ...

    def planning_needed(self) -> None:
        """Interests, hours or days away changed: plan again shortly (debounced)."""
        ...


class NoWakeups:
    """For code paths with no job queue (the CLI, unit tests of services)."""

    def outbox_changed(self, due_utc: datetime) -> None:
        return None

    def planning_needed(self) -> None:
        return None


# --- Delivery: the channels the outbox is sent through, and how they fail -------------------
#
# The delivery service (bot/services/delivery.py) speaks only these types; each channel adapter
# (handlers/notifier.py for Telegram, bot/email.py's EmailChannel over an ``EmailSender``)
# translates its library's exceptions into them, so the services never import ``telegram`` or
# ``aiosmtplib``.


class SendError(Exception):
    """A channel could not deliver one message; the subclass says what to do about it."""


class RetryLaterError(SendError):
    """The service asked us to wait (Telegram 429): try again after ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TransientSendError(SendError):
    """A network error, a timeout or a temporary server failure: retry with backoff.

    A timeout is ambiguous (the request may have been carried out), so a retry can deliver a
    message twice; see the delivery service's docstring.
    """


class RecipientBlockedError(SendError):
    """The recipient cannot be reached on this channel any more (the user blocked the bot)."""


class RejectedError(SendError):
    """The service refused this message as it is (Telegram 400): retrying cannot help."""


@dataclass(frozen=True)
class Button:
    text: str
    data: str  # callback data, built by bot/callback_data.py's rules (≤ 64 bytes)


@dataclass(frozen=True)
class Document:
    filename: str  # the name the recipient sees, e.g. "tandem-panjin-hamburg-2027-03-31.ics"
    content: bytes
    mime_type: str = "text/calendar"


@dataclass(frozen=True)
class Notification:
    """One rendered message for one recipient on one channel: what a channel sends."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    document: Document | None = None
    email: EmailMessage | None = None  # the whole e-mail, for the e-mail channel


class MessageChannel(Protocol):
    """Sends one rendered notification to one contact, or raises a ``SendError``."""

    async def send(self, recipient: Contact, notification: Notification) -> None: ...


class EmailSender(Protocol):
    """Hands one complete e-mail to a mail server (``bot.email.SmtpMailer`` implements it)."""

    async def send(self, message: EmailMessage) -> None: ...
