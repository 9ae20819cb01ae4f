"""The invite builder, read back by icalendar and by vobject (an independent parser)."""

from __future__ import annotations

import dataclasses
import functools
import zoneinfo
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import vobject
from hypothesis import example, given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from bot.domain import InvalidInputError, SessionStatus
from bot.invites import (
    InviteAttendee,
    InviteCity,
    InviteEvent,
    build_invite,
    build_schedule,
    invite_filename,
    invite_method,
    invite_summary,
    vtimezone,
    zone_rules,
    zone_transitions,
)

UTC = timezone.utc
DTSTAMP = datetime(2027, 3, 22, 8, 0, tzinfo=UTC)
START = datetime(2027, 3, 31, 7, 0, tzinfo=UTC)  # 15:00 in Panjin, 09:00 in Hamburg (CEST since 28 March)
LINK = "https://meet.jit.si/tandem-7hq2mzd4vkc3rqx5"
OFFSETS = (timedelta(hours=24), timedelta(hours=1))  # [reminders] offsets, the default

WANG = InviteAttendee("王小明", "wang@panjin.example", "zh")
ANNA = InviteAttendee("Anna Schmidt", "anna@hamburg.example", "de")
LI_WITHOUT_EMAIL = InviteAttendee("李娜", None, "zh")


def make_event(**changes: object) -> InviteEvent:
    event = InviteEvent(
        uid="session-7@tandem.example",
        sequence=0,
        status=SessionStatus.CONFIRMED,
        start_utc=START,
        end_utc=START + timedelta(hours=1),
        topic_titles={"en": "Ecological protection of wetlands", "zh": "湿地生态保护",
                      "de": "Ökologischer Schutz von Feuchtgebieten"},
        city_a=InviteCity("Panjin", "Asia/Shanghai"),
        city_b=InviteCity("Hamburg", "Europe/Berlin"),
        organizer_name="Panjin – EU pilot cities",
        organizer_email="programme@tandem.example",
        meeting_link=LINK,
        attendees=(WANG, ANNA, LI_WITHOUT_EMAIL),
    )
    return dataclasses.replace(event, **changes)


def build(
    event: InviteEvent,
    language: str = "en",
    zone: str = "Europe/Berlin",
    *,
    recipient: str | None = ANNA.email,
    offsets: tuple[timedelta, ...] = OFFSETS,
    dtstamp: datetime = DTSTAMP,
) -> bytes:
    return build_invite(event, recipient_language=language, recipient_zone=zone, recipient_email=recipient,
                        dtstamp_utc=dtstamp, reminder_offsets=offsets)


def parse(ics: bytes) -> tuple[Calendar, vobject.base.Component]:
    """The same bytes through both parsers, each file read on its own.

    vobject keeps the first VTIMEZONE it met for a TZID for the rest of the process and reads later
    files' times with it; our VTIMEZONE is exact for the years a file covers (Israel's "Friday before
    the last Sunday" is 4FR in 2028 but -1FR in 2026), so its registry is emptied before each read.
    """
    vobject.icalendar.__dict__["__tzidMap"].clear()
    return Calendar.from_ical(ics), vobject.readOne(ics.decode("utf-8"))


def only_vevent(cal: Calendar):
    events = cal.walk("VEVENT")
    assert len(events) == 1
    return events[0]


def physical_lines(ics: bytes) -> list[bytes]:
    assert ics.endswith(b"\r\n")
    lines = ics[:-2].split(b"\r\n")
    assert not any(b"\n" in line or b"\r" in line for line in lines), "a bare LF or CR in the file"
    return lines


# --- structure and properties ---------------------------------------------------------------


def test_method_comes_before_every_component_and_there_is_one_vevent() -> None:
    lines = physical_lines(build(make_event()))
    assert lines[0] == b"BEGIN:VCALENDAR"
    method_at = lines.index(b"METHOD:REQUEST")
    first_component = next(i for i, line in enumerate(lines[1:], 1) if line.startswith(b"BEGIN:"))
    assert method_at < first_component
    assert lines.count(b"BEGIN:VEVENT") == 1


def test_request_carries_every_itip_property_as_both_parsers_read_it() -> None:
    cal, vcal = parse(build(make_event(), language="de", zone="Europe/Berlin"))
    event, vevent = only_vevent(cal), vcal.vevent

    assert str(cal["METHOD"]) == "REQUEST" == vcal.method.value
    assert str(cal["VERSION"]) == "2.0"
    assert str(event["UID"]) == "session-7@tandem.example" == vevent.uid.value
    assert event.decoded("DTSTAMP") == DTSTAMP == vevent.dtstamp.value
    assert event.decoded("SEQUENCE") == 0 and int(vevent.sequence.value) == 0
    assert event.decoded("DTSTART").astimezone(UTC) == START == vevent.dtstart.value.astimezone(UTC)
    assert event.decoded("DTEND").astimezone(UTC) == START + timedelta(hours=1) == vevent.dtend.value.astimezone(UTC)
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert event.decoded("DTSTART").replace(tzinfo=None) == datetime(2027, 3, 31, 9, 0)
    assert str(event["STATUS"]) == "CONFIRMED" == vevent.status.value
    assert str(event["LOCATION"]) == LINK == vevent.location.value
    assert str(event["URL"]) == LINK == vevent.url.value
    assert LINK in str(event["DESCRIPTION"]) and LINK in vevent.description.value

    assert str(event["ORGANIZER"]) == "mailto:programme@tandem.example" == vevent.organizer.value
    assert event["ORGANIZER"].params["CN"] == "Panjin – EU pilot cities"
    assert vevent.organizer.params["CN"] == ["Panjin – EU pilot cities"]

    alarms = event.walk("VALARM")  # one per [reminders] offset: 24 h and 1 h
    assert [str(a["ACTION"]) for a in alarms] == ["DISPLAY", "DISPLAY"]
    assert [a.decoded("TRIGGER") for a in alarms] == [timedelta(hours=-24), timedelta(hours=-1)]
    assert [a.trigger.value for a in vevent.valarm_list] == [timedelta(hours=-24), timedelta(hours=-1)]


