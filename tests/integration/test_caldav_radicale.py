"""Invites stored on a real CalDAV server (Radicale 3, in-process on 127.0.0.1, a temporary folder).

Radicale reads the files with its own parsing and time-range code, so a query by UTC time-range
checks that the VTIMEZONE places the meeting at the intended instant.
"""

from __future__ import annotations

import dataclasses
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, make_server

import httpx
import pytest
import radicale
import vobject
from icalendar import Calendar
from radicale import config as radicale_config

from bot.domain import SessionStatus
from bot.invites import InviteAttendee, InviteCity, InviteEvent, build_invite

UTC = timezone.utc
DTSTAMP = datetime(2027, 3, 22, 8, 0, tzinfo=UTC)
START = datetime(2027, 3, 31, 7, 0, tzinfo=UTC)
CALENDAR = "/tandem/programme/"
DAV = "{DAV:}"
CALDAV = "{urn:ietf:params:xml:ns:caldav}"

EVENT = InviteEvent(
    uid="session-7@tandem.example", sequence=0, status=SessionStatus.CONFIRMED,
    start_utc=START, end_utc=START + timedelta(hours=1),
    topic_titles={"en": "Ecological protection of wetlands", "zh": "湿地生态保护"},
    city_a=InviteCity("Panjin", "Asia/Shanghai"), city_b=InviteCity("Lisbon", "Europe/Lisbon"),
    organizer_name="Panjin – EU pilot cities", organizer_email="programme@tandem.example",
    meeting_link="https://meet.jit.si/tandem-7hq2mzd4vkc3rqx5",
    attendees=(InviteAttendee("王小明", "wang@panjin.example", "zh"),
               InviteAttendee("Ana Costa", "ana@lisboa.example", "en")),
)


