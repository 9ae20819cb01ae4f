"""E-mail as an equal channel: iTIP invitation mails (pure), an SMTP sender (aiosmtplib), and the
e-mail channel the delivery service sends through.

An invitation mail is shaped the way Outlook, Apple Mail, Thunderbird and Foxmail/QQ Mail show
with accept/decline buttons::

    multipart/mixed
      multipart/alternative
        text/plain; charset=utf-8 (base64)             the invitation in the reader's language
                                                       (and below it, ``footer``: their sign-in link)
        text/calendar; charset=UTF-8; method=REQUEST   the same .ics (method = the file's METHOD)
      application/ics; name=tandem-….ics               the .ics again, as a file to save or open

The calendar parts are base64 so the file's CRLF line ends and folding reach the client byte for
byte. Headers with Chinese text are RFC 2047-encoded by the standard library's policy.

The SMTP sender turns every failure into one ``DeliveryError`` that says whether a retry can
help: ``temporary`` for 4xx replies, timeouts and lost connections; permanent for 5xx replies
(unknown mailbox, refused sender), failed authentication and a server that lacks what the
configuration asks for (STARTTLS).
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Literal

import aiosmtplib

from bot.clock import Clock
from bot.domain import Contact, InvalidInputError, utc
from bot.i18n import gettext
from bot.invites import (
    InviteAttendee,
    InviteEvent,
    InviteMethod,
    build_declinecounter,
    build_invite,
    invite_filename,
    invite_method,
    invite_summary,
    invite_text,
)
from bot.ports import EmailSender, HandOver, Notification, RejectedError, TransientSendError

Security = Literal["starttls", "tls", "none"]
SECURITY_MODES: tuple[str, ...] = ("starttls", "tls", "none")


class DeliveryError(Exception):
    """An e-mail was not delivered; ``temporary`` says whether retrying later can help."""

    def __init__(self, message: str, *, temporary: bool, code: int | None = None,
                 recipients: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.temporary = temporary
        self.code = code
        self.recipients = recipients

    @property
    def permanent(self) -> bool:
        return not self.temporary


def build_text_email(
    *,
    sender_name: str,
    sender_email: str,
    recipient_name: str,
    recipient_email: str,
    subject: str,
    body: str,
    date_utc: datetime,
    message_id: str | None = None,
) -> EmailMessage:
    """A plain UTF-8 text mail from the programme's mailbox (replies go back to it)."""
    message = EmailMessage()
    message["From"] = _address(sender_name, sender_email, "sender")
    message["To"] = _address(recipient_name, recipient_email, "recipient")
    message["Reply-To"] = _address(sender_name, sender_email, "sender")
    message["Subject"] = subject
    message["Date"] = format_datetime(utc(date_utc))
    if message_id is not None:
        message["Message-ID"] = message_id
    # base64 rather than 8bit: a relay without 8BITMIME cannot mangle Chinese text then.
    message.set_content(body, charset="utf-8", cte="base64")
    return message


def build_itip_email(
    event: InviteEvent,
    recipient: InviteAttendee,
    *,
    recipient_zone: str,
    dtstamp_utc: datetime,
    reminder_offsets: Iterable[timedelta],
    message_id: str | None = None,
    footer: str = "",
) -> EmailMessage:
    """The invitation, update or cancellation mail of ``event`` to ``recipient`` (who needs an address).

    ``footer`` ends the text part only (``bot.notices.rendering`` puts the reader's sign-in link
    there); the calendar parts are the same file whatever it says.
    """
    if recipient.email is None:
        raise InvalidInputError(f"{recipient.name} has no e-mail address; send the invite by Telegram instead")
    language = recipient.language
    ics = build_invite(
        event, recipient_language=language, recipient_zone=recipient_zone, recipient_email=recipient.email,
        dtstamp_utc=dtstamp_utc, reminder_offsets=reminder_offsets,
    )
    method = invite_method(event, recipient.email)  # the file's METHOD, repeated in the MIME type
    summary = invite_summary(event, language)
    if event.cancelled:
        subject = summary  # already "Cancelled: …"
        hint = gettext(language, "Open the attached file to remove the meeting from your calendar.")
    else:
        template = "Invitation: {summary}" if event.sequence == 0 else "Updated invitation: {summary}"
        subject = gettext(language, template, summary=summary)
        hint = gettext(language, "Open the attached invitation to add the meeting to your calendar and to reply.")
        if method is InviteMethod.PUBLISH:  # not an attendee: nothing to reply to
            hint = gettext(language, "Open the attached file to add the meeting to your calendar.")
    body = f"{invite_text(event, language, recipient_zone)}\n\n{hint}\n{footer}"

    message = build_text_email(
        sender_name=event.organizer_name, sender_email=event.organizer_email,
        recipient_name=recipient.name, recipient_email=recipient.email,
        subject=subject, body=body, date_utc=dtstamp_utc, message_id=message_id,
    )
    message.add_alternative(
        ics, maintype="text", subtype="calendar", cte="base64",
        params={"charset": "UTF-8", "method": method.value},
    )
    message.add_attachment(
        ics, maintype="application", subtype="ics", cte="base64",
        filename=invite_filename(event, recipient_zone),
    )
    # Outlook files a message with this class as a meeting request rather than as plain mail.
    # Set last: turning the message multipart moves every Content-* header into the first part.
    message["Content-Class"] = "urn:content-classes:calendarmessage"
    return message


