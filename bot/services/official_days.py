"""Official days off and working days that coordinators enter before ``holidays`` knows them.

Governments publish their holiday arrangements late (China's, with its weekend make-up working
days, 调休, weeks before the year), and the ``holidays`` package follows a release or more later.
A coordinator enters the official days in the chat (``/holiday CN 2027-02-10 off Spring
Festival``) or from a file (``tandem holidays import FILE``: CSV, or an iCalendar feed as
governments and calendar sites publish them); the planner takes them over the package in both
directions (``bot.planner.calendar``). Every change re-checks what is already decided: confirmed
sessions that now fall on a day off are reported to the coordinators with a one-tap move to the
best other time, and planning runs again for the rest.
"""

from __future__ import annotations

import builtins
import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain import (
    Actor,
    DayOverride,
    DayOverrideKind,
    InvalidInputError,
    NoticeKind,
    Role,
)
from bot.notices.official_days import DAY_OFF, WORKING_DAY_WITHDRAWN
from bot.notices.outbox import queue_notice
from bot.planner.calendar import CityCalendar, holiday_name, open_days, public_holidays
from bot.planner.queries import candidate_slots
from bot.ports import UnitOfWork
from bot.services.base import ServiceBase
from bot.services.errors import user_error
from bot.services.planning import city_calendars, planning_problem

MAX_DAYS_AT_ONCE = 31  # a range longer than a month is a typo more often than a holiday
MAX_NAME_LENGTH = 200
CSV_COLUMNS = ("country", "date", "kind", "weekday", "name")
# Words that mark an iCalendar event as a working day (the feeds of Chinese calendar sites write
# 班 / 补班 / 上班 in the summary or the categories); every other event is a day off.
WORKING_DAY_MARKERS = ("补班", "上班", "(班)", "（班）", "working day", "workday", "arbeitstag")

_WEEKDAYS = {
    name: number
    for number, names in enumerate(
        (
            ("mon", "monday", "mo", "montag", "周一", "星期一"),
            ("tue", "tuesday", "di", "dienstag", "周二", "星期二"),
            ("wed", "wednesday", "mi", "mittwoch", "周三", "星期三"),
            ("thu", "thursday", "do", "donnerstag", "周四", "星期四"),
            ("fri", "friday", "fr", "freitag", "周五", "星期五"),
            ("sat", "saturday", "sa", "samstag", "周六", "星期六"),
            ("sun", "sunday", "so", "sonntag", "周日", "星期日", "星期天"),
        )
    )
    for name in names
}
_PLACE = re.compile(r"([A-Za-z]{2})(?:-([A-Za-z0-9]{1,10}))?")


@dataclass(frozen=True)
class OverrideChange:
    """What one change did: the overrides stored or removed, and the confirmed sessions reported."""

    overrides: tuple[DayOverride, ...]
    replaced: tuple[DayOverride, ...] = ()
    sessions_reported: int = 0


def parse_place(text: str) -> tuple[str, str | None]:
    """``CN`` or ``DE-BY`` as (country, subdivision), checked against the ``holidays`` package."""
    found = _PLACE.fullmatch(text.strip())
    if found is None:
        raise user_error(
            InvalidInputError, "\"{place}\" is not a country code; use two letters such as CN, or DE-BY for a subdivision.", place=text.strip()
        )
    country, subdivision = found.group(1).upper(), (found.group(2) or "").upper() or None
    try:
        public_holidays(country, subdivision, 2024)
    except InvalidInputError:
        raise user_error(
            InvalidInputError, "The holiday calendar does not know \"{place}\"; use a code such as CN, DE or DE-BY.", place=text.strip()
        ) from None
    return country, subdivision


