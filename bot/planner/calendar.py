"""A city's planning calendar: weekly windows, holidays, make-up working days and days away.

Which days are off comes from the ``holidays`` package, unless a coordinator entered an official
override for the city's country (``DayOverride``): an override wins in both directions, so a day
off the package does not know yet is closed and a working day it does not know is opened.

Stage one of the pipeline: the rules of one city become concrete UTC windows, one local day at a
time (``open_windows``). Everything later works on those windows.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from bot.domain import DayOverride, DayOverrideKind, InvalidInputError, WeeklyWindow
from bot.planner.availability import normalize_windows, window_end_minutes
from bot.planner.ranges import DateRange, wall_window_to_utc

CityId = Hashable


@dataclass(frozen=True)
class CityCalendar:
    """Everything the planner knows about one city's time.

    ``make_up_days_are_working_days``: official weekend working days (China's 调休, which
    ``holidays`` lists as ``weekend_workdays``) are working days with the hours of the weekday they
    pay back. Example: in 2026 Saturday 14 February is worked so that Friday 20 February can be
    part of the Spring Festival break, so Saturday 14 February gets the city's Friday hours. When
    ``holidays`` does not say which day a make-up day pays back, it gets Monday's hours. The batch
    format (planner-format.md) reads each weekday's windows literally, so its loader turns this off.

    ``overrides``: official days off and working days entered by coordinators; those of other
    countries or subdivisions are ignored, so every city may be given the whole list. On one date
    a subdivision's override wins over its country's.
    """

    id: CityId
    tz: str
    country: str | None
    subdivision: str | None
    windows: tuple[WeeklyWindow, ...]
    days_away: frozenset[date] = field(default_factory=frozenset)
    max_per_day: int | None = None
    make_up_days_are_working_days: bool = True
    overrides: tuple[DayOverride, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "windows", normalize_windows(self.windows))
        object.__setattr__(self, "days_away", frozenset(self.days_away))
        mine = sorted(
            (o for o in self.overrides if o.applies_to(self.country, self.subdivision)),
            key=lambda o: (o.day, o.subdivision is not None),  # the subdivision's last: it wins
        )
        object.__setattr__(self, "overrides", tuple(mine))
        object.__setattr__(self, "_override_on", {o.day: o for o in mine})
        check_zone(self.tz)
        if self.country is not None:
            public_holidays(self.country, self.subdivision, 2024)  # fail early on unknown codes

    def windows_on(self, weekday: int) -> tuple[WeeklyWindow, ...]:
        return tuple(window for window in self.windows if window.weekday == weekday)

    def override_on(self, day: date) -> DayOverride | None:
        """The coordinators' official override of this city's country on ``day``, if any."""
        found: DayOverride | None = self.__dict__["_override_on"].get(day)
        return found


@lru_cache(maxsize=1024)
def check_zone(name: str) -> ZoneInfo:
    """The zone, or ``InvalidInputError`` naming it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInputError(f'unknown time zone "{name}"') from None


@lru_cache(maxsize=4096)
def public_holidays(country: str, subdivision: str | None, year: int) -> holidays.HolidayBase:
    """The ``holidays`` calendar of one country (and subdivision) for one year, cached."""
    try:
        return holidays.country_holidays(country, subdiv=subdivision, years=year, language="en_US")
    except (NotImplementedError, ValueError) as error:
        if subdivision is not None and "subdivision" in str(error):
            raise InvalidInputError(f'unknown subdivision "{subdivision}" of country "{country}"') from None
        raise InvalidInputError(f'unknown country "{country}" (expected an ISO code such as CN)') from None


# Countries that publish official weekend working days (调休) every year: a year for which
# ``holidays`` lists none is one whose arrangement it does not know yet.
MAKE_UP_DAY_COUNTRIES = frozenset({"CN"})


@lru_cache(maxsize=1024)
def calendar_is_a_guess(country: str, year: int) -> bool:
    """Whether ``holidays`` only guesses the official days off of ``country`` in ``year``.

    True outside the years it covers, when it marks a day as estimated (Islamic holidays read from
    a computed lunar calendar), and for a country that always has make-up working days (China)
    when it lists none that year: the government has not published, or the package has not
    caught up. Example (holidays 0.109): China 2026 is official, China 2027 a guess.
    """
    official = public_holidays(country, None, year)
    if not official.start_year <= year <= official.end_year:
        return True
    label = getattr(official, "estimated_label", None)
    if label:
        estimated = re.compile(re.escape(official.tr(label)).replace(re.escape("%s"), ".*"))
        if any(estimated.search(str(name)) for day, name in official.items() if day.year == year):
            return True
    return country.upper() in MAKE_UP_DAY_COUNTRIES and not any(day.year == year for day in official.weekend_workdays)