def test_every_participant_with_an_address_is_an_attendee_who_is_asked_to_reply() -> None:
    cal, vcal = parse(build(make_event()))
    attendees = only_vevent(cal)["ATTENDEE"]
    assert [str(a) for a in attendees] == ["mailto:wang@panjin.example", "mailto:anna@hamburg.example"]
    for attendee, expected_name in zip(attendees, ["王小明", "Anna Schmidt"]):
        assert attendee.params["CN"] == expected_name
        assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
        assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"
        assert attendee.params["RSVP"] == "TRUE"
    v_attendees = vcal.vevent.attendee_list
    assert [a.value for a in v_attendees] == ["mailto:wang@panjin.example", "mailto:anna@hamburg.example"]
    assert [a.params["CN"][0] for a in v_attendees] == ["王小明", "Anna Schmidt"]
    assert all(a.params["RSVP"] == ["TRUE"] and a.params["PARTSTAT"] == ["NEEDS-ACTION"] for a in v_attendees)


def test_participant_without_email_is_named_in_the_description_not_as_attendee() -> None:
    cal, vcal = parse(build(make_event(), language="zh", zone="Asia/Shanghai", recipient=WANG.email))
    event = only_vevent(cal)
    assert all("李娜" not in a.params["CN"] for a in event["ATTENDEE"])
    assert "李娜" in str(event["DESCRIPTION"])
    assert "参会人员：王小明、Anna Schmidt、李娜" in vcal.vevent.description.value




@pytest.mark.parametrize(
    ("language", "zone", "summary", "description_parts"),
    [
        ("zh", "Asia/Shanghai", "Panjin – Hamburg：湿地生态保护",
         ["Panjin与Hamburg举行线上会谈，议题：湿地生态保护", "2027年3月31日 星期三 15:00", "会议链接："]),
        ("de", "Europe/Berlin", "Panjin – Hamburg: Ökologischer Schutz von Feuchtgebieten",
         ["treffen sich online", "31. März 2027, 09:00", "Zum Treffen: " + LINK]),
        ("en", "Europe/Lisbon", "Panjin – Hamburg: Ecological protection of wetlands",
         ["meet online to discuss", "31 Mar 2027, 08:00", "Join the meeting: " + LINK]),
    ],
)
def test_summary_and_description_are_in_the_recipients_language_and_zone(
    language: str, zone: str, summary: str, description_parts: list[str]
) -> None:
    cal, vcal = parse(build(make_event(), language=language, zone=zone))
    event = only_vevent(cal)
    assert str(event["SUMMARY"]) == summary == vcal.vevent.summary.value
    for part in description_parts:
        assert part in str(event["DESCRIPTION"])
        assert part in vcal.vevent.description.value


@pytest.mark.parametrize(
    ("language", "zone", "lines"),
    [
        ("en", "Europe/Berlin", "When: Wed 31 Mar 2027, 09:00 Hamburg (UTC+2) · 15:00 Panjin (UTC+8)\nDuration: 60 minutes"),
        ("de", "Europe/Berlin", "Wann: Mi., 31. März 2027, 09:00 Hamburg (UTC+2) · 15:00 Panjin (UTC+8)\nDauer: 60 Minuten"),
        ("zh", "Asia/Shanghai", "时间：2027年3月31日 星期三 15:00 Panjin（UTC+8） · 09:00 Hamburg（UTC+2）\n时长：60分钟"),
        # A coordinator in Lisbon (no city of the session): their zone first, named by its city.
        ("en", "Europe/Lisbon",
         "When: Wed 31 Mar 2027, 08:00 Lisbon (UTC+1) · 15:00 Panjin (UTC+8) · 09:00 Hamburg (UTC+2)\nDuration: 60 minutes"),
    ],
)
def test_description_shows_the_time_in_the_readers_zone_first_then_in_both_cities(language: str, zone: str, lines: str) -> None:
    cal, vcal = parse(build(make_event(), language=language, zone=zone))
    assert f"\n\n{lines}\n\n" in str(only_vevent(cal)["DESCRIPTION"])
    assert f"\n\n{lines}\n\n" in vcal.vevent.description.value


def test_dtstamp_is_the_given_instant_in_utc() -> None:
    stamp = datetime(2027, 3, 22, 9, 30, 15, tzinfo=ZoneInfo("Europe/Berlin"))
    ics = build_invite(make_event(), recipient_language="en", recipient_zone="UTC", recipient_email=ANNA.email,
                       dtstamp_utc=stamp, reminder_offsets=OFFSETS)
    assert b"DTSTAMP:20270322T083015Z\r\n" in ics


def test_utc_recipient_gets_utc_times_and_no_vtimezone() -> None:
    ics = build(make_event(), zone="UTC")
    assert b"DTSTART:20270331T070000Z\r\n" in ics
    assert b"VTIMEZONE" not in ics


def test_no_reminder_offsets_means_no_alarm() -> None:
    assert b"VALARM" not in build(make_event(), offsets=())


# --- line ends and folding ------------------------------------------------------------------


def assert_lines_folded_within_75_octets(ics: bytes) -> None:
    for line in physical_lines(ics):
        assert len(line) <= 75, line
        line.decode("utf-8")  # a fold inside a multi-byte character would not decode


def test_long_chinese_text_folds_within_75_octets_never_inside_a_character() -> None:
    note = "盘锦辽河口湿地保护区面积广阔，是丹顶鹤和黑嘴鸥的重要栖息地。" * 8
    event = make_event(note=note, topic_titles={"zh": "湿地生态保护与可持续发展合作" * 6})
    ics = build(event, language="zh", zone="Asia/Shanghai")
    assert_lines_folded_within_75_octets(ics)
    assert any(line.startswith(b" ") for line in physical_lines(ics)), "expected folded lines"
    cal, vcal = parse(ics)
    assert str(only_vevent(cal)["DESCRIPTION"]).endswith(note)
    assert vcal.vevent.description.value.endswith(note)
    assert vcal.vevent.summary.value == "Panjin – Hamburg：" + "湿地生态保护与可持续发展合作" * 6


