"""The reply reader on the shapes each client writes (tests/mail_in/fixtures/README.md says where
each comes from) and on the worst input: it says what a message means, or why it cannot, and
never raises."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from bot.calendar_replies import MAX_FORWARDED_TEXT, ItipMethod, ReplyingAttendee, bare_address, read_mail

FIXTURES = Path(__file__).parents[1] / "mail_in" / "fixtures"
UID = "tandem-mail-in-1@tandem"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.mark.parametrize(
    ("name", "method", "address", "partstat"),
    [
        ("outlook_accept.eml", ItipMethod.REPLY, "anna.schmidt@hamburg.example", "ACCEPTED"),  # alternative part, base64, MAILTO:
        ("gmail_decline.eml", ItipMethod.REPLY, "li.wei@panjin.example.cn", "DECLINED"),  # 7bit part + application/ics
        ("apple_tentative.eml", ItipMethod.REPLY, "wang.fang@panjin.example.cn", "TENTATIVE"),  # whole body, quoted-printable
        ("thunderbird_accept.eml", ItipMethod.REPLY, "anna.schmidt@hamburg.example", "ACCEPTED"),  # folded ATTENDEE line
        ("foxmail_decline.eml", ItipMethod.REPLY, "wang.fang@panjin.example.cn", "DECLINED"),  # octet-stream *.ics, GBK
        ("outlook_counter.eml", ItipMethod.COUNTER, "anna.schmidt@hamburg.example", "TENTATIVE"),
        ("refresh.eml", ItipMethod.REFRESH, "li.wei@panjin.example.cn", "NEEDS-ACTION"),
    ],
)
def test_each_clients_reply_is_read_wherever_it_puts_the_calendar(name: str, method: ItipMethod, address: str, partstat: str) -> None:
    mail = read_mail(fixture(name))
    assert mail.problem == ""
    assert mail.calendar is not None
    assert (mail.calendar.method, mail.calendar.uid, mail.calendar.sequence) == (method, UID, 0)
    assert [(a.address, a.partstat) for a in mail.calendar.attendees] == [(address, partstat)]
    assert mail.message_id.startswith("<") and mail.sender == address


def test_foxmail_text_in_gbk_and_its_rfc2047_subject_are_read() -> None:
    mail = read_mail(fixture("foxmail_decline.eml"))
    assert mail.text == "拒绝：该时间我方另有安排。"
    assert mail.subject == "拒绝: 盘锦 – 汉堡：湿地生态保护"
    assert mail.sender_name == "王芳"


def test_a_delegates_reply_names_whom_it_answers_for() -> None:
    mail = read_mail(fixture("outlook_delegate_accept.eml"))
    assert mail.calendar is not None
    assert mail.calendar.attendees == (
        ReplyingAttendee("zhao.min@panjin.example.cn", "ACCEPTED", ("wang.fang@panjin.example.cn",), "Zhao Min"),
    )


def test_a_counter_proposes_an_instant_read_through_outlooks_own_zone_names() -> None:
    mail = read_mail(fixture("outlook_counter.eml"))
    assert mail.calendar is not None
    # DTSTART;TZID=W. Europe Standard Time:20270401T100000, summer time: 08:00 UTC.
    assert mail.calendar.proposed_start_utc == datetime(2027, 4, 1, 8, 0, tzinfo=timezone.utc)
    assert mail.calendar.proposed_end_utc == datetime(2027, 4, 1, 9, 0, tzinfo=timezone.utc)
    assert mail.calendar.comment == "Thursday suits our mayor better."


def test_a_reply_in_words_has_no_calendar_and_keeps_its_text() -> None:
    mail = read_mail(fixture("plain_reply.eml"))
    assert (mail.calendar, mail.problem) == (None, "")
    assert mail.text.startswith("会议很成功。")


@pytest.mark.parametrize("value", ["mailto:a@b.example", "MAILTO:A@B.EXAMPLE", "MailTo:a@B.example", " <a@b.example> "])
def test_mailto_in_any_letter_case(value: str) -> None:
    assert bare_address(value) == "a@b.example"


def calendar_mail(ics: str, *, content_type: str = "text/calendar; method=REPLY") -> bytes:
    body = ics.replace("\n", "\r\n")
    return f"From: x@y.example\r\nMessage-ID: <m@y>\r\nContent-Type: {content_type}\r\n\r\n{body}".encode()


EVENT = "BEGIN:VCALENDAR\nVERSION:2.0\nMETHOD:{method}\nBEGIN:VEVENT\n{lines}END:VEVENT\nEND:VCALENDAR\n"


@pytest.mark.parametrize(
    ("ics", "problem"),
    [
        (EVENT.format(method="REPLY", lines="ATTENDEE;PARTSTAT=ACCEPTED:mailto:x@y.example\n"), "no UID"),
        (EVENT.format(method="REQUEST", lines="UID:u\nATTENDEE:mailto:x@y.example\n"), "METHOD REQUEST is not one"),
        (EVENT.format(method="REPLY", lines="UID:u\n"), "names no ATTENDEE"),
        (EVENT.format(method="COUNTER", lines="UID:u\nATTENDEE:mailto:x@y.example\n"), "proposes no DTSTART"),
        (EVENT.format(method="COUNTER", lines="UID:u\nATTENDEE:mailto:x@y.example\nDTSTART:20270401T100000\n"), "floating local time"),
        (EVENT.format(method="REPLY", lines="UID:u\nSEQUENCE:two\nATTENDEE:mailto:x@y.example\n"), "SEQUENCE"),
        ("BEGIN:VCALENDAR\nMETHOD:REPLY\nEND:VCALENDAR\n", "no VEVENT"),
        ("\x00\xff garbage", "does not parse"),
    ],
)
def test_a_calendar_part_that_cannot_be_used_says_why(ics: str, problem: str) -> None:
    mail = read_mail(calendar_mail(ics))
    assert mail.calendar is None
    assert problem in mail.problem


def test_a_broken_first_calendar_part_and_a_good_second_one_is_read() -> None:
    good = EVENT.format(method="REPLY", lines="UID:u\nATTENDEE;PARTSTAT=DECLINED:mailto:x@y.example\n").replace("\n", "\r\n")
    raw = (
        "From: x@y.example\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        "--b\r\nContent-Type: text/calendar\r\n\r\nBEGIN:VCALENDAR\r\n"
        f"--b\r\nContent-Type: application/octet-stream; name=reply.ics\r\n\r\n{good}--b--\r\n"
    ).encode()
    mail = read_mail(raw)
    assert mail.calendar is not None and mail.calendar.attendees[0].partstat == "DECLINED"


@pytest.mark.parametrize("raw", [b"", b"\x00\x01\x02", b"From: \r\n\r\n", b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x--", b"Subject: =?utf-8?b?!!!?=\r\n\r\nhi"])
def test_anything_at_all_is_read_without_raising(raw: bytes) -> None:
    mail = read_mail(raw)
    assert mail.calendar is None


def test_a_long_reply_is_cut_to_what_one_chat_message_holds() -> None:
    raw = ("From: x@y.example\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + "很" * 10_000).encode()
    text = read_mail(raw).text
    assert len(text) == MAX_FORWARDED_TEXT and text.endswith("…")
