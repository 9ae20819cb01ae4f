"""Calendar invites: a session in, iCalendar bytes out (RFC 5545 with iTIP, RFC 5546).

Pure: no clock (``dtstamp_utc`` is passed in), no Telegram, no database. One VEVENT per invite,
built with icalendar, which also gives us CRLF line ends and folding at 75 octets that never
splits a multi-byte UTF-8 character.

Decisions, and why
------------------

*The method follows the status and the recipient.* ``build_invite`` takes no method; it takes
the recipient's address, and :func:`invite_method` decides:

=========================================  =======================  =========================
the recipient                              session confirmed        session cancelled
=========================================  =======================  =========================
is an ATTENDEE of the event (by address)   ``REQUEST``, CONFIRMED   ``CANCEL``, CANCELLED
has no address, or is not an attendee      ``PUBLISH``, CONFIRMED   ``PUBLISH``, CANCELLED
=========================================  =======================  =========================

RFC 5546 makes one or more ATTENDEE a MUST of a REQUEST (3.2.2), and a REQUEST is a question to
the attendees it names: one that does not name its recipient (or names nobody) is outside the
protocol, and clients may refuse or mishandle it. A participant we know only on Telegram, who has
given no address, therefore gets ``PUBLISH`` (3.2.1: "Any CU may add published components to
their calendar"; ORGANIZER required, ATTENDEE not allowed, STATUS may be CONFIRMED or CANCELLED,
VALARM allowed; "the Organizer may subsequently update (with another PUBLISH) ... a previously
published VEVENT"). A calendar keeps the published event under its UID: the update of a moved
session is another PUBLISH with the same UID and a higher SEQUENCE, and its cancellation a PUBLISH
with ``STATUS:CANCELLED`` -- not ``METHOD:CANCEL``, which like REQUEST is addressed to attendees
(3.2.5).
For clients that do not act on STATUS, a cancelled event also says "Cancelled:" in its SUMMARY
and DESCRIPTION and is ``TRANSP:TRANSPARENT`` (it no longer blocks the time). Either way nothing
is lost: the participants without an address are named in the DESCRIPTION, and the Telegram
message carries "I'll attend" / "I can't attend". ``build_schedule`` (the export) is PUBLISH for
the same reason and accepts confirmed sessions only.

The ``SEQUENCE`` is the stored one: the service raises it on every reschedule and on
cancellation (a cancellation carries a sequence higher than the last invitation, since the
stored value only ever increases), so every form -- REQUEST, CANCEL, PUBLISH -- replaces the
one before it.

*Participants without an e-mail address* are not written as ``ATTENDEE``: an attendee's address
is where calendar clients send the RSVP (``RSVP=TRUE``), and an invented address would send
replies nowhere or to a stranger. Two participants with one address (in any letter case) are one
ATTENDEE: a calendar user appears once (RFC 5545 3.8.4.1).

*Alarms are the bot's reminders.* One ``VALARM`` per configured ``[reminders] offsets`` entry
that the bot will still send when the file is made (``bot.reminders.reminder_times`` with
``dtstamp_utc`` as now -- the same rule that queues the reminders, not a copy of it), none if
there is none. The trigger is written as exact hours (``TRIGGER:-PT24H``, never ``-P1D``): RFC
5545 reads a day as a calendar day, 23 or 25 hours across a clock change, while the bot reminds
24 real hours before.

*Time zones that Outlook reads right.* Times are written in the recipient's zone
(``DTSTART;TZID=Europe/Berlin:20270331T090000``) with a ``VTIMEZONE`` made of one yearly
``RRULE`` per part, derived from zoneinfo for the years the file covers: Europe/Berlin gets
DAYLIGHT ``BYMONTH=3;BYDAY=-1SU`` at 02:00 and STANDARD ``BYMONTH=10;BYDAY=-1SU`` at 03:00;
Asia/Shanghai a single STANDARD at +0800 with no rule. Outlook keeps one yearly rule per part
and ignores RDATEs, so icalendar's default VTIMEZONE (RDATEs since 1970) can make Outlook apply
Shanghai's 1986-1991 summer time to a 2027 meeting; a single current rule cannot. Like Outlook's
own VTIMEZONEs, ours describe the zone as it is in the covered years, not its history.

The rule is read off zoneinfo's transitions (the last week of a month becomes ``-1SU``, other
weeks ``1SU``..``4SU``) and then checked: in the covered years the rule's transitions and
zoneinfo's must coincide to the second, with the same offsets before and after. Zones whose
law is not a plain weekday rule (Chile's "Sunday on or after the 2nd", Israel's "Friday before
the last Sunday") still get an exact rule for any one year. When the covered years cannot be
written as one yearly rule (Samoa dropping summer time in 2021; an export spanning Mexico City's
2022 and 2023), the file uses UTC times (``DTSTART:20270331T070000Z``) and no VTIMEZONE: every
client maps UTC correctly and shows it in the reader's own zone. We prefer the zone to UTC
throughout because clients then show the meeting in the zone it was planned for and the file
reads right to a human; UTC stays the safe fallback.

*Unambiguous instants.* A local wall time in the hour a clock is set back occurs twice, and a
wall time with TZID cannot say which pass is meant: RFC 5545 (3.3.5), Python, vobject and Radicale
read the first; ical.js (Thunderbird), node-ical, libical (Evolution), khal and KCalendarCore the
second (issue 12). Lisbon sets its clocks back at 01:00 UTC on 31 October 2027, so 01:30 there is
00:30 UTC (WEST, first pass) and 01:30 UTC (WET, second); on Lord Howe (+11 to +10:30) the
repeated half hour is 01:30-02:00. (A skipped wall time, in the hour a clock is set forward,
cannot come out of converting an instant, but would be as ambiguous.) So an event whose start or
end falls on a wall time that does not occur exactly once in its zone is written in UTC
(``DTSTART:20271031T013000Z``, DTEND likewise), which every reader maps to the one intended
instant; every other event keeps TZID and local time, so Outlook shows it in the recipient's zone.
"""

