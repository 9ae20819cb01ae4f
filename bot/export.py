"""The programme's schedule as files: one ``.ics`` (``METHOD:PUBLISH``) and a CSV. Pure.

``tandem export`` turns stored sessions into ``ExportRow``s and writes what these return. The
``.ics`` holds the confirmed sessions only (a published calendar shows what will happen); the CSV
lists every row it is given with its status, so a cancelled session stays visible in the
programme's records. Both are sorted by start, then UID, so two exports of the same data are
identical.

The official days off and working days the coordinators entered go to a CSV of their own, in the
form ``tandem holidays import`` reads (so it moves them to another installation as they are), with
who entered each and when.

The CSV is text with RFC 4180 line ends (CRLF); write it as ``utf-8-sig`` so that Excel reads
Chinese city names and topics right.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain import DayOverride, DayOverrideKind, SessionStatus, utc
from bot.i18n import normalize_language
from bot.invites import InviteCity, InviteEvent, build_schedule

CSV_COLUMNS = (
    "uid", "status", "topic",
    "city_a", "city_a_zone", "city_b", "city_b_zone",
    "start_utc", "end_utc", "start_city_a", "start_city_b",
    "meeting_link", "sequence",
)


@dataclass(frozen=True)
class ExportRow:
    """One session as the export needs it, in plain values."""

    uid: str
    sequence: int
    status: SessionStatus
    start_utc: datetime
    end_utc: datetime
    topic_title: str  # already in the export's language
    city_a_name: str
    city_a_zone: str
    city_b_name: str
    city_b_zone: str
    meeting_link: str


def schedule_ics(
    rows: Iterable[ExportRow],
    dtstamp_utc: datetime,
    *,
    organizer_name: str,
    organizer_email: str,
    language: str = "en",
    zone: str = "UTC",
) -> bytes:
    """All confirmed sessions as one ``METHOD:PUBLISH`` calendar, times in ``zone`` (UTC by default)."""
    language = normalize_language(language)
    events = [
        InviteEvent(
            uid=row.uid, sequence=row.sequence, status=row.status,
            start_utc=row.start_utc, end_utc=row.end_utc,
            topic_titles={language: row.topic_title},
            city_a=InviteCity(row.city_a_name, row.city_a_zone),
            city_b=InviteCity(row.city_b_name, row.city_b_zone),
            organizer_name=organizer_name, organizer_email=organizer_email,
            meeting_link=row.meeting_link,
        )
        for row in _sorted(rows)
        if row.status is SessionStatus.CONFIRMED
    ]
    return build_schedule(events, language=language, zone=zone, dtstamp_utc=dtstamp_utc)


def schedule_csv(rows: Iterable[ExportRow]) -> str:
    """Every row as CSV: both cities, topic, start in UTC and in both cities' local time, link, status."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in _sorted(rows):
        start, end = utc(row.start_utc), utc(row.end_utc)
        writer.writerow((
            row.uid, row.status.value, row.topic_title,
            row.city_a_name, row.city_a_zone, row.city_b_name, row.city_b_zone,
            _iso_utc(start), _iso_utc(end),
            start.astimezone(ZoneInfo(row.city_a_zone)).isoformat(),
            start.astimezone(ZoneInfo(row.city_b_zone)).isoformat(),
            row.meeting_link, row.sequence,
        ))
    return buffer.getvalue()


OFFICIAL_DAY_COLUMNS = ("country", "date", "kind", "weekday", "name", "subdivision", "added_by", "added_at_utc")
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def official_days_csv(overrides: Iterable[DayOverride]) -> str:
    """The entered official days, by date: the columns ``tandem holidays import`` reads, then who and when."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(OFFICIAL_DAY_COLUMNS)
    for o in sorted(overrides, key=lambda o: (o.day, o.country, o.subdivision or "")):
        writer.writerow((
            o.country, o.day.isoformat(), o.kind.value,
            _WEEKDAYS[o.works_as_weekday] if o.kind is DayOverrideKind.WORKING_DAY and o.works_as_weekday is not None else "",
            o.name, o.subdivision or "", o.added_by or "", _iso_utc(o.added_at) if o.added_at else "",
        ))
    return buffer.getvalue()


def _sorted(rows: Iterable[ExportRow]) -> list[ExportRow]:
    return sorted(rows, key=lambda row: (utc(row.start_utc), row.uid))


def _iso_utc(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")
