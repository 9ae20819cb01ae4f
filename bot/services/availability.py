"""A city's usual meeting hours and days away, and where its hours meet its partners' hours."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from bot.domain import Actor, City, DayOverride, InvalidInputError, WeeklyWindow
from bot.planner import CityCalendar
from bot.ports import UnitOfWork
from bot.services.base import ServiceBase
from bot.services.errors import user_error
from bot.week_grid import Cell, cells_in_zone, cells_of, fits_the_grid, windows_of

HOURS_STEP = "hours"
AWAY_STEP = "away"
# Preset keys travel in button data, so they stay short; the texts are what the parser reads.
HOURS_PRESETS: dict[str, str] = {
    "office": "Mon-Fri 09:00-17:00",
    "morning": "Mon-Fri 09:00-12:00",
    "afternoon": "Mon-Fri 13:00-17:00",
    "split": "Mon-Fri 09:00-12:00, 14:00-17:30",
}


@dataclass(frozen=True)
class Overlap:
    partner: City
    windows: tuple[WeeklyWindow, ...]  # in the viewing city's own local time


@dataclass(frozen=True)
class OfficialDay:
    """An official day off or working day the coordinators entered, ahead within the planning
    horizon, for the city or partners it overlaps with: what the usual week does not show."""

    override: DayOverride
    cities: tuple[str, ...]  # the names of the cities it applies to, the viewing city first


@dataclass(frozen=True)
class HoursView:
    city: City
    windows: tuple[WeeklyWindow, ...]
    text: str  # the canonical text form, e.g. "Mon-Fri 09:00-12:00, 14:00-17:30"
    overlaps: tuple[Overlap, ...]
    official_days: tuple[OfficialDay, ...] = ()


@dataclass(frozen=True)
class AwayView:
    city: City
    days: tuple[date, ...]  # today (in the city's zone) and later


@dataclass(frozen=True)
class PartnerHours:
    """A partner city's usual hours on the viewer's week grid: in the viewer's own local time."""

    partner: City
    cells: frozenset[Cell]
    overlap: frozenset[Cell]  # where the viewer's own hours are too


@dataclass(frozen=True)
class WeekGridView:
    """The hours page: the city's own cells and each partner's, for the week of ``week_start``.

    Partner hours depend on the week (Hamburg 09:00 is Panjin 16:00 in winter, 15:00 in summer),
    so they are converted for a real week: this one, in the city's zone, DST as it is.
    """

    city: City
    own: frozenset[Cell]
    exact: bool  # the own hours start and end on half hours, so the grid shows them exactly
    text: str  # the own hours as /hours writes them ("Mon-Fri 09:00-12:00, 14:00-17:30")
    week_start: date
    partners: tuple[PartnerHours, ...]
    official_days: tuple[OfficialDay, ...] = ()  # ahead, for the city and the partners it overlaps with, as /hours lists them

    def heat(self) -> dict[Cell, int]:
        """How many partners are available in each cell."""
        counts: dict[Cell, int] = {}
        for partner in self.partners:
            for cell in partner.cells:
                counts[cell] = counts.get(cell, 0) + 1
        return counts


@dataclass(frozen=True)
class AwayCalendar:
    """The days-away calendar: the city's days away and public holidays from today on."""

    city: City
    today: date
    last: date
    days_away: frozenset[date]
    holidays: dict[date, str]  # day -> the holiday's name (in the holiday library's language)