from __future__ import annotations

import calendar
import enum
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import Alarm, Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard, vCalAddress
from icalendar.prop import vDuration

from bot.domain import InvalidInputError, SessionStatus, utc
from bot.i18n import Place, format_instant, gettext, normalize_language
from bot.meeting_links import check_link
from bot.reminders import reminder_times

PRODID = "-//Tandem//Tandem city cooperation invites//EN"
_UTC_ZONE_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/Universal", "Etc/Zulu", "Universal", "Zulu"})
_EMAIL = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+$")
# Control characters are not allowed in iCalendar TEXT (RFC 5545 3.3.11); tab and newline stay.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


class InviteMethod(str, enum.Enum):
    REQUEST = "REQUEST"
    CANCEL = "CANCEL"
    PUBLISH = "PUBLISH"


@dataclass(frozen=True)
class InviteCity:
    name: str
    zone: str  # IANA name


@dataclass(frozen=True)
class InviteAttendee:
    name: str
    email: str | None  # None: named in the description, not written as ATTENDEE
    language: str = "en"

    def __post_init__(self) -> None:
        if self.email is not None:
            _check_email(self.email, "attendee")


@dataclass(frozen=True)
class InviteEvent:
    """Everything an invite says about one session, as plain values."""

    uid: str
    sequence: int
    status: SessionStatus
    start_utc: datetime
    end_utc: datetime
    topic_titles: Mapping[str, str]  # language -> title; English is the fallback
    city_a: InviteCity
    city_b: InviteCity
    organizer_name: str
    organizer_email: str
    meeting_link: str
    attendees: tuple[InviteAttendee, ...] = ()
    note: str | None = None  # e.g. a city's note on the topic, added to the description

    def __post_init__(self) -> None:
        if not self.uid.strip():
            raise InvalidInputError("an invite needs a non-empty UID")
        if self.sequence < 0:
            raise InvalidInputError(f"SEQUENCE must be 0 or more, not {self.sequence}")
        start, end = utc(self.start_utc), utc(self.end_utc)
        if end <= start:
            raise InvalidInputError(f"the session ends ({end:%Y-%m-%d %H:%M}Z) before it starts ({start:%Y-%m-%d %H:%M}Z)")
        if not self.topic_titles:
            raise InvalidInputError("an invite needs a topic title")
        _check_email(self.organizer_email, "organizer")
        check_link(self.meeting_link)
        for zone in (self.city_a.zone, self.city_b.zone):
            _zone(zone)

    @property
    def cancelled(self) -> bool:
        return self.status is SessionStatus.CANCELLED

    @property
    def addressed_attendees(self) -> tuple[InviteAttendee, ...]:
        """Who is written as ATTENDEE: the participants with an address, each address once (any case)."""
        seen: dict[str, InviteAttendee] = {}
        for attendee in self.attendees:
            if attendee.email is not None:
                seen.setdefault(attendee.email.casefold(), attendee)
        return tuple(seen.values())

    def topic_title(self, language: str) -> str:
        titles = self.topic_titles
        return titles.get(normalize_language(language)) or titles.get("en") or next(iter(titles.values()))


