"""iTIP e-mail through a real SMTP server (aiosmtpd on 127.0.0.1), parsed as a mail client would."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage

import pytest
import vobject
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword
from icalendar import Calendar

from bot.domain import InvalidInputError, SessionStatus
from bot.email import DeliveryError, SmtpMailer, build_itip_email
from bot.invites import InviteAttendee, InviteCity, InviteEvent, build_invite

UTC = timezone.utc
DTSTAMP = datetime(2027, 3, 22, 8, 0, tzinfo=UTC)
START = datetime(2027, 3, 31, 7, 0, tzinfo=UTC)
OFFSETS = (timedelta(hours=24), timedelta(hours=1))  # [reminders] offsets, the default
WANG = InviteAttendee("王小明", "wang@panjin.example", "zh")
ANNA = InviteAttendee("Anna Schmidt", "anna@hamburg.example", "de")
EVENT = InviteEvent(
    uid="session-7@tandem.example", sequence=0, status=SessionStatus.CONFIRMED,
    start_utc=START, end_utc=START + timedelta(hours=1),
    topic_titles={"en": "Ecological protection of wetlands", "zh": "湿地生态保护",
                  "de": "Ökologischer Schutz von Feuchtgebieten"},
    city_a=InviteCity("Panjin", "Asia/Shanghai"), city_b=InviteCity("Hamburg", "Europe/Berlin"),
    organizer_name="Panjin – EU pilot cities", organizer_email="programme@tandem.example",
    meeting_link="https://meeting.tencent.com/dm/AbCdEf123", attendees=(WANG, ANNA),
)


@dataclass
class RecordingHandler:
    """Accepts mail like a real MTA; some mailboxes are unknown or busy."""

    received: list[Envelope] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope: Envelope, address: str, rcpt_options) -> str:  # noqa: ANN001
        if address.startswith("nobody@"):
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        if address.startswith("busy@"):
            return "451 4.3.0 mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope: Envelope) -> str:  # noqa: ANN001
        self.received.append(envelope)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def accept_only_tandem(server, session, envelope, mechanism, auth_data) -> AuthResult:  # noqa: ANN001
    ok = isinstance(auth_data, LoginPassword) and auth_data == (b"tandem", b"s3cret")
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp_server() -> Iterator[tuple[RecordingHandler, int]]:
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port,
                            authenticator=accept_only_tandem, auth_require_tls=False)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def mailer(port: int, **changes: object) -> SmtpMailer:
    return replace(SmtpMailer(host="127.0.0.1", port=port, security="none", timeout=5.0), **changes)


def received_message(handler: RecordingHandler) -> EmailMessage:
    (envelope,) = handler.received
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


async def test_invitation_arrives_as_itip_mail_with_calendar_part_and_attachment(smtp_server) -> None:
    handler, port = smtp_server
    message = build_itip_email(EVENT, WANG, recipient_zone="Asia/Shanghai", dtstamp_utc=DTSTAMP, reminder_offsets=OFFSETS,
                               message_id="<session-7.0.wang@tandem.example>")
    await mailer(port).send(message)

    (envelope,) = handler.received
    assert envelope.mail_from == "programme@tandem.example"
    assert envelope.rcpt_tos == ["wang@panjin.example"]
    received = received_message(handler)
    assert received["Subject"] == "会议邀请：Panjin – Hamburg：湿地生态保护"
    assert received["To"].addresses[0].display_name == "王小明"
    assert received["To"].addresses[0].addr_spec == "wang@panjin.example"
    assert received["From"].addresses[0].addr_spec == "programme@tandem.example"
    assert received["From"].addresses[0].display_name == "Panjin – EU pilot cities"
    assert received["Reply-To"].addresses[0].addr_spec == "programme@tandem.example"
    assert received["Date"].datetime == DTSTAMP
    assert received["Message-ID"] == "<session-7.0.wang@tandem.example>"
    assert received["Content-Class"] == "urn:content-classes:calendarmessage"

    assert received.get_content_type() == "multipart/mixed"
    alternative, attachment = received.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    text, calendar = alternative.iter_parts()
    assert text.get_content_type() == "text/plain"
    assert "Panjin与Hamburg举行线上会谈" in text.get_content()
    # The reader's own zone first, every place with its offset (the Chinese line used to show no zone).
    assert "\n时间：2027年3月31日 星期三 15:00 Panjin（UTC+8） · 09:00 Hamburg（UTC+2）\n时长：60分钟\n" in text.get_content()
    assert "https://meeting.tencent.com/dm/AbCdEf123" in text.get_content()
    assert calendar.get_content_type() == "text/calendar"
    assert calendar.get_param("method") == "REQUEST"
    assert calendar.get_param("charset").upper() == "UTF-8"
    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_filename().startswith("tandem-panjin-hamburg-2027-03-31-")

    expected = build_invite(EVENT, recipient_language="zh", recipient_zone="Asia/Shanghai", recipient_email=WANG.email,
                            dtstamp_utc=DTSTAMP, reminder_offsets=OFFSETS)
    for part in (calendar, attachment):
        ics = part.get_payload(decode=True)
        assert ics == expected  # byte for byte: CRLF line ends and folding survive the trip
        cal, vcal = Calendar.from_ical(ics), vobject.readOne(ics.decode("utf-8"))
        assert str(cal["METHOD"]) == calendar.get_param("method") == vcal.method.value
        assert cal.walk("VEVENT")[0].decoded("DTSTART").astimezone(UTC) == START
        assert vcal.vevent.dtstart.value.astimezone(UTC) == START
        assert [a.value for a in vcal.vevent.attendee_list] == ["mailto:wang@panjin.example",
                                                                 "mailto:anna@hamburg.example"]


async def test_update_and_cancellation_carry_the_files_method(smtp_server) -> None:
    handler, port = smtp_server
    moved = replace(EVENT, sequence=1, start_utc=START + timedelta(days=1), end_utc=START + timedelta(days=1, hours=1))
    cancelled = replace(moved, sequence=2, status=SessionStatus.CANCELLED)
    for event in (moved, cancelled):
        message = build_itip_email(event, ANNA, recipient_zone="Europe/Berlin", dtstamp_utc=DTSTAMP, reminder_offsets=OFFSETS)
        await mailer(port).send(message)

    subjects, methods = [], []
    for envelope in handler.received:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        calendar = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
        cal = Calendar.from_ical(calendar.get_payload(decode=True))
        assert str(cal["METHOD"]) == calendar.get_param("method")
        subjects.append(message["Subject"])
        methods.append((calendar.get_param("method"), str(cal.walk("VEVENT")[0]["STATUS"]),
                        cal.walk("VEVENT")[0].decoded("SEQUENCE")))
    assert methods == [("REQUEST", "CONFIRMED", 1), ("CANCEL", "CANCELLED", 2)]
    assert subjects == ["Geänderte Einladung: Panjin – Hamburg: Ökologischer Schutz von Feuchtgebieten",
                        "Abgesagt: Panjin – Hamburg: Ökologischer Schutz von Feuchtgebieten"]


async def test_login_with_the_configured_credentials(smtp_server) -> None:
    handler, port = smtp_server
    message = build_itip_email(EVENT, ANNA, recipient_zone="Europe/Berlin", dtstamp_utc=DTSTAMP, reminder_offsets=OFFSETS)
    await mailer(port, username="tandem", password="s3cret").send(message)
    assert len(handler.received) == 1


async def test_wrong_password_is_a_permanent_failure(smtp_server) -> None:
    handler, port = smtp_server
    message = build_itip_email(EVENT, ANNA, recipient_zone="Europe/Berlin", dtstamp_utc=DTSTAMP, reminder_offsets=OFFSETS)
    with pytest.raises(DeliveryError) as failure:
        await mailer(port, username="tandem", password="wrong").send(message)
    assert failure.value.permanent and failure.value.code == 535
    assert handler.received == []


@pytest.mark.parametrize(
    ("address", "temporary", "code"),
    [("nobody@hamburg.example", False, 550), ("busy@hamburg.example", True, 451)],
)
async def test_refused_recipient_says_whether_a_retry_can_help(
    smtp_server, address: str, temporary: bool, code: int
) -> None:
    handler, port = smtp_server
    recipient = InviteAttendee("Someone", address, "en")
    message = build_itip_email(EVENT, recipient, recipient_zone="Europe/Berlin", dtstamp_utc=DTSTAMP, reminder_offsets=OFFSETS)
    with pytest.raises(DeliveryError) as failure:
        await mailer(port).send(message)
    assert failure.value.temporary is temporary
    assert failure.value.code == code
    assert failure.value.recipients == (address,)
    assert address in str(failure.value)
    assert handler.received == []


async def test_server_that_is_not_there_is_a_temporary_failure() -> None:
    message = build_itip_email(EVENT, ANNA, recipient_zone="Europe/Berlin", dtstamp_utc=DTSTAMP, reminder_offsets=OFFSETS)
    with pytest.raises(DeliveryError) as failure:
        await mailer(free_port(), timeout=2.0).send(message)
    assert failure.value.temporary
    assert "127.0.0.1" in str(failure.value)


async def test_starttls_against_a_server_without_it_is_a_permanent_failure(smtp_server) -> None:
    handler, port = smtp_server
    message = build_itip_email(EVENT, ANNA, recipient_zone="Europe/Berlin", dtstamp_utc=DTSTAMP, reminder_offsets=OFFSETS)
    with pytest.raises(DeliveryError) as failure:
        await mailer(port, security="starttls").send(message)
    assert failure.value.permanent
    assert handler.received == []


def test_unknown_security_mode_is_refused_naming_it() -> None:
    with pytest.raises(InvalidInputError, match="'ssl'"):
        SmtpMailer(host="127.0.0.1", port=25, security="ssl")  # type: ignore[arg-type]


def test_username_without_password_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="username and a password"):
        SmtpMailer(host="127.0.0.1", port=25, username="tandem")


def test_participant_without_address_gets_no_mail() -> None:
    with pytest.raises(InvalidInputError, match="no e-mail address"):
        build_itip_email(EVENT, InviteAttendee("李娜", None, "zh"), recipient_zone="Asia/Shanghai", dtstamp_utc=DTSTAMP,
                         reminder_offsets=OFFSETS)


async def test_someone_the_event_does_not_name_as_attendee_gets_a_publish_mail(smtp_server) -> None:
    """A REQUEST must name its recipient as ATTENDEE (RFC 5546 3.2.2); a coordinator's colleague
    added by address but not a participant of this session gets the event to add, not to answer."""
    handler, port = smtp_server
    outsider = InviteAttendee("Jonas Becker", "jonas@hamburg.example", "de")
    cancelled = replace(EVENT, sequence=1, status=SessionStatus.CANCELLED)
    for event in (EVENT, cancelled):
        message = build_itip_email(event, outsider, recipient_zone="Europe/Berlin", dtstamp_utc=DTSTAMP,
                                   reminder_offsets=OFFSETS)
        await mailer(port).send(message)
    seen = []
    for envelope in handler.received:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        calendar = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
        text = next(p for p in message.walk() if p.get_content_type() == "text/plain").get_content()
        cal = Calendar.from_ical(calendar.get_payload(decode=True))
        [vevent] = cal.walk("VEVENT")
        assert "ATTENDEE" not in vevent
        seen.append((calendar.get_param("method"), str(cal["METHOD"]), str(vevent["STATUS"]), str(vevent["UID"])))
        assert "zu antworten" not in text  # nothing to reply to
    assert seen == [("PUBLISH", "PUBLISH", "CONFIRMED", EVENT.uid), ("PUBLISH", "PUBLISH", "CANCELLED", EVENT.uid)]
