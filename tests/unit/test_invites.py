"""The invite builder, read back by icalendar and by vobject (an independent parser)."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import vobject
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from bot.domain import InvalidInputError, SessionStatus
from bot.invites import (
    InviteAttendee,
    InviteCity,
    InviteEvent,
    InviteMethod,
    build_invite,
    build_schedule,
    invite_filename,
    invite_summary,
    vtimezone,
    zone_rules,
    zone_transitions,
)

UTC = timezone.utc
DTSTAMP = datetime(2027, 3, 22, 8, 0, tzinfo=UTC)
START = datetime(2027, 3, 31, 7, 0, tzinfo=UTC)  # 15:00 in Panjin, 09:00 in Hamburg (CEST since 28 March)
LINK = "https://meet.jit.si/tandem-7hq2mzd4vkc3rqx5"

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


def build(event: InviteEvent, language: str = "en", zone: str = "Europe/Berlin", **kwargs: object) -> bytes:
    return build_invite(event, recipient_language=language, recipient_zone=zone, dtstamp_utc=DTSTAMP, **kwargs)


def parse(ics: bytes) -> tuple[Calendar, vobject.base.Component]:
    """The same bytes through both parsers."""
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

    alarms = event.walk("VALARM")
    assert len(alarms) == 1
    assert str(alarms[0]["ACTION"]) == "DISPLAY"
    assert alarms[0].decoded("TRIGGER") == timedelta(minutes=-15)
    assert vevent.valarm.trigger.value == timedelta(minutes=-15)


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
    cal, vcal = parse(build(make_event(), language="zh", zone="Asia/Shanghai"))
    event = only_vevent(cal)
    assert all("李娜" not in a.params["CN"] for a in event["ATTENDEE"])
    assert "李娜" in str(event["DESCRIPTION"])
    assert "参会人员：王小明、Anna Schmidt、李娜" in vcal.vevent.description.value


def test_request_without_any_address_has_no_attendee_but_still_parses() -> None:
    cal, vcal = parse(build(make_event(attendees=(LI_WITHOUT_EMAIL,))))
    assert "ATTENDEE" not in only_vevent(cal)
    assert not hasattr(vcal.vevent, "attendee")


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


def test_description_shows_the_time_in_both_cities() -> None:
    cal, _ = parse(build(make_event(), language="en"))
    description = str(only_vevent(cal)["DESCRIPTION"])
    assert "In Panjin: Wed 31 Mar 2027, 15:00" in description
    assert "In Hamburg: Wed 31 Mar 2027, 09:00" in description


def test_dtstamp_is_the_given_instant_in_utc() -> None:
    stamp = datetime(2027, 3, 22, 9, 30, 15, tzinfo=ZoneInfo("Europe/Berlin"))
    ics = build_invite(make_event(), recipient_language="en", recipient_zone="UTC", dtstamp_utc=stamp)
    assert b"DTSTAMP:20270322T083015Z\r\n" in ics


def test_utc_recipient_gets_utc_times_and_no_vtimezone() -> None:
    ics = build(make_event(), zone="UTC")
    assert b"DTSTART:20270331T070000Z\r\n" in ics
    assert b"VTIMEZONE" not in ics


def test_alarm_can_be_left_out() -> None:
    assert b"VALARM" not in build(make_event(), alarm_minutes_before=None)


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
    cal, vcal = parse(build(make_event(attendees=(quoted,))))
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


@pytest.mark.parametrize(
    ("status", "method"),
    [(SessionStatus.CONFIRMED, InviteMethod.REQUEST), (SessionStatus.CANCELLED, InviteMethod.CANCEL)],
)
def test_method_follows_from_the_session_status(status: SessionStatus, method: InviteMethod) -> None:
    event = make_event(status=status)
    assert event.method is method
    cal, _ = parse(build(event))
    assert str(cal["METHOD"]) == method.value


def test_a_cancelled_session_cannot_be_published_as_if_it_were_on() -> None:
    with pytest.raises(InvalidInputError, match="cancelled"):
        build_schedule([make_event(status=SessionStatus.CANCELLED)], language="en", zone="UTC", dtstamp_utc=DTSTAMP)


def test_the_method_cannot_be_chosen_by_the_caller() -> None:
    with pytest.raises(TypeError):
        build_invite(make_event(status=SessionStatus.CANCELLED), method="REQUEST",  # type: ignore[call-arg]
                     recipient_language="en", recipient_zone="UTC", dtstamp_utc=DTSTAMP)


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