# Any character except surrogates (not encodable) and control characters (not allowed in TEXT;
# the builder drops them, tested below), plus newlines.
free_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"), include_characters="\n"),
    min_size=1,
    max_size=300,
)


@settings(max_examples=60, deadline=None)
@given(note=free_text, title=free_text.filter(lambda t: "\n" not in t))
def test_any_text_folds_within_75_octets_and_unfolds_to_the_original(note: str, title: str) -> None:
    event = make_event(note=note, topic_titles={"en": title})
    ics = build(event, language="en", zone="Europe/Berlin")
    assert_lines_folded_within_75_octets(ics)
    cal, vcal = parse(ics)
    expected_summary = f"Panjin – Hamburg: {title}"
    assert str(only_vevent(cal)["SUMMARY"]) == expected_summary == vcal.vevent.summary.value
    assert str(only_vevent(cal)["DESCRIPTION"]).endswith("\n\n" + note)
    assert vcal.vevent.description.value.endswith("\n\n" + note)


def test_control_characters_are_dropped_and_carriage_returns_become_newlines() -> None:
    cal, _ = parse(build(make_event(note="a\x00b\x1bc\r\nd\re\tf")))
    assert str(only_vevent(cal)["DESCRIPTION"]).endswith("abc\nd\ne\tf")


def test_double_quotes_in_a_name_do_not_break_the_attendee_parameter() -> None:
    quoted = InviteAttendee('Hans "Hansi" Müller, Jr.', "hans@hamburg.example", "de")
    cal, vcal = parse(build(make_event(attendees=(quoted,)), recipient=quoted.email))
    assert only_vevent(cal)["ATTENDEE"].params["CN"] == "Hans 'Hansi' Müller, Jr."
    assert vcal.vevent.attendee.params["CN"] == ["Hans 'Hansi' Müller, Jr."]


# --- updates and cancellations --------------------------------------------------------------


def test_reschedule_keeps_the_uid_and_raises_the_sequence() -> None:
    first = make_event()
    moved = dataclasses.replace(first, sequence=1, start_utc=START + timedelta(days=1),
                                end_utc=START + timedelta(days=1, hours=1))
    (old, v_old), (new, v_new) = parse(build(first)), parse(build(moved))
    assert str(only_vevent(old)["UID"]) == str(only_vevent(new)["UID"]) == v_new.vevent.uid.value == v_old.vevent.uid.value
    assert only_vevent(new).decoded("SEQUENCE") == 1 > only_vevent(old).decoded("SEQUENCE")
    assert str(new["METHOD"]) == "REQUEST"
    assert v_new.vevent.dtstart.value.astimezone(UTC) == START + timedelta(days=1)


def test_cancellation_is_method_cancel_with_status_cancelled_same_uid_and_all_attendees() -> None:
    cancelled = make_event(status=SessionStatus.CANCELLED, sequence=2)
    cal, vcal = parse(build(cancelled, language="de"))
    event = only_vevent(cal)
    assert str(cal["METHOD"]) == "CANCEL" == vcal.method.value
    assert str(event["STATUS"]) == "CANCELLED" == vcal.vevent.status.value
    assert str(event["UID"]) == "session-7@tandem.example"
    assert event.decoded("SEQUENCE") == 2
    assert [str(a) for a in event["ATTENDEE"]] == ["mailto:wang@panjin.example", "mailto:anna@hamburg.example"]
    assert str(event["SUMMARY"]).startswith("Abgesagt: ")
    assert "Dieses Treffen wurde abgesagt." in str(event["DESCRIPTION"])
    assert not event.walk("VALARM")


# --- one valid iTIP form for every recipient (RFC 5546) ----------------------------------------

# RFC 5546's presence rules for the VEVENT of each method we write (3.2.1 PUBLISH, 3.2.2 REQUEST,
# 3.2.5 CANCEL), for the properties our files carry: property -> (at least, at most or None).
ITIP_PRESENCE = {
    "PUBLISH": {"DTSTAMP": (1, 1), "DTSTART": (1, 1), "ORGANIZER": (1, 1), "SUMMARY": (1, 1), "UID": (1, 1),
                "SEQUENCE": (0, 1), "STATUS": (0, 1), "ATTENDEE": (0, 0), "REQUEST-STATUS": (0, 0)},
    "REQUEST": {"ATTENDEE": (1, None), "DTSTAMP": (1, 1), "DTSTART": (1, 1), "ORGANIZER": (1, 1), "SUMMARY": (1, 1),
                "UID": (1, 1), "SEQUENCE": (0, 1), "STATUS": (0, 1), "REQUEST-STATUS": (0, 0)},
    # "MUST include some or all Attendees if the entire event is cancelled."
    "CANCEL": {"ATTENDEE": (1, None), "DTSTAMP": (1, 1), "ORGANIZER": (1, 1), "SEQUENCE": (1, 1), "UID": (1, 1),
               "STATUS": (1, 1), "REQUEST-STATUS": (0, 0)},
}
ITIP_STATUS = {"PUBLISH": {"TENTATIVE", "CONFIRMED", "CANCELLED"}, "REQUEST": {"TENTATIVE", "CONFIRMED"},
               "CANCEL": {"CANCELLED"}}


def itip_violations(ics: bytes, recipient: str | None) -> list[str]:
    """What in ``ics`` breaks RFC 5546 for its METHOD, or does not address ``recipient`` properly."""
    cal, vcal = parse(ics)
    method = str(cal["METHOD"])
    assert vcal.method.value == method
    event = only_vevent(cal)
    problems = []
    for name, (least, most) in ITIP_PRESENCE[method].items():
        values = event.get(name)
        count = 0 if values is None else len(values) if isinstance(values, list) else 1
        if count < least or (most is not None and count > most):
            problems.append(f"{method}: {name} appears {count} times")
    if "STATUS" in event and str(event["STATUS"]) not in ITIP_STATUS[method]:
        problems.append(f"{method}: STATUS {event['STATUS']}")
    if method != "CANCEL" and event.decoded("SEQUENCE", 0) > 0 and "SEQUENCE" not in event:
        problems.append(f"{method}: SEQUENCE above 0 not written")
    if method == "CANCEL" and event.walk("VALARM"):
        problems.append("CANCEL: VALARM")
    attendees = [str(a).removeprefix("mailto:").casefold() for a in vcal_attendees(vcal)]
    if len(attendees) != len(set(attendees)):
        problems.append(f"{method}: an attendee twice: {attendees}")
    if method in ("REQUEST", "CANCEL") and (recipient is None or recipient.casefold() not in attendees):
        problems.append(f"{method} to {recipient}, who is not an ATTENDEE")
    return problems


