"""A city's usual meeting hours and days away, and where its hours meet its partners' hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from bot.domain import Actor, City, InvalidInputError, WeeklyWindow
from bot.ports import UnitOfWork
from bot.services.base import ServiceBase
from bot.services.errors import user_error

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
class HoursView:
    city: City
    windows: tuple[WeeklyWindow, ...]
    text: str  # the canonical text form, e.g. "Mon-Fri 09:00-12:00, 14:00-17:30"
    overlaps: tuple[Overlap, ...]


@dataclass(frozen=True)
class AwayView:
    city: City
    days: tuple[date, ...]  # today (in the city's zone) and later


class AvailabilityService(ServiceBase):
    async def hours(self, *, by: Actor, city_id: int | None = None) -> HoursView:
        async with self.uow() as uow:
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
            view = await self._hours_view(uow, city)
            await uow.commit()
        self.wakeups.planning_needed()
        return view

    async def ask_hours(self, *, by: Actor, city_id: int) -> City:
        """Wait for free-text hours from ``by`` (their next message)."""
        async with self.uow() as uow:
            _, city = await self.city_to_manage(uow, by, city_id)
            await self.wait(uow, by, HOURS_STEP, {"city_id": city.id})
            await uow.commit()
            return city

    async def days_away(self, *, by: Actor, city_id: int | None = None) -> AwayView:
        async with self.uow() as uow:
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

    async def remove_day_away(self, *, by: Actor, city_id: int, day: date) -> AwayView:
        """Remove one day away; removing one already gone changes nothing (a double tap)."""
        async with self.uow() as uow:
            _, city = await self.city_to_manage(uow, by, city_id)
            await uow.cities.remove_days_away(city.id, [day])
            view = await self._away_view(uow, city)
            await uow.commit()
        self.wakeups.planning_needed()
        return view

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
        return HoursView(city, own, render_weekly_hours(own) if own else "", tuple(overlaps))
