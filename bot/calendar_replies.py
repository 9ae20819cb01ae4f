"""Reading what comes back to the organizer's mailbox: an e-mail in, the answer it carries out.

Pure: bytes of one RFC 5322 message in, a :class:`ReceivedMail` out; no IMAP, no clock, no
database (``bot.services.mail_in`` acts on the result, ``bot.mailboxes`` fetches the bytes).

Calendar clients answer an invitation (``METHOD:REQUEST``, ``RSVP=TRUE``) with an iTIP message
(RFC 5546) e-mailed to the ``ORGANIZER`` (RFC 6047, iMIP). They put it in different places:

==========================  =================================================================
client                      where the iTIP part is
==========================  =================================================================
Outlook (desktop, web)      the body is ``multipart/alternative``: text/plain, text/html and
                            ``text/calendar; method=REPLY`` (base64 or quoted-printable);
                            ``MAILTO:`` in capitals, Windows zone names as TZID
Gmail                       ``multipart/mixed``: ``multipart/alternative`` (text, html,
                            ``text/calendar; method=REPLY``) and ``invite.ics`` as an
                            ``application/ics`` attachment
Apple Calendar (iCloud)     the whole message is ``text/calendar; method=REPLY``,
                            quoted-printable, no text part at all
Thunderbird                 ``multipart/mixed``: text/plain, then ``text/calendar; method=REPLY``
                            (inline) and the same again as an attachment ``invite.ics``
Foxmail / QQ Mail, NetEase  ``multipart/mixed``: text/html and the calendar as an
                            attachment (``application/octet-stream`` named ``*.ics``), base64
==========================  =================================================================

So the reader looks at every part, in order, and takes the first one that is a calendar file
(a ``text/calendar`` or ``application/ics`` type, or a file name ending in ``.ics``) and parses;
the transfer encoding is undone by the standard library. The ``METHOD`` comes from the file
(the MIME parameter repeats it, and some clients omit the parameter). Addresses are compared in
lower case with ``mailto:`` removed in any letter case. A delegate's reply (RFC 5546 2.1.5)
names the delegate as ``ATTENDEE`` with ``DELEGATED-FROM`` the invited address; every
attendee line is kept, and the service decides whose answer it is.

A message without any calendar part is a plain reply (someone answered the invitation or the
after-session question in words); a calendar part that does not parse, or lacks the UID, is
``broken`` -- the service moves both kinds of failure aside and never guesses.
"""

from __future__ import annotations

import email
import email.policy
import enum
from dataclasses import dataclass
from datetime import date, datetime, timezone
from email.message import EmailMessage, MIMEPart
from email.utils import getaddresses, parseaddr

from icalendar import Calendar

# How much of a plain reply is kept to forward: a Telegram message holds 4,096 characters.
MAX_FORWARDED_TEXT = 3000


class ItipMethod(str, enum.Enum):
    """The iTIP methods an attendee sends to the organizer (RFC 5546 1.4)."""

    REPLY = "REPLY"
    COUNTER = "COUNTER"
    REFRESH = "REFRESH"


@dataclass(frozen=True)
class ReplyingAttendee:
    """One ``ATTENDEE`` line of a reply: the address, the answer, and whom it stands in for."""

    address: str  # lower case, without "mailto:"
    partstat: str  # ACCEPTED, TENTATIVE, DECLINED, DELEGATED, NEEDS-ACTION (upper case)
    delegated_from: tuple[str, ...] = ()  # a delegate's reply: the invited addresses, lower case
    name: str = ""


@dataclass(frozen=True)
class CalendarAnswer:
    """The iTIP content of a reply: which event, which version, who answers what."""

    method: ItipMethod
    uid: str
    sequence: int
    attendees: tuple[ReplyingAttendee, ...]
    proposed_start_utc: datetime | None = None  # COUNTER: the time the attendee proposes
    proposed_end_utc: datetime | None = None
    comment: str = ""


@dataclass(frozen=True)
class ReceivedMail:
    """What one e-mail says, as far as Tandem understands it.

    Exactly one of: ``calendar`` (an iTIP message of a method an organizer receives), ``text``
    (no calendar part: a reply in words), or ``problem`` (a calendar part Tandem cannot use, or a
    method an organizer never receives) is the point of the message; ``text`` may also accompany
    a calendar answer (a comment typed above the buttons).
    """

    message_id: str  # the Message-ID header, "" when there is none
    sender: str  # the From address, lower case ("" when there is none)
    sender_name: str
    subject: str
    calendar: CalendarAnswer | None = None
    text: str = ""
    problem: str = ""
    auto_submitted: bool = False  # an out-of-office or other automatic answer (RFC 3834)