class DayKind:
    WORKING = "working"
    HOLIDAY = "holiday"
    AWAY = "away"


def make_up_weekday(calendar: CityCalendar, day: date) -> int | None:
    """The weekday whose hours an official weekend working day uses, or None if ``day`` is not one."""
    override = calendar.override_on(day)
    if override is not None:
        return override.works_as_weekday  # None for a day off
    if calendar.country is None or not calendar.make_up_days_are_working_days:
        return None
    official = public_holidays(calendar.country, calendar.subdivision, day.year)
    if day not in official.weekend_workdays:
        return None
    # ``special_public_holidays`` maps year -> (to_month, to_day, from_month, from_day[, from_year])
    # for each swap: the weekend day ``from`` is worked so that weekday ``to`` is off.
    for year in (day.year, day.year + 1, day.year - 1):
        swaps = getattr(official, "special_public_holidays", {}).get(year, ())
        if swaps and isinstance(swaps[0], int):
            swaps = (swaps,)
        for swap in swaps:
            if len(swap) >= 4:
                from_year = swap[4] if len(swap) == 5 else year
                if date(from_year, swap[2], swap[3]) == day:
                    return date(year, swap[0], swap[1]).weekday()
    return 0


def day_kind(calendar: CityCalendar, day: date) -> str:
    """Whether a local date is a working day, a public holiday or a day away of the city."""
    if day in calendar.days_away:
        return DayKind.AWAY
    override = calendar.override_on(day)
    if override is not None:
        return DayKind.HOLIDAY if override.kind is DayOverrideKind.DAY_OFF else DayKind.WORKING
    if calendar.country is not None:
        official = public_holidays(calendar.country, calendar.subdivision, day.year)
        if day in official:
            return DayKind.HOLIDAY
    return DayKind.WORKING


def holiday_name(calendar: CityCalendar, day: date) -> str | None:
    """The name of the day off on ``day``: the coordinators' override's, else the package's."""
    override = calendar.override_on(day)
    if override is not None:
        return override.name if override.kind is DayOverrideKind.DAY_OFF else None
    if calendar.country is None:
        return None
    name: str | None = public_holidays(calendar.country, calendar.subdivision, day.year).get(day)
    return name


@dataclass(frozen=True)
class OpenWindow:
    """One window of one local day, in UTC: where meetings may sit, and the span comfort is measured on."""

    local_date: date
    ranges: tuple[DateRange, ...]  # usually one; two when a fall-back hour is cut out
    span: DateRange  # the whole merged window, for comfort


def local_dates(start: date, end: date) -> Iterator[date]:
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def open_days(
    calendar: CityCalendar, start: date, end: date, *, skip_closed_days: bool = True
) -> Iterator[tuple[date, list[tuple[int, int]]]]:
    """Each local date ``start..end`` with its windows in minutes after local midnight.

    Holidays and days away are left out unless ``skip_closed_days=False``; an official make-up
    working day on a weekend gets the hours of the weekday it pays back.
    """
    minutes: dict[int, list[tuple[int, int]]] = {}
    for window in calendar.windows:
        minutes.setdefault(window.weekday, []).append(
            (window.start.hour * 60 + window.start.minute, window_end_minutes(window))
        )
    for day in local_dates(start, end):
        weekday = day.weekday()
        if skip_closed_days and day_kind(calendar, day) != DayKind.WORKING:
            continue
        substitute = make_up_weekday(calendar, day) if skip_closed_days else None
        if substitute is not None and weekday not in minutes:
            weekday = substitute
        if weekday in minutes:
            yield day, minutes[weekday]


def open_windows(
    calendar: CityCalendar, start: date, end: date, *, skip_closed_days: bool = True
) -> list[OpenWindow]:
    """The city's windows on the local dates ``start..end``, holidays and days away left out.

    With ``skip_closed_days=False`` holidays and days away are kept (to explain why nothing fits).
    """
    result: list[OpenWindow] = []
    for day, windows in open_days(calendar, start, end, skip_closed_days=skip_closed_days):
        for start_minute, end_minute in windows:
            pieces = wall_window_to_utc(calendar.tz, day, start_minute, end_minute)
            if pieces:
                span = DateRange(pieces[0].start_utc, pieces[-1].end_utc)
                result.append(OpenWindow(day, tuple(pieces), span))
    return result