def vcal_attendees(vcal: vobject.base.Component) -> list[str]:
    return [a.value for a in getattr(vcal.vevent, "attendee_list", [])]


@pytest.mark.parametrize(
    ("status", "recipient", "method", "status_written"),
    [
        (SessionStatus.CONFIRMED, ANNA.email, "REQUEST", "CONFIRMED"),
        (SessionStatus.CANCELLED, ANNA.email, "CANCEL", "CANCELLED"),
        (SessionStatus.CONFIRMED, "ANNA@Hamburg.Example", "REQUEST", "CONFIRMED"),  # the same mailbox
        # A Telegram-only participant (李娜) and anyone the event does not name as attendee.
        (SessionStatus.CONFIRMED, None, "PUBLISH", "CONFIRMED"),
        (SessionStatus.CANCELLED, None, "PUBLISH", "CANCELLED"),
        (SessionStatus.CONFIRMED, "jonas@hamburg.example", "PUBLISH", "CONFIRMED"),
        (SessionStatus.CANCELLED, "jonas@hamburg.example", "PUBLISH", "CANCELLED"),
    ],
)
def test_a_file_is_a_request_only_for_a_recipient_it_names_as_attendee(
    status: SessionStatus, recipient: str | None, method: str, status_written: str
) -> None:
    event = make_event(status=status, sequence=2 if status is SessionStatus.CANCELLED else 0)
    ics = build(event, recipient=recipient)
    cal, vcal = parse(ics)
    assert str(cal["METHOD"]) == method == vcal.method.value == invite_method(event, recipient).value
    assert str(only_vevent(cal)["STATUS"]) == status_written == vcal.vevent.status.value
    assert itip_violations(ics, recipient) == []


def test_nobody_with_an_address_means_publish_for_everyone() -> None:
    event = make_event(attendees=(LI_WITHOUT_EMAIL,))
    for recipient in (None, ANNA.email):
        ics = build(event, recipient=recipient)
        cal, vcal = parse(ics)
        assert str(cal["METHOD"]) == "PUBLISH" == vcal.method.value
        assert "ATTENDEE" not in only_vevent(cal) and vcal_attendees(vcal) == []
        assert "李娜" in vcal.vevent.description.value  # still named, in the description
        assert itip_violations(ics, recipient) == []


def test_two_participants_with_one_address_are_one_attendee() -> None:
    twin = InviteAttendee("Anna (Büro)", "Anna@HAMBURG.example", "de")
    cal, vcal = parse(build(make_event(attendees=(WANG, ANNA, twin))))
    assert [str(a) for a in only_vevent(cal)["ATTENDEE"]] == ["mailto:wang@panjin.example", "mailto:anna@hamburg.example"]
    assert vcal_attendees(vcal) == ["mailto:wang@panjin.example", "mailto:anna@hamburg.example"]


addresses = st.sampled_from(["wang@panjin.example", "WANG@Panjin.Example", "anna@hamburg.example",
                             "a+b.c@xn--bcher-kva.example", "jonas@hamburg.example"])
attendee_lists = st.lists(
    st.builds(InviteAttendee, st.text(min_size=1, max_size=20), st.none() | addresses, st.sampled_from(["en", "zh", "de"])),
    max_size=5,
)


@settings(max_examples=80, deadline=None)
@given(attendees=attendee_lists, recipient=st.none() | addresses,
       status=st.sampled_from(list(SessionStatus)), sequence=st.integers(0, 40))
def test_every_file_is_valid_itip_for_its_recipient_whoever_takes_part(
    attendees: list[InviteAttendee], recipient: str | None, status: SessionStatus, sequence: int
) -> None:
    event = make_event(attendees=tuple(attendees), status=status, sequence=sequence)
    ics = build(event, recipient=recipient)
    assert itip_violations(ics, recipient) == []
    named = {a.email.casefold() for a in attendees if a.email}
    expected = ("PUBLISH" if recipient is None or recipient.casefold() not in named
                else "CANCEL" if status is SessionStatus.CANCELLED else "REQUEST")
    assert str(Calendar.from_ical(ics)["METHOD"]) == expected


def test_a_recipient_without_an_address_follows_the_session_by_uid_through_publish_files() -> None:
    """Invitation, move and cancellation as a Telegram-only participant's calendar imports them."""
    first = make_event()
    moved = dataclasses.replace(first, sequence=1, start_utc=START + timedelta(days=1), end_utc=START + timedelta(days=1, hours=1))
    cancelled = dataclasses.replace(moved, sequence=2, status=SessionStatus.CANCELLED)
    seen = []
    for event in (first, moved, cancelled):
        ics = build(event, language="zh", zone="Asia/Shanghai", recipient=None)
        assert itip_violations(ics, None) == []
        cal, vcal = parse(ics)
        vevent = only_vevent(cal)
        seen.append((str(cal["METHOD"]), vcal.vevent.uid.value, int(vcal.vevent.sequence.value),
                     vcal.vevent.status.value, vcal.vevent.dtstart.value.astimezone(UTC), str(vevent["TRANSP"]),
                     len(vevent.walk("VALARM"))))
    assert seen == [
        ("PUBLISH", "session-7@tandem.example", 0, "CONFIRMED", START, "OPAQUE", 2),
        ("PUBLISH", "session-7@tandem.example", 1, "CONFIRMED", START + timedelta(days=1), "OPAQUE", 2),
        ("PUBLISH", "session-7@tandem.example", 2, "CANCELLED", START + timedelta(days=1), "TRANSPARENT", 0),
    ]
    assert invite_summary(cancelled, "zh").startswith("已取消：")


