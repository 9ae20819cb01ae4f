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
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.message import Message
from email.utils import parseaddr

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


def read_mail(raw: bytes) -> ReceivedMail:
    """Read one message; never raises for bad input (a broken message is a ``problem``).

    The standard library's classic parser (``compat32``) reads the structure; headers are decoded
    here, the few that are needed, which is several times faster than the modern policy's
    header objects on every access (``benchmarks/mail_in``).
    """
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    name, sender = _header_address(message, "From")
    message_id, subject = _header(message, "Message-ID").strip(), _header(message, "Subject")
    parts = [part for part in message.walk() if not part.is_multipart()]
    calendar_parts = [part for part in parts if _is_calendar_part(part)]
    text = _plain_text([part for part in parts if part not in calendar_parts])
    problems = []
    for part in calendar_parts:
        try:
            answer = _answer(_payload_bytes(part))
        except _Unusable as exc:
            problems.append(str(exc))
            continue
        return ReceivedMail(message_id, sender, name, subject, calendar=answer, text=text)
    return ReceivedMail(message_id, sender, name, subject, text=text, problem="; ".join(dict.fromkeys(problems)))


def bare_address(value: str) -> str:
    """``MAILTO:Wang@Panjin.example`` → ``wang@panjin.example`` (any letter case of the scheme)."""
    value = value.strip()
    if value[:7].lower() == "mailto:":
        value = value[7:]
    return value.strip().strip("<>").lower()


class _Unusable(Exception):
    """A calendar part that cannot be acted on; the message says why."""


def _raw_header(message: Message, name: str) -> str:
    """A header as it was written: UTF-8 read as such (RFC 6532), "" when missing."""
    wanted = name.lower()
    for key, value in message.raw_items():
        if key.lower() == wanted:
            text = str(value)
            return text.encode("ascii", "surrogateescape").decode("utf-8", "replace")
    return ""


def _decoded(value: str) -> str:
    """RFC 2047 encoded words (GBK, UTF-8, …) decoded; the value as it is when they cannot be."""
    try:
        return str(make_header(decode_header(value)))
    except (LookupError, ValueError, UnicodeError, HeaderParseError):
        return value


def _header(message: Message, name: str) -> str:
    return " ".join(_decoded(_raw_header(message, name)).split())


def _header_address(message: Message, name: str) -> tuple[str, str]:
    display, address = parseaddr(_raw_header(message, name))
    return (_decoded(display) if display else ""), address.strip().lower()


def _is_calendar_part(part: Message) -> bool:
    if part.get_content_type() in ("text/calendar", "application/ics"):
        return True
    filename = (part.get_filename() or "").lower()
    return filename.endswith((".ics", ".vcs"))


def _payload_bytes(part: Message) -> bytes:
    payload = part.get_payload(decode=True)  # undoes base64 and quoted-printable
    if not isinstance(payload, bytes):
        raise _Unusable("the calendar part has no content")
    return payload


def _plain_text(parts: list[Message]) -> str:
    """The reply's words: its first text/plain part (else the text of its HTML), trimmed for forwarding."""
    inline = [p for p in parts if not str(p.get("Content-Disposition", "")).lower().startswith("attachment")]
    body = next((p for p in inline if p.get_content_type() == "text/plain"), None)
    body = body or next((p for p in inline if p.get_content_type() == "text/html"), None)
    if body is None:
        return ""
    payload = body.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    try:
        content = payload.decode(body.get_content_charset() or "utf-8", "replace")
    except LookupError:  # a charset Python does not know
        content = payload.decode("utf-8", "replace")
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