def parse_days(text: str) -> list[date]:
    """``2027-02-10`` or a range ``2027-02-10..2027-02-17`` (at most a month)."""
    first_text, dots, last_text = text.strip().partition("..")
    try:
        first = date.fromisoformat(first_text)
        last = date.fromisoformat(last_text) if dots else first
    except ValueError:
        raise user_error(
            InvalidInputError, "\"{day}\" is not a date; write it as 2027-02-10, or 2027-02-10..2027-02-17 for several days.", day=text.strip()
        ) from None
    if last < first or (last - first).days >= MAX_DAYS_AT_ONCE:
        raise user_error(InvalidInputError, "A range of days must run forward and span at most {days} days.", days=MAX_DAYS_AT_ONCE)
    if not 2000 <= first.year <= 2100 or not 2000 <= last.year <= 2100:
        raise user_error(InvalidInputError, "Official days can be entered for the years 2000 to 2100.")
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def parse_weekday(text: str) -> int:
    weekday = _WEEKDAYS.get(text.strip().lower())
    if weekday is None:
        raise user_error(
            InvalidInputError, "\"{weekday}\" is not a weekday; write the one whose hours apply, such as Mon or Fri.", weekday=text.strip()
        )
    return weekday


def _name(text: str) -> str:
    name = " ".join(text.split())
    if len(name) > MAX_NAME_LENGTH:
        raise user_error(InvalidInputError, "A name may be at most {limit} characters long.", limit=MAX_NAME_LENGTH)
    return name


@dataclass(frozen=True)
class DayEntry:
    """One official day (or range) as a coordinator gives it, each part as typed.

    The chat's line ``CN 2027-02-07 work Mon 调休`` (:meth:`parse`) and the board's form give the
    same entry, and ``OfficialDaysService.add`` / ``remove`` take either, so both ways in check,
    store and re-plan alike. ``kind`` is ``off``, ``work`` or ``remove``; ``place`` is ``CN`` or
    ``DE-BY``; ``days`` is ``2027-02-10`` or ``2027-02-10..2027-02-17``.
    """

    place: str
    days: str
    kind: str
    weekday: str = ""
    name: str = ""

    @classmethod
    def parse(cls, text: str) -> DayEntry:
        """The chat's words: ``PLACE DATE off NAME``, ``PLACE DATE work WEEKDAY [NAME]``, ``PLACE DATE remove``."""
        words = text.split()
        if len(words) == 3 and words[2].lower() == "remove":
            parse_place(words[0])
            parse_days(words[1])
            return cls(words[0], words[1], "remove")
        if len(words) < 3 or words[2].lower() not in ("off", "work"):
            raise user_error(
                InvalidInputError,
                "Please write it like this: /holiday CN 2027-02-10 off Spring Festival, or /holiday CN 2027-02-07 work Mon (a working day with Monday's hours).",
            )
        parse_place(words[0])
        parse_days(words[1])
        if words[2].lower() == "off":
            if not words[3:]:
                raise user_error(InvalidInputError, "Please add the name of the day off, or why it is one, after \"off\".")
            return cls(words[0], words[1], "off", name=" ".join(words[3:]))
        if len(words) < 4:
            raise user_error(InvalidInputError, "Please add the weekday whose hours apply after \"work\", such as Mon.")
        return cls(words[0], words[1], "work", weekday=words[3], name=" ".join(words[4:]))

    def place_and_days(self) -> tuple[str, str | None, list[date]]:
        country, subdivision = parse_place(self.place)
        return country, subdivision, parse_days(self.days)

    def overrides(self, added_by: str | None) -> list[DayOverride]:
        """One override a day; a clear error for the first part that is wrong."""
        kind = self.kind.strip().lower()
        if kind not in ("off", "work"):
            raise user_error(InvalidInputError, "Choose whether the day is a day off or a working day.")
        country, subdivision, days = self.place_and_days()
        name = _name(self.name)
        if kind == "off":
            if self.weekday.strip():
                raise user_error(InvalidInputError, "A day off has no weekday whose hours apply; choose a working day, or no weekday.")
            if not name:
                raise user_error(InvalidInputError, "Please give the name of the day off, or why it is one.")
            return [DayOverride(country, d, DayOverrideKind.DAY_OFF, name, subdivision=subdivision, added_by=added_by) for d in days]
        if not self.weekday.strip():
            raise user_error(InvalidInputError, "A working day needs the weekday whose hours apply, such as Monday.")
        weekday = parse_weekday(self.weekday)
        return [
            DayOverride(country, d, DayOverrideKind.WORKING_DAY, name, subdivision=subdivision, works_as_weekday=weekday, added_by=added_by)
            for d in days
        ]