class AvailabilityService(ServiceBase):
    async def hours(self, *, by: Actor, city_id: int | None = None) -> HoursView:
        async with self.reading() as uow:
            _, city = await self.city_to_manage(uow, by, city_id)
            return await self._hours_view(uow, city)

    async def set_hours(self, *, by: Actor, text: str, city_id: int | None = None) -> HoursView:
        """Parse and save weekly hours (a preset key or free text); a parse error saves nothing."""
        from bot.planner import parse_weekly_hours

        windows = parse_weekly_hours(HOURS_PRESETS.get(text, text))
        async with self.uow() as uow:
            person, city = await self.city_to_manage(uow, by, city_id)
            await uow.cities.set_weekly_hours(city.id, windows)
            if person.waiting_for == HOURS_STEP:
                await self.wait(uow, by, None)
            await uow.commit()
        self.wakeups.planning_needed()
        async with self.reading() as uow:
            return await self._hours_view(uow, city)

    async def ask_hours(self, *, by: Actor, city_id: int) -> City:
        """Wait for free-text hours from ``by`` (their next message)."""
        async with self.uow() as uow:
            _, city = await self.city_to_manage(uow, by, city_id)
            await self.wait(uow, by, HOURS_STEP, {"city_id": city.id})
            await uow.commit()
            return city

    async def days_away(self, *, by: Actor, city_id: int | None = None) -> AwayView:
        async with self.reading() as uow:
            _, city = await self.city_to_manage(uow, by, city_id)
            return await self._away_view(uow, city)

    async def ask_days_away(self, *, by: Actor, city_id: int) -> City:
        async with self.uow() as uow:
            _, city = await self.city_to_manage(uow, by, city_id)
            await self.wait(uow, by, AWAY_STEP, {"city_id": city.id})
            await uow.commit()
            return city

    async def add_days_away(self, *, by: Actor, text: str, city_id: int | None = None) -> AwayView:
        """Add dates and ranges (``2027-04-01, 2027-04-06..2027-04-08``); past days are refused."""
        from bot.planner import parse_days_away

        days = parse_days_away(text)
        async with self.uow() as uow:
            person, city = await self.city_to_manage(uow, by, city_id)
            today = self._today(city)
            past = [d for d in days if d < today]
            if past:
                raise user_error(InvalidInputError, "{day} is in the past; nothing was saved.", day=past[0].isoformat())
            await uow.cities.add_days_away(city.id, days)
            if person.waiting_for == AWAY_STEP:
                await self.wait(uow, by, None)
            view = await self._away_view(uow, city)
            await uow.commit()
        self.wakeups.planning_needed()
        return view

    async def remove_day_away(self, *, by: Actor, city_id: int, day: date, until: date | None = None) -> AwayView:
        """Remove one day away, or every day from ``day`` to ``until``; removing days already gone
        changes nothing (a double tap)."""
        last = until if until is not None and until >= day else day
        async with self.uow() as uow:
            _, city = await self.city_to_manage(uow, by, city_id)
            stored = await uow.cities.days_away(city.id)  # what there is to remove, however wide the range
            await uow.cities.remove_days_away(city.id, [d for d in stored if day <= d <= last])
            view = await self._away_view(uow, city)
            await uow.commit()
        self.wakeups.planning_needed()
        return view

    # ---- the web's week grid and calendar ---------------------------------------------------

    async def week_grid(self, *, by: Actor, city_id: int | None = None) -> WeekGridView:
        """The city's hours as week-grid cells, with every partner city's hours in this city's time."""
        async with self.reading() as uow:
            _, city = await self.city_to_manage(uow, by, city_id)
            return await self._week_grid(uow, city)

    async def set_hours_cells(self, *, by: Actor, cells: frozenset[Cell], city_id: int | None = None) -> WeekGridView:
        """Save the painted cells as the city's weekly hours: the same rules ``/hours`` writes."""
        windows = windows_of(cells)
        async with self.uow() as uow:
            _, city = await self.city_to_manage(uow, by, city_id)
            await uow.cities.set_weekly_hours(city.id, windows)
            await uow.commit()
        self.wakeups.planning_needed()
        async with self.reading() as uow:
            return await self._week_grid(uow, city)

    async def away_calendar(self, *, by: Actor, days: int = 92, city_id: int | None = None) -> AwayCalendar:
        """Days away and public holidays of the city, from today for ``days`` days (a quarter)."""
        from bot.planner.calendar import public_holidays

        async with self.reading() as uow:
            _, city = await self.city_to_manage(uow, by, city_id)
            away = await self._away_view(uow, city)
        today = self._today(city)
        last = today + timedelta(days=days - 1)
        names: dict[date, str] = {}
        for year in range(today.year, last.year + 1):
            for day, name in public_holidays(city.country, city.subdivision, year).items():
                if today <= day <= last:
                    names[day] = str(name)
        return AwayCalendar(city, today, last, frozenset(away.days), names)

    async def toggle_day_away(self, *, by: Actor, day: date, city_id: int | None = None) -> AwayView:
        """A tap on a calendar day: away if it was not, back if it was. Past days are refused."""
        async with self.reading() as uow:
            _, city = await self.city_to_manage(uow, by, city_id)
            away = day in await uow.cities.days_away(city.id)
        if away:
            return await self.remove_day_away(by=by, city_id=city.id, day=day)
        return await self.add_days_away(by=by, text=day.isoformat(), city_id=city.id)

    async def _week_grid(self, uow: UnitOfWork, city: City) -> WeekGridView:
        from bot.planner import render_weekly_hours

        own_windows = await uow.cities.weekly_hours(city.id)
        own = cells_of(own_windows)
        partners = [p for p in await uow.cities.list() if self.config.programme.pairing.allows(city, p)]
        hours = await uow.cities.weekly_hours_of([p.id for p in partners])
        today = self._today(city)
        week_start = today - timedelta(days=today.weekday())  # this week, its clock changes as they are
        result = []
        for partner in partners:
            windows = tuple(hours.get(partner.id, ()))
            if not windows:
                continue
            shown = cells_in_zone(partner.timezone, windows, city.timezone, week_start)
            result.append(PartnerHours(partner, shown, shown & own))
        # The official days ahead, as the chat's /hours lists them under the overlaps: the city's own
        # and those of each partner it overlaps with (one query, whatever the number of partners).
        overrides = tuple(await uow.day_overrides.list())
        listed = [city, *(p.partner for p in result if p.overlap)]
        calendars: dict[object, CityCalendar] = {
            c.id: CityCalendar(id=c.id, tz=c.timezone, country=c.country, subdivision=c.subdivision, windows=(), overrides=overrides) for c in listed
        }
        official = self._official_days(today, listed, calendars)
        return WeekGridView(
            city, own, fits_the_grid(own_windows), render_weekly_hours(own_windows) if own_windows else "", week_start, tuple(result), official,
        )

    def _today(self, city: City) -> date:
        return self.now().astimezone(ZoneInfo(city.timezone)).date()

    async def _away_view(self, uow: UnitOfWork, city: City) -> AwayView:
        today = self._today(city)
        return AwayView(city, tuple(d for d in await uow.cities.days_away(city.id) if d >= today))

    async def _hours_view(self, uow: UnitOfWork, city: City) -> HoursView:
        from bot.planner import render_weekly_hours, weekly_overlap
        from bot.services.planning import city_calendars

        own = await uow.cities.weekly_hours(city.id)
        overlaps = []
        if own:
            partners = [p for p in await uow.cities.list() if self.config.programme.pairing.allows(city, p)]
            calendars = await city_calendars(uow, [city, *partners])
            mine = calendars[city.id]
            today = self._today(city)
            # The coming week as it is (DST included): Monday of this week to Sunday.
            week_start = today - timedelta(days=today.weekday())
            for partner in partners:
                theirs = calendars[partner.id]
                if not theirs.windows:
                    continue
                shared = weekly_overlap(mine, theirs, week_start)
                overlaps.append(Overlap(partner, tuple(WeeklyWindow(day, start, end) for day, start, end in shared)))
            official = self._official_days(
                today, [city, *(o.partner for o in overlaps if o.windows)], calendars,
            )
            return HoursView(city, own, render_weekly_hours(own), tuple(overlaps), official)
        return HoursView(city, own, "", tuple(overlaps))

    def _official_days(self, today: date, cities: list[City], calendars: Mapping[object, CityCalendar]) -> tuple[OfficialDay, ...]:
        """The entered official days from today to the end of the planning horizon, per override."""
        last = today + self.config.scheduling.horizon
        found: dict[DayOverride, list[str]] = {}
        for city in cities:
            for override in calendars[city.id].overrides:
                if today <= override.day <= last:
                    found.setdefault(override, []).append(city.name)
        return tuple(OfficialDay(o, tuple(names)) for o, names in sorted(found.items(), key=lambda item: (item[0].day, item[0].country)))
