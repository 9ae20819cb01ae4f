"""The schedule export: one PUBLISH calendar and a CSV."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import vobject
from icalendar import Calendar

from bot.domain import SessionStatus
from bot.export import CSV_COLUMNS, ExportRow, schedule_csv, schedule_ics

UTC = timezone.utc
DTSTAMP = datetime(2027, 3, 22, 8, 0, tzinfo=UTC)


def row(uid: str, start: datetime, status: SessionStatus = SessionStatus.CONFIRMED, **changes: object) -> ExportRow:
    values: dict[str, object] = dict(
        uid=uid, sequence=0, status=status, start_utc=start, end_utc=start + timedelta(hours=1),
        topic_title="Ecological protection of wetlands",
        city_a_name="Panjin", city_a_zone="Asia/Shanghai",
        city_b_name="Lisbon", city_b_zone="Europe/Lisbon",
        meeting_link=f"https://meet.jit.si/tandem-{uid}",
    )
    values.update(changes)
    return ExportRow(**values)  # type: ignore[arg-type]


ROWS = [
    # Given out of order on purpose; the export sorts by start.
    row("s3", datetime(2027, 4, 7, 8, 0, tzinfo=UTC), sequence=2),
    row("s1", datetime(2027, 3, 26, 9, 0, tzinfo=UTC)),  # before Lisbon's clock change: 09:00 WET
    row("s2", datetime(2027, 3, 30, 9, 0, tzinfo=UTC), status=SessionStatus.CANCELLED),
    row("s4", datetime(2027, 4, 1, 20, 0, tzinfo=UTC), topic_title="智慧城市运营管理",
        city_a_name="Auckland", city_a_zone="Pacific/Auckland",
        city_b_name="Los Angeles", city_b_zone="America/Los_Angeles"),
]


def export(**kwargs: object) -> bytes:
    return schedule_ics(ROWS, DTSTAMP, organizer_name="Programme team", organizer_email="programme@tandem.example",
                        **kwargs)  # type: ignore[arg-type]


def test_ics_publishes_one_vevent_per_confirmed_session_in_start_order() -> None:
    ics = export()
    cal, vcal = Calendar.from_ical(ics), vobject.readOne(ics.decode("utf-8"))
    assert str(cal["METHOD"]) == "PUBLISH" == vcal.method.value
    events = cal.walk("VEVENT")
    assert [str(e["UID"]) for e in events] == ["s1", "s4", "s3"] == [v.uid.value for v in vcal.vevent_list]
    starts = [e.decoded("DTSTART") for e in events]
    assert starts == [
        datetime(2027, 3, 26, 9, tzinfo=UTC), datetime(2027, 4, 1, 20, tzinfo=UTC), datetime(2027, 4, 7, 8, tzinfo=UTC),
    ]
    assert [v.dtstart.value for v in vcal.vevent_list] == starts


def test_ics_events_carry_uid_sequence_status_link_and_organizer_but_no_attendees() -> None:
    cal = Calendar.from_ical(export())
    by_uid = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    s3 = by_uid["s3"]
    assert s3.decoded("SEQUENCE") == 2
    assert str(s3["STATUS"]) == "CONFIRMED"
    assert str(s3["LOCATION"]) == "https://meet.jit.si/tandem-s3" == str(s3["URL"])
    assert str(s3["ORGANIZER"]) == "mailto:programme@tandem.example"
    assert s3.decoded("DTSTAMP") == DTSTAMP
    assert all("ATTENDEE" not in e and not e.walk("VALARM") for e in cal.walk("VEVENT"))
    assert str(by_uid["s4"]["SUMMARY"]) == "Auckland – Los Angeles: 智慧城市运营管理"


def test_ics_in_a_zone_has_its_vtimezone_and_the_same_instants() -> None:
    ics = export(zone="Europe/Lisbon")
    cal, vcal = Calendar.from_ical(ics), vobject.readOne(ics.decode("utf-8"))
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/Lisbon"]
    events = cal.walk("VEVENT")
    assert events[0]["DTSTART"].to_ical() == b"20270326T090000"  # WET, +00:00
    assert events[1]["DTSTART"].to_ical() == b"20270401T210000"  # WEST, +01:00 since 28 March
    assert [e.decoded("DTSTART").astimezone(UTC) for e in events] == [
        datetime(2027, 3, 26, 9, tzinfo=UTC), datetime(2027, 4, 1, 20, tzinfo=UTC), datetime(2027, 4, 7, 8, tzinfo=UTC),
    ]
    assert [v.dtstart.value.astimezone(UTC) for v in vcal.vevent_list] == [
        e.decoded("DTSTART").astimezone(UTC) for e in events
    ]


def test_empty_schedule_is_a_valid_calendar_without_events() -> None:
    ics = schedule_ics([], DTSTAMP, organizer_name="Programme team", organizer_email="programme@tandem.example")
    cal = Calendar.from_ical(ics)
    assert str(cal["METHOD"]) == "PUBLISH"
    assert cal.walk("VEVENT") == []


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_csv_lists_every_session_with_both_local_times_sorted_by_start() -> None:
    text = schedule_csv(ROWS)
    assert text.startswith(",".join(CSV_COLUMNS) + "\r\n")
    records = read_csv(text)
    assert [r["uid"] for r in records] == ["s1", "s2", "s4", "s3"]
    assert [r["status"] for r in records] == ["confirmed", "cancelled", "confirmed", "confirmed"]
    s1, s2, s4, _ = records
    # 26 March: Lisbon still on WET (+00:00); 30 March: WEST (+01:00) since the 28th.
    assert (s1["start_utc"], s1["start_city_a"], s1["start_city_b"]) == (
        "2027-03-26T09:00:00Z", "2027-03-26T17:00:00+08:00", "2027-03-26T09:00:00+00:00")
    assert (s2["start_utc"], s2["start_city_b"]) == ("2027-03-30T09:00:00Z", "2027-03-30T10:00:00+01:00")
    # Auckland is already on 2 April while Los Angeles is still on 1 April.
    assert (s4["start_city_a"], s4["start_city_b"]) == ("2027-04-02T09:00:00+13:00", "2027-04-01T13:00:00-07:00")
    assert s4["topic"] == "智慧城市运营管理"
    assert (s4["city_a"], s4["city_a_zone"], s4["city_b"], s4["city_b_zone"]) == (
        "Auckland", "Pacific/Auckland", "Los Angeles", "America/Los_Angeles")
    assert s1["meeting_link"] == "https://meet.jit.si/tandem-s1"
    assert s1["end_utc"] == "2027-03-26T10:00:00Z"


def test_csv_quotes_commas_and_quotes_in_values() -> None:
    tricky = row("s9", datetime(2027, 5, 3, 8, tzinfo=UTC), topic_title='Tourism planning, "expert" exchange')
    (record,) = read_csv(schedule_csv([tricky]))
    assert record["topic"] == 'Tourism planning, "expert" exchange'