# --- public entry points --------------------------------------------------------------------


def invite_method(event: InviteEvent, recipient_email: str | None) -> InviteMethod:
    """REQUEST or CANCEL to an attendee, PUBLISH to anyone the event cannot name as one (see above)."""
    addresses = {attendee.email.casefold() for attendee in event.addressed_attendees if attendee.email}
    if recipient_email is None or recipient_email.casefold() not in addresses:
        return InviteMethod.PUBLISH
    return InviteMethod.CANCEL if event.cancelled else InviteMethod.REQUEST


def build_invite(
    event: InviteEvent,
    *,
    recipient_language: str,
    recipient_zone: str,
    recipient_email: str | None,
    dtstamp_utc: datetime,
    reminder_offsets: Iterable[timedelta],
) -> bytes:
    """The ``.ics`` one recipient receives, in their language and zone.

    ``recipient_email`` (None: none known) decides the method (:func:`invite_method`);
    ``reminder_offsets`` are ``[reminders] offsets``, written as the alarms still to come.
    """
    if recipient_email is not None:
        _check_email(recipient_email, "recipient")
    return _calendar_bytes(
        invite_method(event, recipient_email), [event], language=recipient_language, zone=recipient_zone,
        dtstamp_utc=dtstamp_utc, reminder_offsets=tuple(reminder_offsets),
    )


def build_declinecounter(event: InviteEvent, *, attendee_email: str, dtstamp_utc: datetime, comment: str = "") -> bytes:
    """The organizer's "no" to a time an attendee proposed (``METHOD:DECLINECOUNTER``, RFC 5546 3.2.8).

    It names the event (UID, the current SEQUENCE), the organizer and the attendee who proposed;
    the time stays as the attendee's calendar has it, so no DTSTART is needed.
    """
    _check_email(attendee_email, "attendee")
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", "DECLINECOUNTER")
    component = Event()
    component.add("uid", event.uid)
    component.add("dtstamp", utc(dtstamp_utc).replace(microsecond=0))
    component.add("sequence", event.sequence)
    organizer = vCalAddress(f"mailto:{event.organizer_email}")
    organizer.params["CN"] = _parameter_text(event.organizer_name)
    component.add("organizer", organizer)
    component.add("attendee", vCalAddress(f"mailto:{attendee_email}"))
    if comment:
        component.add("comment", _clean_text(comment))
    cal.add_component(component)
    return cal.to_ical()


def build_schedule(events: Sequence[InviteEvent], *, language: str, zone: str, dtstamp_utc: datetime) -> bytes:
    """A ``METHOD:PUBLISH`` calendar of confirmed sessions (the export); one VEVENT each, no alarms."""
    for event in events:
        if event.status is not SessionStatus.CONFIRMED:
            raise InvalidInputError(f"only confirmed sessions are published; {event.uid} is {event.status.value}")
    return _calendar_bytes(
        InviteMethod.PUBLISH, list(events), language=language, zone=zone, dtstamp_utc=dtstamp_utc, reminder_offsets=(),
    )