def parse_override(text: str, added_by: str | None) -> list[DayOverride]:
    """``CN 2027-02-10 off Spring Festival`` or ``CN 2027-02-07 work Mon [name]``: one override a day."""
    entry = DayEntry.parse(text)
    if entry.kind == "remove":
        raise user_error(
            InvalidInputError,
            "Please write it like this: /holiday CN 2027-02-10 off Spring Festival, or /holiday CN 2027-02-07 work Mon (a working day with Monday's hours).",
        )
    return entry.overrides(added_by)


def read_csv(text: str, added_by: str | None) -> tuple[list[DayOverride], list[str]]:
    """``country,date,kind,weekday,name[,subdivision]`` with a header row: overrides and bad lines."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows:
        raise user_error(InvalidInputError, "The file is empty; the first line must be: {header}", header=",".join(CSV_COLUMNS))
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in CSV_COLUMNS if c not in header]
    if missing:
        raise user_error(
            InvalidInputError,
            "line 1: the header lacks {missing}; it must name the columns {header}[,subdivision].",
            missing=", ".join(missing), header=",".join(CSV_COLUMNS),
        )
    overrides: list[DayOverride] = []
    problems: list[str] = []
    for line_number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.append(f"line {line_number}: expected {len(header)} columns, found {len(row)}")
            continue
        values = {key: value.strip() for key, value in zip(header, row)}
        place = values["country"] + (f"-{values['subdivision']}" if values.get("subdivision") else "")
        kind = values["kind"].lower()
        try:
            line = f"{place} {values['date']} {kind} {values['weekday'] if kind == 'work' else ''} {values['name']}"
            if kind == "off" and values["weekday"]:
                raise user_error(InvalidInputError, "a day off has no weekday hours")
            overrides.extend(parse_override(line, added_by))
        except InvalidInputError as error:
            problems.append(f"line {line_number}: {error}")
    return overrides, problems


def _all_day_dates(start: object, end: object) -> list[date] | None:
    """The dates of an all-day event (DTEND is exclusive), or None when it is not one."""
    if not isinstance(start, date) or isinstance(start, datetime):
        return None
    if end is None:
        return [start]
    if not isinstance(end, date) or isinstance(end, datetime) or end <= start:
        return None
    return [start + timedelta(days=n) for n in range((end - start).days)]


def read_icalendar(content: bytes, country: str, subdivision: str | None, added_by: str | None) -> tuple[list[DayOverride], list[str]]:
    """All-day events of an iCalendar feed as overrides of one country; bad events by their line."""
    from icalendar import Calendar

    try:
        calendar = Calendar.from_ical(content)
    except ValueError as error:
        raise InvalidInputError(f"nothing imported: the file is not an iCalendar file ({error})") from None
    text = content.decode("utf-8", "replace").splitlines()
    event_lines = [n for n, line in enumerate(text, start=1) if line.strip().upper() == "BEGIN:VEVENT"]
    overrides: list[DayOverride] = []
    problems: list[str] = []
    for index, event in enumerate(calendar.walk("VEVENT")):
        where = f"line {event_lines[index]}" if index < len(event_lines) else f"event {index + 1}"
        summary = " ".join(str(event.get("SUMMARY", "")).split())
        categories = event.get("CATEGORIES")
        category_text = " ".join(
            str(c) for item in (categories if isinstance(categories, list) else [categories] if categories else [])
            for c in getattr(item, "cats", [item])
        )
        if event.get("RRULE") is not None:
            problems.append(f"{where}: “{summary}” repeats (RRULE); list each official date as its own event")
            continue
        start = event.get("DTSTART")
        end = event.get("DTEND")
        days = _all_day_dates(start.dt if start is not None else None, end.dt if end is not None else None)
        if days is None:
            problems.append(f"{where}: “{summary}” is not an all-day event (DTSTART;VALUE=DATE)")
            continue
        if len(days) > MAX_DAYS_AT_ONCE:
            problems.append(f"{where}: “{summary}” spans {len(days)} days, more than {MAX_DAYS_AT_ONCE}")
            continue
        marked = f"{summary} {category_text}".lower()
        working = any(marker in marked for marker in WORKING_DAY_MARKERS)
        try:
            name = _name(summary)
            for day in days:
                if working:  # a feed does not say which weekday's hours apply: a weekday's own, else Monday's
                    weekday = day.weekday() if day.weekday() < 5 else 0
                    overrides.append(DayOverride(country, day, DayOverrideKind.WORKING_DAY, name, subdivision, weekday, added_by=added_by))
                else:
                    overrides.append(DayOverride(country, day, DayOverrideKind.DAY_OFF, name or "—", subdivision, added_by=added_by))
        except InvalidInputError as error:
            problems.append(f"{where}: {error}")
    if not event_lines and not problems:
        raise user_error(InvalidInputError, "The file holds no events.")
    return overrides, problems


class OfficialDaysService(ServiceBase):
    async def add(self, entry: str | DayEntry, *, by: Actor) -> OverrideChange:
        """``/holiday CN 2027-02-10 off Spring Festival`` or the board's form: store it, re-check what is decided."""
        self.require_coordinator(by)
        coordinator = self.config.programme.coordinator(by)
        assert coordinator is not None  # checked just above
        added_by = coordinator.name or f"Telegram {coordinator.telegram_id}"
        overrides = parse_override(entry, added_by) if isinstance(entry, str) else entry.overrides(added_by)
        async with self.uow() as uow:
            change = await self._store(uow, overrides)
            await uow.commit()
        self._changed()
        return change

    async def remove(self, entry: str | DayEntry, *, by: Actor) -> OverrideChange:
        """``/holiday CN 2027-02-10 remove`` or the board's remove button: the package's word counts again for those days."""
        self.require_coordinator(by)
        if isinstance(entry, str):
            words = entry.split()
            if len(words) != 3 or words[2].lower() != "remove":
                raise user_error(InvalidInputError, "Please write it like this: /holiday CN 2027-02-10 remove")
            entry = DayEntry.parse(entry)
        country, subdivision, days = entry.place_and_days()
        async with self.uow() as uow:
            removed = [o for d in days if (o := await uow.day_overrides.remove(country, d, subdivision)) is not None]
            if not removed:
                raise user_error(InvalidInputError, "There is no official day entered for {place} on {day}; /holidays {country} lists them.",
                                 place=entry.place.strip().upper(), day=entry.days.strip(), country=country)
            reported = await self._recheck(uow, removed)
            await uow.commit()
        self._changed()
        return OverrideChange(tuple(removed), sessions_reported=reported)

    async def list(self, country: str | None = None, *, by: Actor) -> builtins.list[DayOverride]:  # builtins: "list" is a method here
        """Every official day entered (of one country), by date."""
        self.require_coordinator(by)
        code = parse_place(country)[0] if country else None
        async with self.reading() as uow:
            return await uow.day_overrides.list(code)

    async def import_file(
        self, content: bytes, filename: str, *, by: Actor | None, country: str | None = None
    ) -> OverrideChange:
        """A CSV file or an iCalendar feed (``country`` says whose it is: ``CN`` or ``DE-BY``).

        All or nothing: every bad row or event is reported with its line, and if any is bad,
        nothing is imported. ``by=None`` is the command line; anyone else must be a coordinator,
        checked before the file is read.
        """
        self.require_coordinator(by)
        added_by = f"file {filename}"
        is_icalendar = filename.lower().endswith((".ics", ".ical", ".ifb", ".icalendar")) or content.lstrip(b"\xef\xbb\xbf").startswith(b"BEGIN:VCALENDAR")
        if is_icalendar:
            if not country:
                raise user_error(InvalidInputError, "An iCalendar file does not say whose days it lists: give the country, such as --country CN.")
            code, subdivision = parse_place(country)
            overrides, problems = read_icalendar(content, code, subdivision, added_by)
        else:
            try:
                text = content.decode("utf-8")
            except UnicodeDecodeError:
                raise user_error(InvalidInputError, "The file is neither UTF-8 text (CSV) nor an iCalendar file.") from None
            overrides, problems = read_csv(text, added_by)
        seen: dict[tuple[str, str | None, date], DayOverride] = {}
        for override in overrides:
            place = (override.country, override.subdivision, override.day)
            if place in seen and seen[place] != override:
                problems.append(f"{override.day.isoformat()} {override.country}: entered twice, differently (“{seen[place].name}” and “{override.name}”)")
            seen[place] = override
        if problems:
            raise InvalidInputError("nothing imported:\n" + "\n".join(problems))
        if not seen:
            raise user_error(InvalidInputError, "The file holds no official days, only its header.")
        async with self.uow() as uow:
            change = await self._store(uow, list(seen.values()))
            await uow.commit()
        self._changed()
        return change

    # ----------------------------------------------------------------------------- re-checking

    async def _store(self, uow: UnitOfWork, overrides: Sequence[DayOverride]) -> OverrideChange:
        stored, replaced = [], []
        for override in overrides:
            new, old = await uow.day_overrides.put(override, now_utc=self.now())
            stored.append(new)
            if old is not None:
                replaced.append(old)
        reported = await self._recheck(uow, stored)
        return OverrideChange(tuple(stored), tuple(replaced), reported)

    def _changed(self) -> None:
        self.wakeups.outbox_changed(self.now())
        self.wakeups.planning_needed()  # planned matches on a new day off get other times

    async def _recheck(self, uow: UnitOfWork, changed: Iterable[DayOverride]) -> int:
        """Report each confirmed session that now lies on a day off in one of its cities.

        Coordinators get the best other common time as one button (the same move as /schedule's,
        so everyone gets the updated invitation), computed now around every other session.
        """
        changed = builtins.list(changed)
        if not changed:
            return 0
        now = self.now()
        upcoming = await uow.sessions.upcoming_with_cities(after_utc=now)
        if not upcoming:
            return 0
        cities = {c.id: c for c in await uow.cities.list()}
        calendars = await city_calendars(uow, builtins.list(cities.values()))
        coordinators = await uow.contacts.with_role(Role.COORDINATOR)
        reported = 0
        for session, city_a_id, city_b_id in upcoming:
            closed = self._closed_day(session.start_utc, [calendars[c] for c in (city_a_id, city_b_id) if c in calendars], changed)
            if closed is None:
                continue
            calendar, local_date, cause = closed
            problem = await planning_problem(uow, self.config, now, exclude_session_id=session.id)
            best = candidate_slots(problem, city_a_id, city_b_id, session.duration_minutes, limit=1)
            name = holiday_name(calendar, local_date)
            # A make-up working day withdrawn (removed) leaves a plain weekend day, not a holiday:
            # the notice says the working day is gone, with that day's name, not "a day off (—)".
            withdrawn = cause.kind is DayOverrideKind.WORKING_DAY and name is None
            payload: dict[str, object] = {
                "session_id": session.id, "sequence": session.sequence, "city_id": calendar.id,
                "day": local_date.isoformat(), "name": cause.name if withdrawn else name,
                "reason": WORKING_DAY_WITHDRAWN if withdrawn else DAY_OFF,
                "move_to": best[0].start_utc.isoformat() if best else None,
            }
            await queue_notice(
                uow, NoticeKind.SESSION_ON_DAY_OFF, coordinators,
                key=f"{NoticeKind.SESSION_ON_DAY_OFF.value}:{session.id}:{session.sequence}:{local_date.isoformat()}",
                due_utc=now, payload=payload, email_enabled=self.config.email.enabled, session_id=session.id,
            )
            reported += 1
        return reported

    @staticmethod
    def _closed_day(
        start_utc: datetime, calendars: Sequence[CityCalendar], changed: Sequence[DayOverride]
    ) -> tuple[CityCalendar, date, DayOverride] | None:
        """The first city of the session whose local date it now is closed on, and the change of ``changed`` that did it."""
        for calendar in calendars:
            local_date = start_utc.astimezone(ZoneInfo(calendar.tz)).date()
            touched = next((o for o in changed if o.day == local_date and o.applies_to(calendar.country, calendar.subdivision)), None)
            # Closed: a day off now, or a weekend day that is no working day any more (one removed).
            if touched is not None and not any(open_days(replace(calendar, days_away=frozenset()), local_date, local_date)):
                return calendar, local_date, touched
        return None