def test_a_cancelled_session_cannot_be_published_as_if_it_were_on() -> None:
    with pytest.raises(InvalidInputError, match="cancelled"):
        build_schedule([make_event(status=SessionStatus.CANCELLED)], language="en", zone="UTC", dtstamp_utc=DTSTAMP)


def test_the_method_cannot_be_chosen_by_the_caller() -> None:
    with pytest.raises(TypeError, match="method"):
        build_invite(make_event(status=SessionStatus.CANCELLED), method="REQUEST",  # type: ignore[call-arg]
                     recipient_language="en", recipient_zone="UTC", recipient_email=ANNA.email,
                     dtstamp_utc=DTSTAMP, reminder_offsets=OFFSETS)


def test_a_recipient_with_a_broken_address_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="'anna at hamburg'"):
        build(make_event(), recipient="anna at hamburg")


# --- alarms are the configured reminders ------------------------------------------------------


def triggers(ics: bytes) -> list[bytes]:
    return [line for line in physical_lines(ics) if line.startswith(b"TRIGGER")]


def test_one_alarm_per_configured_offset_written_in_exact_units() -> None:
    # [reminders] offsets = ["2m", "1m"] and a 10-minute session: no trace of a fixed 15 minutes.
    short = make_event(end_utc=START + timedelta(minutes=10))
    ics = build(short, offsets=(timedelta(minutes=1), timedelta(minutes=2)))
    assert triggers(ics) == [b"TRIGGER:-PT2M", b"TRIGGER:-PT1M"]
    cal, vcal = parse(ics)
    assert [a.trigger.value for a in vcal.vevent.valarm_list] == [timedelta(minutes=-2), timedelta(minutes=-1)]
    assert all(str(a["ACTION"]) == "DISPLAY" and str(a["DESCRIPTION"]) for a in only_vevent(cal).walk("VALARM"))
    assert triggers(build(make_event(), offsets=(timedelta(days=7), timedelta(minutes=90)))) == [
        b"TRIGGER:-PT168H", b"TRIGGER:-PT1H30M"]


@pytest.mark.parametrize(
    ("made_before_start", "expected"),
    [
        (timedelta(hours=30), [b"TRIGGER:-PT24H", b"TRIGGER:-PT1H"]),
        # 2 minutes late for the 24 h reminder: within the bot's grace, so it is sent now, and the
        # calendar shows its alarm now too.
        (timedelta(hours=23, minutes=58), [b"TRIGGER:-PT24H", b"TRIGGER:-PT1H"]),
        (timedelta(hours=5), [b"TRIGGER:-PT1H"]),  # the 24 h reminder is skipped: so is its alarm
        (timedelta(minutes=40), []),
    ],
)
def test_only_alarms_the_bot_still_reminds_of_are_written(made_before_start: timedelta, expected: list[bytes]) -> None:
    assert triggers(build(make_event(), dtstamp=START - made_before_start)) == expected


def test_a_day_before_is_24_real_hours_across_a_clock_change() -> None:
    # Sunday 28 March 2027 10:00 in Lisbon (WEST, 09:00 UTC); 24 h before is Saturday 09:00 WET
    # (09:00 UTC), the bot's reminder. "-P1D" would be Saturday 10:00 local: an hour late.
    start = datetime(2027, 3, 28, 9, 0, tzinfo=UTC)
    ics = build(make_event(start_utc=start, end_utc=start + timedelta(hours=1)), zone="Europe/Lisbon",
                dtstamp=datetime(2027, 3, 22, 8, 0, tzinfo=UTC))
    assert triggers(ics) == [b"TRIGGER:-PT24H", b"TRIGGER:-PT1H"]
    assert b"P1D" not in ics


def test_a_cancellation_carries_no_alarm_in_any_form() -> None:
    cancelled = make_event(status=SessionStatus.CANCELLED, sequence=1)
    assert triggers(build(cancelled)) == [] and triggers(build(cancelled, recipient=None)) == []


# --- unambiguous instants ---------------------------------------------------------------------


def written(ics: bytes, name: str) -> bytes:
    """The VEVENT's ``name`` line as written (DTSTART, DTEND), not the VTIMEZONE's."""
    lines = physical_lines(ics)
    vevent = lines[lines.index(b"BEGIN:VEVENT"):]
    [line] = [line for line in vevent if line.startswith((name.encode() + b":", name.encode() + b";"))]
    return line


@pytest.mark.parametrize(
    ("zone", "start", "dtstart"),
    [
        # Lisbon sets its clocks back at 01:00 UTC on 31 Oct 2027: 01:30 local occurs twice.
        ("Europe/Lisbon", datetime(2027, 10, 31, 0, 30, tzinfo=UTC), b"DTSTART:20271031T003000Z"),  # first pass, WEST
        ("Europe/Lisbon", datetime(2027, 10, 31, 1, 30, tzinfo=UTC), b"DTSTART:20271031T013000Z"),  # second pass, WET
        # Lord Howe goes from +11 to +10:30 at 15:00 UTC on 3 Apr 2027: 01:30-02:00 local twice.
        ("Australia/Lord_Howe", datetime(2027, 4, 3, 14, 45, tzinfo=UTC), b"DTSTART:20270403T144500Z"),
        ("Australia/Lord_Howe", datetime(2027, 4, 3, 15, 15, tzinfo=UTC), b"DTSTART:20270403T151500Z"),
        # Los Angeles, 7 Nov 2027: 01:00-02:00 twice.
        ("America/Los_Angeles", datetime(2027, 11, 7, 9, 15, tzinfo=UTC), b"DTSTART:20271107T091500Z"),
    ],
)
def test_a_start_in_the_repeated_hour_is_written_in_utc(zone: str, start: datetime, dtstart: bytes) -> None:
    ics = build(make_event(start_utc=start, end_utc=start + timedelta(hours=2)), zone=zone)
    assert written(ics, "DTSTART") == dtstart
    assert written(ics, "DTEND") == b"DTEND:" + f"{start + timedelta(hours=2):%Y%m%dT%H%M%SZ}".encode()
    assert b"TZID" not in ics and b"VTIMEZONE" not in ics  # nothing refers to the zone any more
    cal, vcal = parse(ics)
    assert only_vevent(cal).decoded("DTSTART") == start == vcal.vevent.dtstart.value