def invite_filename(event: InviteEvent, recipient_zone: str) -> str:
    """The file name the recipient sees, e.g. ``tandem-panjin-hamburg-2027-03-31-1500.ics``.

    The local start time keeps two sessions of one pair on one day apart (a city may have two a
    day), and an update or a cancellation says so, so a recipient's downloads never overwrite
    each other: ``…-1500-update1.ics``, ``…-1500-cancelled.ics``.
    """
    local = utc(event.start_utc).astimezone(_zone(recipient_zone))
    parts = ["tandem", _slug(event.city_a.name), _slug(event.city_b.name), local.date().isoformat(), local.strftime("%H%M")]
    if event.cancelled:
        parts.append("cancelled")
    elif event.sequence > 0:
        parts.append(f"update{event.sequence}")
    return "-".join(part for part in parts if part) + ".ics"


def invite_summary(event: InviteEvent, language: str) -> str:
    """The SUMMARY (and e-mail subject core) in ``language``."""
    summary = gettext(
        language, "{city_a} – {city_b}: {topic}",
        city_a=event.city_a.name, city_b=event.city_b.name, topic=event.topic_title(language),
    )
    if event.cancelled:
        summary = gettext(language, "Cancelled: {summary}", summary=summary)
    return _clean_text(summary)


def invite_text(event: InviteEvent, language: str, zone: str) -> str:
    """The human-readable body (DESCRIPTION, and the e-mail's text part) in ``language`` and ``zone``."""
    start = utc(event.start_utc)
    topic = event.topic_title(language)
    minutes = int((utc(event.end_utc) - start).total_seconds() // 60)
    cities = (Place(event.city_a.name, event.city_a.zone), Place(event.city_b.name, event.city_b.zone))
    lines: list[str] = []
    if event.cancelled:
        lines.append(gettext(language, "This meeting has been cancelled."))
    lines.append(gettext(
        language, "{city_a} and {city_b} meet online to discuss: {topic}",
        city_a=event.city_a.name, city_b=event.city_b.name, topic=topic,
    ))
    lines.append("")
    lines.append(gettext(language, "When: {when}", when=format_instant(start, zone, language, cities)))
    lines.append(gettext(language, "Duration: {minutes} minutes", minutes=minutes))
    if not event.cancelled:
        lines.append("")
        lines.append(gettext(language, "Join the meeting: {link}", link=event.meeting_link))
    if event.attendees:
        names = gettext(language, ", ").join(_clean_text(a.name) for a in event.attendees)
        lines.append("")
        lines.append(gettext(language, "Participants: {names}", names=names))
    if event.note:
        lines.append("")
        lines.append(event.note)
    return _clean_text("\n".join(lines))


# --- time zones -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ZoneOnset:
    """One yearly change of a zone: on the ``nth`` ``weekday`` of ``month`` at ``local_time``.

    ``local_time`` is wall-clock time *before* the change, as iCalendar's DTSTART in a
    VTIMEZONE part is read in TZOFFSETFROM: Europe/Berlin's spring change at 01:00 UTC is 02:00
    (+01:00) and its autumn change at 01:00 UTC is 03:00 (+02:00).
    """

    daylight: bool
    month: int
    weekday: int  # 0 = Monday
    nth: int  # 1..4, or -1 for the last one of the month
    local_time: time
    offset_from: timedelta
    offset_to: timedelta
    name: str

    def local_date(self, year: int) -> date:
        if self.nth == -1:
            last = date(year, self.month, calendar.monthrange(year, self.month)[1])
            return last - timedelta(days=(last.weekday() - self.weekday) % 7)
        first = date(year, self.month, 1)
        return first + timedelta(days=(self.weekday - first.weekday()) % 7 + 7 * (self.nth - 1))

    def instant_utc(self, year: int) -> datetime:
        local = datetime.combine(self.local_date(year), self.local_time)
        return (local - self.offset_from).replace(tzinfo=timezone.utc)

    @property
    def byday(self) -> str:
        return f"{self.nth}{_WEEKDAY_CODES[self.weekday]}"


@dataclass(frozen=True)
class ZoneRules:
    """A zone as one VTIMEZONE states it: a fixed offset, or two yearly onsets."""

    zone: str
    standard_offset: timedelta  # the offset when there are no onsets
    standard_name: str
    onsets: tuple[ZoneOnset, ...]  # empty, or (DAYLIGHT, STANDARD)

    def offset_at(self, instant_utc: datetime) -> timedelta:
        """The offset these rules give at ``instant_utc`` (the check against zoneinfo uses this)."""
        if not self.onsets:
            return self.standard_offset
        year = instant_utc.year
        past = [
            (onset.instant_utc(y), onset.offset_to)
            for y in (year - 1, year, year + 1)
            for onset in self.onsets
            if onset.instant_utc(y) <= instant_utc
        ]
        return max(past)[1]

    def transitions(self, start_utc: datetime, end_utc: datetime) -> list[tuple[datetime, timedelta, timedelta]]:
        found = [
            (onset.instant_utc(year), onset.offset_from, onset.offset_to)
            for year in range(start_utc.year - 1, end_utc.year + 2)
            for onset in self.onsets
        ]
        return sorted(t for t in found if start_utc <= t[0] < end_utc)


def zone_rules(zone: str, first_year: int, last_year: int) -> ZoneRules | None:
    """``zone`` in ``first_year``..``last_year`` as one yearly rule, or None when that is not exact."""
    return _zone_rules(zone, first_year, last_year)


def vtimezone(rules: ZoneRules) -> Timezone:
    """The VTIMEZONE component for ``rules``; each part starts in 1970 with its yearly RRULE."""
    component = Timezone()
    component.add("tzid", rules.zone)
    if not rules.onsets:
        part = TimezoneStandard()
        part.add("dtstart", datetime(1970, 1, 1))
        part.add("tzoffsetfrom", rules.standard_offset)
        part.add("tzoffsetto", rules.standard_offset)
        part.add("tzname", rules.standard_name)
        component.add_component(part)
        return component
    for onset in rules.onsets:
        part = TimezoneDaylight() if onset.daylight else TimezoneStandard()
        # DTSTART is the rule's first occurrence in 1970, as RFC 5545 wants DTSTART to be one.
        part.add("dtstart", datetime.combine(onset.local_date(1970), onset.local_time))
        part.add("tzoffsetfrom", onset.offset_from)
        part.add("tzoffsetto", onset.offset_to)
        part.add("tzname", onset.name)
        part.add("rrule", {"freq": "yearly", "bymonth": onset.month, "byday": onset.byday})
        component.add_component(part)
    return component


def zone_transitions(zone: str, start_utc: datetime, end_utc: datetime) -> list[tuple[datetime, timedelta, timedelta]]:
    """zoneinfo's offset changes in [start, end): (instant, offset before, offset after), to the second."""
    tz = _zone(zone)
    found = []
    step = timedelta(hours=1)
    moment = start_utc
    before = moment.astimezone(tz).utcoffset()
    while moment < end_utc:
        following = moment + step
        after = following.astimezone(tz).utcoffset()
        if after != before:
            # Bisect to the second: the change lies in (low, high].
            low, high = moment, following
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                middle = middle.replace(microsecond=0)
                if middle.astimezone(tz).utcoffset() == before:
                    low = middle
                else:
                    high = middle
            found.append((high, before, high.astimezone(tz).utcoffset()))
        moment, before = following, after
    return found


# --- internals ------------------------------------------------------------------------------


@lru_cache(maxsize=512)
def _zone_rules(zone: str, first_year: int, last_year: int) -> ZoneRules | None:
    tz = _zone(zone)
    # A local year lies within a day of the UTC year, so this window covers every local hour.
    window_start = datetime(first_year, 1, 1, tzinfo=timezone.utc) - timedelta(days=1)
    window_end = datetime(last_year + 1, 1, 1, tzinfo=timezone.utc) + timedelta(days=1)
    actual = zone_transitions(zone, window_start, window_end)
    start_offset = window_start.astimezone(tz).utcoffset()
    assert start_offset is not None
    if not actual:
        return ZoneRules(zone, start_offset, _tzname(tz, window_start), ())

    onsets: dict[tuple[object, ...], ZoneOnset] = {}
    for instant, before, after in actual:
        onset = _onset_from(tz, instant, before, after)
        key = (onset.month, onset.weekday, onset.nth, onset.local_time, before, after)
        onsets.setdefault(key, onset)
    if len(onsets) != 2:
        return None  # a one-way change, or more than two kinds of change a year
    first, second = onsets.values()
    if first.offset_from != second.offset_to or first.offset_to != second.offset_from:
        return None
    daylight, standard = (first, second) if first.offset_to > second.offset_to else (second, first)
    rules = ZoneRules(
        zone, standard.offset_to, standard.name,
        (_replace_daylight(daylight, True), _replace_daylight(standard, False)),
    )
    if rules.transitions(window_start, window_end) != actual or rules.offset_at(window_start) != start_offset:
        return None  # the rule read from one year does not hold in another covered year
    return rules


def _onset_from(tz: ZoneInfo, instant: datetime, before: timedelta, after: timedelta) -> ZoneOnset:
    local_before = (instant + before).replace(tzinfo=None)
    day = local_before.day
    month_length = calendar.monthrange(local_before.year, local_before.month)[1]
    # The last week of a month is "-1" (EU: last Sunday); otherwise count weeks (US: 2nd Sunday).
    nth = -1 if day > month_length - 7 else (day - 1) // 7 + 1
    return ZoneOnset(
        daylight=after > before,
        month=local_before.month,
        weekday=local_before.weekday(),
        nth=nth,
        local_time=local_before.time(),
        offset_from=before,
        offset_to=after,
        name=_tzname(tz, instant),
    )


def _replace_daylight(onset: ZoneOnset, daylight: bool) -> ZoneOnset:
    return ZoneOnset(daylight, onset.month, onset.weekday, onset.nth, onset.local_time,
                     onset.offset_from, onset.offset_to, onset.name)


def _tzname(tz: ZoneInfo, instant_utc: datetime) -> str:
    return instant_utc.astimezone(tz).tzname() or tz.key


def _calendar_bytes(
    method: InviteMethod,
    events: list[InviteEvent],
    *,
    language: str,
    zone: str,
    dtstamp_utc: datetime,
    reminder_offsets: tuple[timedelta, ...],
) -> bytes:
    dtstamp = utc(dtstamp_utc).replace(microsecond=0)
    tz = _zone(zone)
    rules = _rules_for(zone, tz, events)
    # Each event in the zone, unless the zone has no yearly rule here or a time of it is ambiguous.
    zones = [tz if rules is not None and _reads_the_same_everywhere(event, tz) else None for event in events]
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method.value)  # before any component: clients read it first
    if rules is not None and any(zones):
        cal.add_component(vtimezone(rules))
    for event, event_zone in zip(events, zones):
        cal.add_component(_vevent(event, method, language, zone, event_zone, dtstamp, reminder_offsets))
    return cal.to_ical()