def read_mail(raw: bytes) -> ReceivedMail:
    """Read one message; never raises for bad input (a broken message is a ``problem``)."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)  # the default policy makes EmailMessage objects
    name, sender = _header_address(message, "From")
    auto = str(message.get("Auto-Submitted", "no")).strip().lower() not in ("", "no")
    base = dict(
        message_id=_header(message, "Message-ID").strip(),
        sender=sender,
        sender_name=name,
        subject=_header(message, "Subject"),
        auto_submitted=auto,
    )
    calendar_parts = [part for part in message.walk() if _is_calendar_part(part)]
    text = _plain_text(message)
    if not calendar_parts:
        return ReceivedMail(**base, text=text)  # type: ignore[arg-type]
    problems = []
    for part in calendar_parts:
        try:
            answer = _answer(_payload_bytes(part))
        except _Unusable as exc:
            problems.append(str(exc))
            continue
        return ReceivedMail(**base, calendar=answer, text=text)  # type: ignore[arg-type]
    return ReceivedMail(**base, text=text, problem="; ".join(dict.fromkeys(problems)))  # type: ignore[arg-type]


def bare_address(value: str) -> str:
    """``MAILTO:Wang@Panjin.example`` → ``wang@panjin.example`` (any letter case of the scheme)."""
    value = value.strip()
    if value[:7].lower() == "mailto:":
        value = value[7:]
    return value.strip().strip("<>").lower()


class _Unusable(Exception):
    """A calendar part that cannot be acted on; the message says why."""


def _header(message: EmailMessage, name: str) -> str:
    try:
        return str(message.get(name, "") or "")
    except (ValueError, IndexError):  # a header so broken the policy cannot read it
        return ""


def _header_address(message: EmailMessage, name: str) -> tuple[str, str]:
    raw = _header(message, name)
    pairs = getaddresses([raw]) if raw else []
    display, address = pairs[0] if pairs else parseaddr(raw)
    return display, address.strip().lower()


def _is_calendar_part(part: MIMEPart) -> bool:
    if part.is_multipart():
        return False
    content_type = part.get_content_type()
    if content_type in ("text/calendar", "application/ics"):
        return True
    filename = (part.get_filename() or "").lower()
    return filename.endswith((".ics", ".vcs"))


def _payload_bytes(part: MIMEPart) -> bytes:
    payload = part.get_payload(decode=True)  # undoes base64 and quoted-printable
    if not isinstance(payload, bytes):
        raise _Unusable("the calendar part has no content")
    return payload


def _plain_text(message: EmailMessage) -> str:
    """The reply's words: its text/plain body (or the text of its HTML), trimmed for forwarding."""
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None or _is_calendar_part(body):
        return ""
    try:
        content = body.get_content()
    except (LookupError, ValueError):  # an unknown charset
        payload = body.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if not isinstance(content, str):
        return ""
    if body.get_content_subtype() == "html":
        content = _html_text(content)
    lines = [line.rstrip() for line in content.replace("\r\n", "\n").split("\n")]
    text = "\n".join(lines).strip()
    if len(text) > MAX_FORWARDED_TEXT:
        text = text[: MAX_FORWARDED_TEXT - 1].rstrip() + "…"
    return text


def _html_text(html: str) -> str:
    from html.parser import HTMLParser

    class _Text(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.parts: list[str] = []
            self.skip = 0

        def handle_starttag(self, tag: str, attrs: object) -> None:
            if tag in ("style", "script", "head"):
                self.skip += 1
            elif tag in ("br", "p", "div", "tr", "li"):
                self.parts.append("\n")

        def handle_endtag(self, tag: str) -> None:
            if tag in ("style", "script", "head") and self.skip:
                self.skip -= 1

        def handle_data(self, data: str) -> None:
            if not self.skip:
                self.parts.append(data)

    reader = _Text()
    reader.feed(html)
    return "".join(reader.parts)


def _answer(ics: bytes) -> CalendarAnswer:
    try:
        calendar = Calendar.from_ical(ics)
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise _Unusable(f"the calendar file does not parse: {exc}") from None
    method_text = str(calendar.get("METHOD", "")).strip().upper()
    try:
        method = ItipMethod(method_text)
    except ValueError:
        raise _Unusable(f"METHOD {method_text or '(none)'} is not one an attendee sends to the organizer") from None
    events = [component for component in calendar.walk("VEVENT")]
    if not events:
        raise _Unusable("the calendar file has no VEVENT")
    event = events[0]
    uid = str(event.get("UID", "")).strip()
    if not uid:
        raise _Unusable("the VEVENT has no UID")
    try:
        sequence = int(event.get("SEQUENCE", 0))
    except (TypeError, ValueError):
        raise _Unusable("the SEQUENCE is not a number") from None
    attendees = event.get("ATTENDEE", [])
    if not isinstance(attendees, list):
        attendees = [attendees]
    replying = tuple(_attendee(a) for a in attendees)
    if method is not ItipMethod.REFRESH and not replying:
        raise _Unusable(f"the {method.value} names no ATTENDEE")
    if method is ItipMethod.REFRESH and not replying:
        raise _Unusable("the REFRESH names no ATTENDEE to send the event to")
    start = end = None
    if method is ItipMethod.COUNTER:
        start, end = _instant(event, "DTSTART"), _instant(event, "DTEND")
        if start is None:
            raise _Unusable("the COUNTER proposes no DTSTART")
    comment = str(event.get("COMMENT", "") or "").strip()
    return CalendarAnswer(method, uid, sequence, replying, start, end, comment)


def _attendee(value: object) -> ReplyingAttendee:
    params = getattr(value, "params", {})
    delegated = params.get("DELEGATED-FROM", ())
    if isinstance(delegated, str):
        delegated = [d for d in delegated.split(",") if d.strip()]
    return ReplyingAttendee(
        address=bare_address(str(value)),
        partstat=str(params.get("PARTSTAT", "NEEDS-ACTION")).strip().upper(),
        delegated_from=tuple(bare_address(str(d)) for d in delegated),
        name=str(params.get("CN", "")),
    )


def _instant(event: object, name: str) -> datetime | None:
    try:
        value = event.decoded(name)  # type: ignore[attr-defined]
    except (KeyError, ValueError):
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise _Unusable(f"the {name} is a floating local time; it names no instant")
        return value.astimezone(timezone.utc)
    if isinstance(value, date):
        raise _Unusable(f"the {name} is a whole day, not a time")
    return None