def test_an_end_in_the_repeated_hour_puts_the_whole_event_in_utc() -> None:
    start = datetime(2027, 10, 30, 23, 30, tzinfo=UTC)  # 00:30 WEST, once; ends 01:30 WEST (first pass)
    ics = build(make_event(start_utc=start, end_utc=start + timedelta(hours=1)), zone="Europe/Lisbon")
    assert (written(ics, "DTSTART"), written(ics, "DTEND")) == (b"DTSTART:20271030T233000Z", b"DTEND:20271031T003000Z")


@pytest.mark.parametrize(
    ("zone", "start", "dtstart"),
    [
        ("Europe/Lisbon", datetime(2027, 10, 30, 0, 30, tzinfo=UTC), b"DTSTART;TZID=Europe/Lisbon:20271030T013000"),
        ("Europe/Lisbon", datetime(2027, 10, 31, 2, 0, tzinfo=UTC), b"DTSTART;TZID=Europe/Lisbon:20271031T020000"),
        # The first minute after the spring gap (01:00 UTC, 02:00 WEST) exists once.
        ("Europe/Lisbon", datetime(2027, 3, 28, 1, 0, tzinfo=UTC), b"DTSTART;TZID=Europe/Lisbon:20270328T020000"),
        ("Pacific/Auckland", datetime(2027, 4, 3, 12, 0, tzinfo=UTC), b"DTSTART;TZID=Pacific/Auckland:20270404T010000"),
        ("Asia/Kathmandu", datetime(2027, 10, 31, 0, 30, tzinfo=UTC), b"DTSTART;TZID=Asia/Kathmandu:20271031T061500"),
    ],
)
def test_a_time_that_occurs_once_stays_local_with_its_tzid(zone: str, start: datetime, dtstart: bytes) -> None:
    ics = build(make_event(start_utc=start, end_utc=start + timedelta(minutes=30)), zone=zone)
    assert written(ics, "DTSTART") == dtstart
    assert b"BEGIN:VTIMEZONE" in ics


def _transitions_2026_2028(zone: str) -> list[datetime]:
    tz = ZoneInfo(zone)
    found, day = [], datetime(2026, 1, 1, tzinfo=UTC)
    before = day.astimezone(tz).utcoffset()
    while day < datetime(2029, 1, 1, tzinfo=UTC):
        day += timedelta(days=1)
        after = day.astimezone(tz).utcoffset()
        if after != before:
            found.append(day)
        before = after
    return found


# Every IANA zone whose offset changes in 2026-2028 (found day by day; the exact instants below).
ZONES_WITH_CHANGES = sorted(z for z in zoneinfo.available_timezones() if _transitions_2026_2028(z))


@functools.lru_cache(maxsize=None)
def exact_transitions(zone: str) -> tuple[datetime, ...]:
    found = zone_transitions(zone, datetime(2026, 1, 1, tzinfo=UTC), datetime(2029, 1, 1, tzinfo=UTC))
    return tuple(instant for instant, _, _ in found)


def test_the_zone_list_covers_the_world() -> None:
    assert len(ZONES_WITH_CHANGES) > 100
    assert {"Europe/Lisbon", "Australia/Lord_Howe", "America/Santiago", "Africa/Casablanca"} <= set(ZONES_WITH_CHANGES)


@settings(max_examples=300, deadline=None)
@given(zone=st.sampled_from(ZONES_WITH_CHANGES), which=st.integers(0, 10**6),
       minutes=st.integers(-180, 180), duration=st.sampled_from([15, 30, 45, 60, 90, 120]))
@example(zone="Europe/Lisbon", which=1, minutes=-30, duration=60)  # 01:30 WEST, 31 Oct 2026
@example(zone="Australia/Lord_Howe", which=0, minutes=-15, duration=30)
def test_every_written_time_reads_as_the_intended_instant_in_every_client(
    zone: str, which: int, minutes: int, duration: int
) -> None:
    transitions = exact_transitions(zone)
    start = transitions[which % len(transitions)] + timedelta(minutes=minutes)
    end = start + timedelta(minutes=duration)
    ics = build(make_event(start_utc=start, end_utc=end), zone=zone, offsets=())
    cal, vcal = parse(ics)
    vevent = only_vevent(cal)
    tz = ZoneInfo(zone)
    for name, instant, v_value in (("DTSTART", start, vcal.vevent.dtstart.value), ("DTEND", end, vcal.vevent.dtend.value)):
        line = written(ics, name)
        assert v_value.astimezone(UTC) == instant  # vobject, with the file's own VTIMEZONE
        if line.endswith(b"Z"):
            assert vevent.decoded(name) == instant
            continue
        assert vevent[name].params["TZID"] == zone
        wall = datetime.strptime(line.rsplit(b":", 1)[1].decode(), "%Y%m%dT%H%M%S")
        # Read as RFC 5545 and Python do (first pass) and as ical.js, libical & co. do (second):
        # both give the intended instant, so no reader can be an hour (or 30 minutes) off.
        assert wall.replace(tzinfo=tz, fold=0).astimezone(UTC) == instant, (zone, name, wall)
        assert wall.replace(tzinfo=tz, fold=1).astimezone(UTC) == instant, (zone, name, wall)
    # And a time that occurs once stays local, so Outlook shows it in the recipient's zone.
    years = {instant.astimezone(tz).year for instant in (start, end)}
    once = all(
        instant.astimezone(tz).replace(tzinfo=None).replace(tzinfo=tz, fold=1).utcoffset() == instant.astimezone(tz).utcoffset()
        and instant.astimezone(tz).replace(tzinfo=None).replace(tzinfo=tz, fold=0).utcoffset() == instant.astimezone(tz).utcoffset()
        for instant in (start, end)
    )
    if once and zone_rules(zone, min(years), max(years)) is not None:
        assert written(ics, "DTSTART").startswith(f"DTSTART;TZID={zone}:".encode())


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"end_utc": START}, "ends"),
        ({"sequence": -1}, "SEQUENCE"),
        ({"uid": " "}, "UID"),
        ({"organizer_email": "programme"}, "'programme'"),
        ({"meeting_link": "meet.jit.si/room"}, "'meet.jit.si/room'"),
        ({"city_b": InviteCity("Hamburg", "Europe/Hamburg")}, "'Europe/Hamburg'"),
        ({"topic_titles": {}}, "topic"),
    ],
)
def test_bad_event_is_refused_with_a_message_naming_the_problem(changes: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        make_event(**changes)


def test_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        make_event(start_utc=datetime(2027, 3, 31, 7, 0))


def test_unknown_recipient_zone_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="Mars/Olympus"):
        build(make_event(), zone="Mars/Olympus")