def _reads_the_same_everywhere(event: InviteEvent, tz: ZoneInfo) -> bool:
    """True when the event's start and end wall times in ``tz`` each occur exactly once.

    A wall time read with fold=0 (first pass, RFC 5545) and fold=1 (second pass, most clients)
    gives one offset when it occurs once; two in the repeated hour (Lisbon 2027-10-31 01:30:
    +01:00 and +00:00) and in a skipped one. Then the event is written in UTC (module docstring).
    """
    for instant in (utc(event.start_utc), utc(event.end_utc)):
        wall = instant.astimezone(tz).replace(tzinfo=None)
        if wall.replace(tzinfo=tz, fold=0).utcoffset() != wall.replace(tzinfo=tz, fold=1).utcoffset():
            return False
    return True


def _rules_for(zone: str, tz: ZoneInfo, events: Iterable[InviteEvent]) -> ZoneRules | None:
    """The zone's rules for every year the events touch, or None to write UTC times."""
    if zone in _UTC_ZONE_NAMES:
        return None
    years = [
        instant.astimezone(tz).year
        for event in events
        for instant in (utc(event.start_utc), utc(event.end_utc))
    ]
    if not years:
        return None
    return _zone_rules(zone, min(years), max(years))


def _vevent(
    event: InviteEvent,
    method: InviteMethod,
    language: str,
    zone: str,
    tz: ZoneInfo | None,
    dtstamp: datetime,
    reminder_offsets: tuple[timedelta, ...],
) -> Event:
    start, end = utc(event.start_utc).replace(microsecond=0), utc(event.end_utc).replace(microsecond=0)
    component = Event()
    component.add("uid", event.uid)
    component.add("dtstamp", dtstamp)
    component.add("sequence", event.sequence)
    component.add("dtstart", start.astimezone(tz) if tz else start)
    component.add("dtend", end.astimezone(tz) if tz else end)
    summary = invite_summary(event, language)
    component.add("summary", summary)
    component.add("description", invite_text(event, language, zone))
    component.add("location", event.meeting_link)
    component.add("url", event.meeting_link)
    component.add("status", "CANCELLED" if event.cancelled else "CONFIRMED")
    component.add("transp", "TRANSPARENT" if event.cancelled else "OPAQUE")
    organizer = vCalAddress(f"mailto:{event.organizer_email}")
    organizer.params["CN"] = _parameter_text(event.organizer_name)
    component.add("organizer", organizer)
    if method is not InviteMethod.PUBLISH:  # PUBLISH must not name attendees (RFC 5546 3.2.1)
        for attendee in event.addressed_attendees:
            address = vCalAddress(f"mailto:{attendee.email}")
            address.params["CN"] = _parameter_text(attendee.name)
            address.params["CUTYPE"] = "INDIVIDUAL"
            address.params["ROLE"] = "REQ-PARTICIPANT"
            address.params["PARTSTAT"] = "NEEDS-ACTION"
            address.params["RSVP"] = "TRUE"
            component.add("attendee", address)
    if not event.cancelled:  # a CANCEL must not carry alarms (RFC 5546 3.2.5); a cancelled PUBLISH needs none
        for reminder in reminder_times(start, reminder_offsets, dtstamp):
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", summary)
            alarm.add("trigger", _ExactDuration(-reminder.offset))
            component.add_component(alarm)
    return component


