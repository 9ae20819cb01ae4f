"""What a renderer receives and returns, and the one way a rendered text becomes an e-mail."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from bot.config import Config
from bot.domain import Channel, Contact, OutgoingMessage
from bot.email import build_text_email
from bot.ports import Button, Document, Notification, UnitOfWork


@dataclass(frozen=True)
class RenderContext:
    """What a renderer may use: the open unit of work (read only), the config, the send time."""

    uow: UnitOfWork
    config: Config
    now_utc: datetime


# (context, recipient, message) -> the message to send, or None when it is no longer wanted (the
# delivery service then marks it dropped, with a log line).
Renderer = Callable[[RenderContext, Contact, OutgoingMessage], Awaitable[Notification | None]]


def on_channel(
    ctx: RenderContext,
    recipient: Contact,
    message: OutgoingMessage,
    *,
    subject: str,
    text: str,
    buttons: tuple[tuple[Button, ...], ...] = (),
    document: Document | None = None,
) -> Notification | None:
    """The rendered message as the row's channel sends it: a chat message, or a plain e-mail.

    An e-mail carries the text only (buttons belong to the chat); calendar files go by e-mail as
    iTIP mails, which their renderer builds itself.
    """
    if message.channel is Channel.TELEGRAM:
        return Notification(text=text, buttons=buttons, document=document)
    if not recipient.email:
        return None
    programme = ctx.config.programme
    email = build_text_email(
        sender_name=programme.organizer_name,
        sender_email=ctx.config.email.sender or programme.organizer_email,
        recipient_name=recipient.display_name,
        recipient_email=recipient.email,
        subject=subject,
        body=text,
        date_utc=ctx.now_utc,
    )
    return Notification(text=text, email=email)