def test_attendee_with_a_broken_address_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="wang at panjin"):
        InviteAttendee("王小明", "wang at panjin", "zh")


# --- file name ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "zone", "filename"),
    [
        (make_event(), "Asia/Shanghai", "tandem-panjin-hamburg-2027-03-31-1500.ics"),
        (make_event(status=SessionStatus.CANCELLED, sequence=2), "Europe/Berlin", "tandem-panjin-hamburg-2027-03-31-0900-cancelled.ics"),
        (make_event(sequence=1), "Europe/Berlin", "tandem-panjin-hamburg-2027-03-31-0900-update1.ics"),
        # 23:00 UTC on 31 March is 12:00 on 1 April in Auckland (+13) and 16:00 on 31 March in LA (-7).
        (make_event(start_utc=datetime(2027, 3, 31, 23, tzinfo=UTC), end_utc=datetime(2027, 4, 1, 0, tzinfo=UTC)),
         "Pacific/Auckland", "tandem-panjin-hamburg-2027-04-01-1200.ics"),
        (make_event(start_utc=datetime(2027, 3, 31, 23, tzinfo=UTC), end_utc=datetime(2027, 4, 1, 0, tzinfo=UTC)),
         "America/Los_Angeles", "tandem-panjin-hamburg-2027-03-31-1600.ics"),
        (make_event(city_a=InviteCity("盘锦", "Asia/Shanghai"), city_b=InviteCity("Łódź", "Europe/Warsaw")),
         "Europe/Warsaw", "tandem-lodz-2027-03-31-0900.ics"),
    ],
)
def test_file_name_names_both_cities_and_the_recipients_date_and_time(event: InviteEvent, zone: str, filename: str) -> None:
    assert invite_filename(event, zone) == filename


def test_summary_of_a_cancellation_says_so_in_the_recipients_language() -> None:
    assert invite_summary(make_event(status=SessionStatus.CANCELLED), "zh") == "已取消：Panjin – Hamburg：湿地生态保护"


# --- time zones -----------------------------------------------------------------------------


def vtimezone_parts(ics: bytes, zone: str) -> list:
    cal = Calendar.from_ical(ics)
    (component,) = [tz for tz in cal.walk("VTIMEZONE") if str(tz["TZID"]) == zone]
    return component.subcomponents


def test_berlin_is_written_as_last_sunday_rules_of_march_and_october() -> None:
    parts = vtimezone_parts(build(make_event(), zone="Europe/Berlin"), "Europe/Berlin")
    by_kind = {part.name: part for part in parts}
    assert set(by_kind) == {"DAYLIGHT", "STANDARD"}
    daylight, standard = by_kind["DAYLIGHT"], by_kind["STANDARD"]
    assert daylight.decoded("DTSTART") == datetime(1970, 3, 29, 2, 0)
    assert daylight["RRULE"] == {"FREQ": ["YEARLY"], "BYMONTH": [3], "BYDAY": ["-1SU"]}
    assert (daylight.decoded("TZOFFSETFROM"), daylight.decoded("TZOFFSETTO")) == (timedelta(hours=1), timedelta(hours=2))
    assert standard.decoded("DTSTART") == datetime(1970, 10, 25, 3, 0)
    assert standard["RRULE"] == {"FREQ": ["YEARLY"], "BYMONTH": [10], "BYDAY": ["-1SU"]}
    assert (standard.decoded("TZOFFSETFROM"), standard.decoded("TZOFFSETTO")) == (timedelta(hours=2), timedelta(hours=1))
    assert not any("RDATE" in part for part in parts)


def test_shanghai_is_one_standard_part_without_the_1986_to_1991_summer_time() -> None:
    ics = build(make_event(), language="zh", zone="Asia/Shanghai")
    (part,) = vtimezone_parts(ics, "Asia/Shanghai")
    assert part.name == "STANDARD"
    assert part.decoded("TZOFFSETTO") == part.decoded("TZOFFSETFROM") == timedelta(hours=8)
    assert "RRULE" not in part and "RDATE" not in part
    tz = Calendar.from_ical(ics).walk("VTIMEZONE")[0].to_tz(lookup_tzid=False)
    # zoneinfo has summer time on 1 July 1988; the invite's zone (for 2027) rightly has not.
    assert datetime(1988, 7, 1, 12, tzinfo=ZoneInfo("Asia/Shanghai")).utcoffset() == timedelta(hours=9)
    assert datetime(2027, 7, 1, 12, tzinfo=tz).utcoffset() == timedelta(hours=8)


# Zones whose current rule is one weekday rule a year (or no change at all).
STEADY_ZONES = [
    "Europe/Berlin", "Europe/Lisbon", "Europe/London", "Europe/Dublin", "Europe/Helsinki", "Europe/Moscow",
    "Asia/Shanghai", "Asia/Kolkata", "Asia/Kathmandu", "Asia/Tokyo", "Asia/Tehran",
    "America/Los_Angeles", "America/New_York", "America/Sao_Paulo", "America/St_Johns", "America/Havana",
    "Australia/Sydney", "Australia/Adelaide", "Australia/Lord_Howe", "Pacific/Auckland", "Pacific/Chatham",
    "Africa/Johannesburg", "America/Asuncion",
]
# Zones whose rule is "Sunday on or after the 2nd" (Chile), "Friday before the last Sunday"
# (Israel) or the like: one weekday rule fits each year, but not the same one every year.
YEARLY_ZONES = ["America/Santiago", "Asia/Jerusalem", "Africa/Cairo"]