class _ExactDuration(vDuration):
    """A duration in hours, minutes and seconds only: ``-PT24H``, never ``-P1D`` (see the docstring)."""

    def to_ical(self) -> bytes:
        seconds = int(self.td.total_seconds())
        hours, rest = divmod(abs(seconds), 3600)
        minutes, seconds_left = divmod(rest, 60)
        parts = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
        if seconds_left or not parts:
            parts += f"{seconds_left}S"
        return f"{'-' if self.td < timedelta(0) else ''}PT{parts}".encode()


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInputError(f"unknown time zone {name!r}: expected an IANA name such as Europe/Berlin") from exc


def _check_email(address: str, who: str) -> None:
    if not _EMAIL.match(address):
        raise InvalidInputError(f"the {who}'s e-mail address {address!r} is not an address like name@example.org")


def _clean_text(text: str) -> str:
    """Newlines as LF, no control characters: what iCalendar TEXT and e-mail text both accept."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def _parameter_text(text: str) -> str:
    # A parameter value cannot hold a newline, and a double quote would need RFC 6868's ^'
    # escape, which vobject and many clients do not read; single quotes say the same.
    return _clean_text(text).replace("\n", " ").replace('"', "'")


# Latin letters that NFKD does not split into a base letter and a mark (Łódź, Tromsø, Straße).
_LATIN_LETTERS = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ß": "ss", "æ": "ae", "Æ": "AE",
                                "đ": "d", "Đ": "D", "ı": "i", "œ": "oe", "Œ": "OE", "þ": "th", "ð": "d"})


def _slug(name: str) -> str:
    """ASCII words of ``name`` for a file name; scripts without a Latin form (盘锦) are left out."""
    ascii_name = unicodedata.normalize("NFKD", name.translate(_LATIN_LETTERS)).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