def invite(event: InviteEvent, zone: str, dtstamp: datetime = DTSTAMP, recipient: str | None = "ana@lisboa.example") -> bytes:
    """The file Ana (an attendee) or, with ``recipient=None``, a Telegram-only participant receives."""
    return build_invite(event, recipient_language="en", recipient_zone=zone, recipient_email=recipient,
                        dtstamp_utc=dtstamp, reminder_offsets=(timedelta(hours=24), timedelta(hours=1)))


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def caldav(tmp_path: Path) -> Iterator[httpx.Client]:
    """A Radicale server on a free port of 127.0.0.1 with one empty calendar, and a client for it."""
    configuration = radicale_config.load()
    configuration.update(
        {"storage": {"filesystem_folder": str(tmp_path / "collections")},
         "auth": {"type": "none"}, "rights": {"type": "owner_only"}},
        "tandem test", privileged=True,
    )
    server = make_server("127.0.0.1", 0, radicale.Application(configuration), handler_class=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    # With auth type "none" any name is accepted; it only decides whose collections these are.
    client = httpx.Client(base_url=f"http://127.0.0.1:{server.server_port}", auth=("tandem", "-"), timeout=10)
    try:
        assert client.request("MKCALENDAR", CALENDAR).status_code == 201
        yield client
    finally:
        client.close()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def put(client: httpx.Client, href: str, ics: bytes) -> int:
    response = client.put(href, content=ics, headers={"Content-Type": "text/calendar; charset=utf-8"})
    assert response.status_code in (201, 204), response.text
    return response.status_code


def hrefs_in_range(client: httpx.Client, start_utc: datetime, end_utc: datetime) -> list[str]:
    """The hrefs a CalDAV calendar-query with a UTC time-range returns."""
    body = f"""<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
    <C:time-range start="{start_utc:%Y%m%dT%H%M%SZ}" end="{end_utc:%Y%m%dT%H%M%SZ}"/>
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>"""
    response = client.request("REPORT", CALENDAR, content=body.encode(),
                              headers={"Depth": "1", "Content-Type": "application/xml; charset=utf-8"})
    assert response.status_code == 207, response.text
    found = []
    for item in ET.fromstring(response.content).iter(f"{DAV}response"):
        statuses = [s.text or "" for s in item.iter(f"{DAV}status")]
        if any(" 200 " in s for s in statuses):
            found.append(item.findtext(f"{DAV}href"))
    return found


def all_hrefs(client: httpx.Client) -> list[str]:
    response = client.request("PROPFIND", CALENDAR, headers={"Depth": "1"},
                              content=b'<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:getetag/>'
                                      b"</D:prop></D:propfind>")
    assert response.status_code == 207
    hrefs = [r.findtext(f"{DAV}href") for r in ET.fromstring(response.content).iter(f"{DAV}response")]
    return sorted(h for h in hrefs if h and h.rstrip("/") != CALENDAR.rstrip("/"))


def get_event(client: httpx.Client, href: str):
    response = client.get(href)
    assert response.status_code == 200
    cal = Calendar.from_ical(response.content)
    (event,) = cal.walk("VEVENT")
    return cal, event, vobject.readOne(response.content.decode("utf-8")).vevent


def just_around(instant: datetime) -> tuple[datetime, datetime]:
    return instant - timedelta(minutes=1), instant + timedelta(minutes=1)


@pytest.mark.parametrize("zone", ["Europe/Lisbon", "Asia/Shanghai", "Pacific/Auckland", "America/Santiago"])
def test_invite_is_stored_and_found_at_the_same_utc_instant(caldav: httpx.Client, zone: str) -> None:
    href = CALENDAR + "session-7.ics"
    put(caldav, href, invite(EVENT, zone))

    cal, event, vevent = get_event(caldav, href)
    assert str(event["UID"]) == EVENT.uid == vevent.uid.value
    assert event.decoded("SEQUENCE") == 0
    assert event["DTSTART"].params["TZID"] == zone
    assert event.decoded("DTSTART").astimezone(UTC) == START == vevent.dtstart.value.astimezone(UTC)
    assert [str(a) for a in event["ATTENDEE"]] == ["mailto:wang@panjin.example", "mailto:ana@lisboa.example"]

    assert hrefs_in_range(caldav, *just_around(START)) == [href]
    # An hour off either way (a wrong offset would land there) finds nothing.
    assert hrefs_in_range(caldav, START - timedelta(hours=2), START - timedelta(minutes=1)) == []
    assert hrefs_in_range(caldav, START + timedelta(hours=1), START + timedelta(hours=3)) == []


def test_update_replaces_the_event_and_cancellation_is_recorded(caldav: httpx.Client) -> None:
    href = CALENDAR + "session-7.ics"
    zone = "Europe/Lisbon"
    assert put(caldav, href, invite(EVENT, zone)) == 201

    new_start = START + timedelta(days=2, hours=1)
    moved = dataclasses.replace(EVENT, sequence=1, start_utc=new_start, end_utc=new_start + timedelta(hours=1))
    assert put(caldav, href, invite(moved, zone, DTSTAMP + timedelta(days=1))) == 204
    _, event, vevent = get_event(caldav, href)
    assert str(event["UID"]) == EVENT.uid
    assert event.decoded("SEQUENCE") == 1 and int(vevent.sequence.value) == 1
    assert vevent.dtstart.value.astimezone(UTC) == new_start
    assert all_hrefs(caldav) == [href]  # replaced, not added
    assert hrefs_in_range(caldav, *just_around(START)) == []
    assert hrefs_in_range(caldav, *just_around(new_start)) == [href]

    cancelled = dataclasses.replace(moved, sequence=2, status=SessionStatus.CANCELLED)
    assert put(caldav, href, invite(cancelled, zone, DTSTAMP + timedelta(days=2))) == 204
    cal, event, vevent = get_event(caldav, href)
    assert str(cal["METHOD"]) == "CANCEL"
    assert str(event["STATUS"]) == "CANCELLED" == vevent.status.value
    assert str(event["UID"]) == EVENT.uid
    assert event.decoded("SEQUENCE") == 2
    assert [str(a) for a in event["ATTENDEE"]] == ["mailto:wang@panjin.example", "mailto:ana@lisboa.example"]
    assert all_hrefs(caldav) == [href]


def test_a_recipient_without_an_address_keeps_one_event_by_uid_through_publish_files(caldav: httpx.Client) -> None:
    """PUBLISH, the form for someone an invitation cannot name as ATTENDEE: the server files it by
    UID like a REQUEST, an update replaces it, and its cancellation is recorded as CANCELLED."""
    href = CALENDAR + "session-7.ics"
    zone = "Asia/Shanghai"
    first = invite(EVENT, zone, recipient=None)
    assert b"METHOD:PUBLISH" in first and b"ATTENDEE" not in first
    assert put(caldav, href, first) == 201

    new_start = START + timedelta(days=2, hours=1)
    moved = dataclasses.replace(EVENT, sequence=1, start_utc=new_start, end_utc=new_start + timedelta(hours=1))
    update = invite(moved, zone, DTSTAMP + timedelta(days=1), recipient=None)
    # The UID names the event: the same UID under a second name is refused, not stored twice.
    elsewhere = caldav.put(CALENDAR + "another-name.ics", content=update,
                           headers={"Content-Type": "text/calendar; charset=utf-8"})
    assert elsewhere.status_code in (403, 409), elsewhere.status_code
    assert put(caldav, href, update) == 204
    cal, event, vevent = get_event(caldav, href)
    assert str(cal["METHOD"]) == "PUBLISH"
    assert (vevent.uid.value, int(vevent.sequence.value)) == (EVENT.uid, 1)
    assert all_hrefs(caldav) == [href]
    assert hrefs_in_range(caldav, *just_around(START)) == []
    assert hrefs_in_range(caldav, *just_around(new_start)) == [href]

    cancelled = dataclasses.replace(moved, sequence=2, status=SessionStatus.CANCELLED)
    assert put(caldav, href, invite(cancelled, zone, DTSTAMP + timedelta(days=2), recipient=None)) == 204
    cal, event, vevent = get_event(caldav, href)
    assert (str(cal["METHOD"]), vevent.status.value, int(vevent.sequence.value)) == ("PUBLISH", "CANCELLED", 2)
    assert "ATTENDEE" not in event and not event.walk("VALARM")
    assert all_hrefs(caldav) == [href]


@pytest.mark.parametrize(
    "start",
    [datetime(2027, 10, 31, 0, 30, tzinfo=UTC), datetime(2027, 10, 31, 1, 30, tzinfo=UTC)],
    ids=["01:30 WEST, first pass", "01:30 WET, second pass"],
)
def test_a_meeting_in_lisbons_repeated_hour_is_found_at_its_own_instant(caldav: httpx.Client, start: datetime) -> None:
    href = CALENDAR + "repeated-hour.ics"
    event = dataclasses.replace(EVENT, start_utc=start, end_utc=start + timedelta(minutes=30))
    put(caldav, href, invite(event, "Europe/Lisbon", dtstamp=datetime(2027, 10, 20, tzinfo=UTC)))
    assert hrefs_in_range(caldav, *just_around(start)) == [href]
    # The other pass of the same wall time, an hour away, is not where the server put it.
    other_pass = start + timedelta(hours=1) if start.hour == 0 else start - timedelta(hours=1)
    assert hrefs_in_range(caldav, other_pass - timedelta(minutes=1), other_pass + timedelta(minutes=1)) == []
    _, _, vevent = get_event(caldav, href)
    assert vevent.dtstart.value == start