def build_declinecounter_email(
    event: InviteEvent, recipient: InviteAttendee, *, text: str, dtstamp_utc: datetime, message_id: str | None = None,
) -> EmailMessage:
    """The organizer declines a time ``recipient`` proposed: ``text`` for the reader, and the iTIP
    ``DECLINECOUNTER`` part their calendar acts on (shaped like the invitation mails above)."""
    if recipient.email is None:
        raise InvalidInputError(f"{recipient.name} has no e-mail address")
    ics = build_declinecounter(event, attendee_email=recipient.email, dtstamp_utc=dtstamp_utc)
    message = build_text_email(
        sender_name=event.organizer_name, sender_email=event.organizer_email,
        recipient_name=recipient.name, recipient_email=recipient.email,
        subject=gettext(recipient.language, "Proposed time declined: {summary}", summary=invite_summary(event, recipient.language)),
        body=text, date_utc=dtstamp_utc, message_id=message_id,
    )
    message.add_alternative(
        ics, maintype="text", subtype="calendar", cte="base64", params={"charset": "UTF-8", "method": "DECLINECOUNTER"},
    )
    message["Content-Class"] = "urn:content-classes:calendarmessage"
    return message


@dataclass(frozen=True)
class SmtpMailer:
    """Sends messages through one SMTP server; credentials come from the config/environment."""

    host: str
    port: int
    security: Security = "starttls"
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0
    tls_context: ssl.SSLContext | None = None  # tests and private CAs; None = system trust store

    def __post_init__(self) -> None:
        if self.security not in SECURITY_MODES:
            raise InvalidInputError(
                f"SMTP security {self.security!r} is not one of {', '.join(SECURITY_MODES)}"
            )
        if (self.username is None) != (self.password is None):
            raise InvalidInputError("SMTP needs both a username and a password, or neither")

    async def send(self, message: EmailMessage) -> None:
        """Deliver ``message`` to every recipient in its headers, or raise ``DeliveryError``."""
        recipients = tuple(str(a.addr_spec) for header in ("To", "Cc", "Bcc")
                           for a in getattr(message[header], "addresses", ()))
        try:
            refused, _reply = await aiosmtplib.send(
                message,
                hostname=self.host,
                port=self.port,
                username=self.username,
                password=self.password,
                use_tls=self.security == "tls",
                start_tls=self.security == "starttls",
                tls_context=self.tls_context,
                timeout=self.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            raise DeliveryError(
                "the server refused every recipient: "
                + "; ".join(f"{r.recipient} ({r.code} {r.message})" for r in exc.recipients),
                temporary=all(400 <= code < 500 for code in codes),
                code=codes[0] if codes else None,
                recipients=tuple(r.recipient for r in exc.recipients),
            ) from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise DeliveryError(
                f"the SMTP server {self.host}:{self.port} answered {exc.code} {exc.message}",
                temporary=400 <= exc.code < 500, code=exc.code, recipients=recipients,
            ) from exc
        except (aiosmtplib.SMTPTimeoutError, aiosmtplib.SMTPServerDisconnected,
                aiosmtplib.SMTPConnectError, OSError) as exc:
            raise DeliveryError(
                f"could not talk to the SMTP server {self.host}:{self.port}: {exc}",
                temporary=True, recipients=recipients,
            ) from exc
        except aiosmtplib.SMTPException as exc:
            # E.g. "STARTTLS not supported": the configuration and the server disagree.
            raise DeliveryError(
                f"the SMTP server {self.host}:{self.port} cannot be used as configured: {exc}",
                temporary=False, recipients=recipients,
            ) from exc
        if refused:
            raise DeliveryError(
                "the server refused some recipients (the others got the message): "
                + "; ".join(f"{address} ({code} {text})" for address, (code, text) in refused.items()),
                temporary=all(400 <= code < 500 for code, _ in refused.values()),
                code=next(iter(refused.values()))[0],
                recipients=tuple(refused),
            )


def _address(name: str, email: str, who: str) -> Address:
    try:
        return Address(display_name=name.replace("\n", " "), addr_spec=email)
    except (ValueError, IndexError) as exc:
        raise InvalidInputError(f"the {who}'s e-mail address {email!r} is not an address like name@example.org") from exc


class EmailChannel:
    """The e-mail channel (``bot.ports.MessageChannel``): completes a rendered e-mail (From, Date,
    Message-ID) and hands it to the mailer, translating its failures into the delivery's errors."""

    def __init__(self, sender: EmailSender, *, from_address: str, from_name: str, clock: Clock) -> None:
        self.sender = sender
        self.from_address = from_address
        self.from_name = from_name
        self.clock = clock

    async def send(self, recipient: Contact, notification: Notification, *, handing_over: HandOver) -> None:
        email = notification.email
        if email is None:
            raise RejectedError("the renderer made no e-mail for the e-mail channel")
        if email["From"] is None:
            email["From"] = f"{self.from_name} <{self.from_address}>" if self.from_name else self.from_address
        if email["To"] is None and recipient.email:
            email["To"] = recipient.email
        if email["Date"] is None:
            email["Date"] = format_datetime(self.clock.now())
        if email["Message-ID"] is None:
            email["Message-ID"] = make_msgid(domain=self.from_address.rpartition("@")[2] or None)
        await handing_over()
        try:
            await self.sender.send(email)
        except DeliveryError as exc:  # the mailer says whether retrying can help
            if exc.temporary:
                raise TransientSendError(str(exc)) from exc
            raise RejectedError(str(exc)) from exc
        except OSError as exc:
            raise TransientSendError(f"{type(exc).__name__}: {exc}") from exc