def utc_hours_of_year(year: int):
    moment = datetime(year, 1, 1, tzinfo=UTC)
    while moment.year == year:
        yield moment
        moment += timedelta(hours=1)


@pytest.mark.parametrize(
    ("zone", "year"),
    [(zone, 2027) for zone in STEADY_ZONES + YEARLY_ZONES]
    + [(zone, 2031) for zone in ("America/Santiago", "Asia/Jerusalem", "Australia/Sydney", "Pacific/Auckland",
                                 "America/Los_Angeles", "Europe/Lisbon", "Asia/Shanghai")],
)
def test_vtimezone_gives_zoneinfos_offset_at_every_hour_of_the_year(zone: str, year: int) -> None:
    start = datetime(year, 6, 15, 7, tzinfo=UTC)
    event = make_event(start_utc=start, end_utc=start + timedelta(hours=1))
    ics = build(event, zone=zone)
    assert b"BEGIN:VTIMEZONE" in ics, f"{zone} {year} fell back to UTC"
    cal, vcal = parse(ics)
    from_icalendar = cal.walk("VTIMEZONE")[0].to_tz(lookup_tzid=False)  # the file's rules, not the TZID
    from_vobject = vcal.vtimezone.gettzinfo()
    reference = ZoneInfo(zone)

    # For every UTC hour, zoneinfo's wall-clock time (with its fold in the repeated hour), read in
    # the file's zone, must have zoneinfo's offset, i.e. map back to the very same UTC instant.
    for instant in utc_hours_of_year(year):
        local = instant.astimezone(reference)
        assert local.replace(tzinfo=from_icalendar).utcoffset() == local.utcoffset(), (zone, instant)
        assert local.replace(tzinfo=from_vobject).utcoffset() == local.utcoffset(), (zone, instant)
    # And the event itself sits at the right instant for both parsers.
    assert only_vevent(cal).decoded("DTSTART").astimezone(UTC) == start
    assert vcal.vevent.dtstart.value.astimezone(UTC) == start


@pytest.mark.parametrize("zone", STEADY_ZONES)
def test_one_rule_reproduces_every_transition_of_a_decade(zone: str) -> None:
    rules = zone_rules(zone, 2027, 2036)
    assert rules is not None
    start, end = datetime(2026, 12, 31, tzinfo=UTC), datetime(2037, 1, 2, tzinfo=UTC)
    assert rules.transitions(start, end) == zone_transitions(zone, start, end)


@pytest.mark.parametrize("zone", YEARLY_ZONES)
def test_irregular_zone_gets_an_exact_rule_for_each_year_alone(zone: str) -> None:
    assert zone_rules(zone, 2027, 2036) is None  # so a decade-long export falls back to UTC
    for year in range(2027, 2037):
        rules = zone_rules(zone, year, year)
        assert rules is not None, year
        start, end = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
        assert len(zone_transitions(zone, start, end)) == 2
        assert rules.transitions(start, end) == zone_transitions(zone, start, end)


def test_zone_without_a_yearly_rule_falls_back_to_utc_times() -> None:
    # Samoa dropped summer time in 2021: one change that year (April), none after.
    assert zone_rules("Pacific/Apia", 2021, 2021) is None
    start = datetime(2021, 3, 10, 1, tzinfo=UTC)
    event = make_event(start_utc=start, end_utc=start + timedelta(hours=1))
    ics = build(event, zone="Pacific/Apia")
    assert b"VTIMEZONE" not in ics
    assert b"DTSTART:20210310T010000Z\r\n" in ics
    cal, vcal = parse(ics)
    assert only_vevent(cal).decoded("DTSTART") == start == vcal.vevent.dtstart.value


def test_schedule_spanning_a_years_rule_change_falls_back_to_utc() -> None:
    # Mexico City had summer time in 2022 and none from 2023: no single yearly rule covers both.
    assert zone_rules("America/Mexico_City", 2022, 2022) is not None
    assert zone_rules("America/Mexico_City", 2022, 2023) is None
    events = [
        make_event(uid=f"s{day.year}@tandem.example", start_utc=day, end_utc=day + timedelta(hours=1))
        for day in (datetime(2022, 6, 1, 15, tzinfo=UTC), datetime(2023, 6, 1, 15, tzinfo=UTC))
    ]
    ics = build_schedule(events, language="en", zone="America/Mexico_City", dtstamp_utc=DTSTAMP)
    assert b"VTIMEZONE" not in ics
    cal, vcal = parse(ics)
    assert [e.decoded("DTSTART") for e in cal.walk("VEVENT")] == [e.start_utc for e in events]
    assert [v.dtstart.value for v in vcal.vevent_list] == [e.start_utc for e in events]


def test_every_tzid_in_a_file_has_its_vtimezone() -> None:
    for zone in ("Europe/Berlin", "Asia/Shanghai", "America/Santiago"):
        cal = Calendar.from_ical(build(make_event(), zone=zone))
        used = {str(p.params["TZID"]) for e in cal.walk("VEVENT") for p in (e["DTSTART"], e["DTEND"])}
        defined = {str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")}
        assert used == defined == {zone}


def test_vtimezone_dtstart_is_an_occurrence_of_its_own_rule() -> None:
    rules = zone_rules("America/Los_Angeles", 2027, 2027)
    assert rules is not None
    component = vtimezone(rules)
    starts = {part.name: part.decoded("DTSTART") for part in component.subcomponents}
    # 1970: second Sunday of March was the 8th, first Sunday of November the 1st.
    assert starts == {"DAYLIGHT": datetime(1970, 3, 8, 2, 0), "STANDARD": datetime(1970, 11, 1, 2, 0)}
