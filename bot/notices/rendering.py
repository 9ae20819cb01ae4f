"""What a renderer receives and returns, and the one place where a rendered message becomes an e-mail.

Every e-mail to a person is assembled here, a text notice (``on_channel``) as much as a calendar
invitation (``invitation_by_email``), and each ends with the person's own sign-in link to the web
pages (``sign_in_footer``), so an e-mail-only contact can always answer on the pages. The one
e-mail without it is the sign-in e-mail itself (``bot.notices.sign_in``), which is that link.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage

from bot.callback_data import ButtonAction, DigestPage
from bot.config import Config
from bot.domain import Channel, City, Contact, OutgoingMessage
from bot.email import build_itip_email, build_text_email
from bot.i18n import Place, format_instant, gettext
from bot.invites import InviteAttendee, InviteEvent
from bot.notices.links import issue_link
from bot.ports import Button, Document, Notification, UnitOfWork

SEPARATE_NOTICES = 3  # pieces of news for one person up to this many go one message each; more, one digest
DIGEST_PAGE_SIZE = 8  # entries per page of a digest: 8 lines of at most 400 characters stay far below 4,096
DIGEST_LINE_LIMIT = 400


def page_turns(action: ButtonAction[DigestPage], message_id: int, page: int, pages: int) -> tuple[Button, ...]:
    """A digest's "‹" and "›" (``action`` names the outbox row and the page: a few bytes)."""
    turns = []
    if page > 0:
        turns.append(Button("‹", action.build(message_id, page - 1)))
    if page < pages - 1:
        turns.append(Button("›", action.build(message_id, page + 1)))
    return tuple(turns)


@dataclass(frozen=True)
class RenderContext:
    """What a renderer may use: the open unit of work, the config, the send time.

    Renderers read; what they write commits before the hand-over: the hash of a sign-in link
    made for an e-mail, and the new-partner notices a digest folds into its own row
    (``bot.notices.matches``).
    """

    uow: UnitOfWork
    config: Config
    now_utc: datetime


# (context, recipient, message) -> the message to send, or None when it is no longer wanted (the
# delivery service then marks it dropped, with a log line).
Renderer = Callable[[RenderContext, Contact, OutgoingMessage], Awaitable[Notification | None]]


async def on_channel(
    ctx: RenderContext,
    recipient: Contact,
    message: OutgoingMessage,
    *,
    subject: str,
    text: str,
    buttons: tuple[tuple[Button, ...], ...] = (),
    document: Document | None = None,
    timely: bool = False,
) -> Notification | None:
    """The rendered message as the row's channel sends it: a chat message, or a plain e-mail.

    An e-mail carries the text (buttons belong to the chat; the sign-in link below the text leads
    to the same answers on the web pages); calendar files go by e-mail as iTIP mails
    (``invitation_by_email``).
    """
    if message.channel is Channel.TELEGRAM:
        return Notification(text=text, buttons=buttons, document=document, timely=timely)
    if not recipient.email:
        return None
    footer = await sign_in_footer(ctx, recipient)
    body = text.rstrip("\n") + "\n" + footer if footer else text
    return Notification(text=text, email=text_email(ctx, recipient, subject=subject, body=body), timely=timely)


async def invitation_by_email(ctx: RenderContext, recipient: Contact, event: InviteEvent, *, zone: str) -> Notification | None:
    """The invitation, update or cancellation as an iTIP e-mail, with the sign-in link below its text.

    The calendar parts are the same file the chat gets: the link is in the text part only.
    """
    if not recipient.email:
        return None
    email = build_itip_email(
        event, InviteAttendee(recipient.display_name, recipient.email, recipient.language), recipient_zone=zone,
        dtstamp_utc=ctx.now_utc, reminder_offsets=ctx.config.reminders.offsets, footer=await sign_in_footer(ctx, recipient),
    )
    return Notification(text="", email=email)


def text_email(ctx: RenderContext, recipient: Contact, *, subject: str, body: str) -> EmailMessage:
    """A plain text e-mail to ``recipient`` from the programme's mailbox (replies go back to it)."""
    assert recipient.email is not None
    programme = ctx.config.programme
    return build_text_email(
        sender_name=programme.organizer_name,
        sender_email=ctx.config.email.sender or programme.organizer_email,
        recipient_name=recipient.display_name,
        recipient_email=recipient.email,
        subject=subject,
        body=body,
        date_utc=ctx.now_utc,
    )


async def sign_in_footer(ctx: RenderContext, recipient: Contact) -> str:
    """The end of every e-mail to a person: their own sign-in link to the web pages ("" with the web app off).

    The link is made now, when the e-mail is rendered, so it is fresh when it arrives; each e-mail
    gets its own (a link works once).
    """
    config = ctx.config
    if not config.web.enabled:
        return ""
    url, expires = await issue_link(ctx.uow, config, ctx.now_utc, recipient.id)
    city: City | None = await ctx.uow.cities.get(recipient.city_id) if recipient.city_id is not None else None
    zone = city.timezone if city is not None else config.programme.timezone
    language = recipient.language
    lines = [
        "",
        "-- ",
        gettext(language, "Your page in {programme} (hours, topics, partners, sessions; no Telegram needed):", programme=config.programme.name),
        url,
        gettext(language, "This personal link signs you in once, until {when}; the sign-in page sends you a new one.",
                when=format_instant(expires, zone, language, [Place.of(city)] if city else ())),
    ]
    return "\n".join(lines) + "\n"
