"""Shared builders for planner tests: named cities and a problem with a fixed clock."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta, timezone

import pytest

from bot.planner import CityCalendar, FixedSession, MeetingRequest, PlanningProblem, parse_weekly_hours


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def city(city_id: str, tz: str, country: str | None, hours: str, away: Iterable[date] = (), cap: int | None = None) -> CityCalendar:
    return CityCalendar(city_id, tz, country, None, parse_weekly_hours(hours), frozenset(away), cap)


PANJIN = city("panjin", "Asia/Shanghai", "CN", "Mon-Fri 08:30-11:30, 13:30-17:30")
LISBON = city("lisbon", "Europe/Lisbon", "PT", "Mon-Fri 09:30-12:30, 14:00-18:00")
RAVENNA = city("ravenna", "Europe/Rome", "IT", "Mon-Fri 09:00-13:00, 14:30-17:00")
AUCKLAND = city("auckland", "Pacific/Auckland", "NZ", "Mon-Fri 09:00-17:00")
LOS_ANGELES = city("la", "America/Los_Angeles", "US", "Mon-Fri 09:00-17:00")


def problem(
    cities: Iterable[CityCalendar],
    *,
    now: str = "2027-03-22 08:00",
    start: date = date(2027, 3, 22),
    end: date = date(2027, 4, 11),
    notice_hours: int = 48,
    cap: int = 2,
    requests: Iterable[MeetingRequest] = (),
    fixed: Iterable[FixedSession] = (),
) -> PlanningProblem:
    return PlanningProblem(
        now_utc=utc(now), horizon_start=start, horizon_end=end, min_notice=timedelta(hours=notice_hours),
        granularity_minutes=15, max_per_city_day=cap, cities={c.id: c for c in cities},
        requests=tuple(requests), fixed_sessions=tuple(fixed),
    )


@pytest.fixture
def panjin_lisbon() -> PlanningProblem:
    return problem([PANJIN, LISBON])
