"""Planning: turn the open matches into proposals for coordinators (or confirmed sessions).

One run plans every match that is not confirmed, declined or cancelled, together, with the
confirmed sessions as fixed busy times (the batch planner in ``bot.planner``). Each planned match
keeps its best slots (the planner's choice first, then the next best that fit around everything
else); coordinators are told about a match when it is newly planned, when its best slot changed,
or when it has no common time (with the reason). With ``auto_confirm`` the best slot is confirmed
at once.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.config import Config
from bot.domain import LIVE_MATCH_STATUSES, City, Contact, Match, MatchStatus, NoticeKind, Role
from bot.notices.outbox import queue_notice
from bot.planner import CityCalendar, FixedSession, MeetingRequest, PlanningProblem, Slot, plan
from bot.planner.calendar import CityId
from bot.planner.queries import alternatives, explain
from bot.ports import UnitOfWork
from bot.services.base import ServiceBase

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

OPTIONS_CONSIDERED = 200  # free slots looked at when choosing the alternatives to offer


def distinct_days(slots: list[Slot], count: int) -> list[Slot]:
    """The planner's choice first, then the best slots of other days, then the rest.

    The next best slot is usually the chosen one shifted by 15 minutes, which gives a coordinator
    no real choice; an alternative on another day does (worked example: 16:00, 16:15 and 16:30 on
    Wednesday become Wednesday 16:00, Tuesday 15:00 and Thursday 16:00).
    """
    chosen: list[Slot] = []
    days: set[object] = set()
    for slot in slots:
        if slot.start_utc.date() not in days:
            chosen.append(slot)
            days.add(slot.start_utc.date())
        if len(chosen) == count:
            return chosen
    return chosen + [s for s in slots if s not in chosen][: count - len(chosen)]


@dataclass(frozen=True)
class PlanningReport:
    planned: int
    unschedulable: int
    waiting_for_hours: int
    confirmed_automatically: int


class PlanningService(ServiceBase):
    def __init__(self, root: Services) -> None:
        super().__init__(root)
        self._lock = asyncio.Lock()  # never two planning runs at once in one process

    async def plan_and_notify(self) -> PlanningReport:
        """Plan every open match together and tell the coordinators what changed."""
        async with self._lock:  # the one planning lock: every planning run comes through here
            report, auto = await self._plan()
            confirmed = 0
            for match_id in auto:  # only filled with auto_confirm on
                confirmed += int(await self.root.sessions.confirm_best(match_id))
        return PlanningReport(report.planned, report.unschedulable, report.waiting_for_hours, confirmed)

    async def _plan(self) -> tuple[PlanningReport, list[int]]:
        now = self.now()
        scheduling = self.config.scheduling
        async with self.uow() as uow:
            matches = await uow.matches.with_status(*LIVE_MATCH_STATUSES)
            if not matches:
                return PlanningReport(0, 0, 0, 0), []
            problem = await planning_problem(uow, self.config, now)
            calendars = problem.cities
            waiting = [m for m in matches if not calendars[m.city_a_id].windows or not calendars[m.city_b_id].windows]
            plannable = [m for m in matches if m not in waiting]
            duration = int(scheduling.duration.total_seconds() // 60)
            problem = replace(
                problem, requests=tuple(MeetingRequest(m.id, m.city_a_id, m.city_b_id, duration) for m in plannable)
            )
            result = plan(problem)
            auto_confirm: list[int] = []
            planned = unschedulable = 0
            coordinators = await uow.contacts.with_role(Role.COORDINATOR)
            for match in plannable:
                if match.id in result.scheduled:
                    planned += 1
                    slots = distinct_days(alternatives(problem, result, match.id, OPTIONS_CONSIDERED), scheduling.slots_offered)
                    previous = await uow.matches.proposals(match.id)
                    await uow.matches.set_proposals(match.id, [(s.start_utc, s.comfort) for s in slots])
                    await uow.matches.transition(match.id, LIVE_MATCH_STATUSES, MatchStatus.PLANNED, now)
                    best_changed = not previous or previous[0][0] != slots[0].start_utc
                    if scheduling.auto_confirm:
                        auto_confirm.append(match.id)
                    elif best_changed:
                        await self._tell(uow, coordinators, NoticeKind.PLANNED_MATCH, match, now, key=slots[0].start_utc.isoformat())
                else:
                    unschedulable += 1
                    # The earliest start moves with the clock; the rest says whether anything changed.
                    no_time = replace(explain(problem, match.id, result), earliest_start_utc=None)
                    changed = match.status is not MatchStatus.UNSCHEDULABLE or match.no_time != no_time
                    await uow.matches.set_proposals(match.id, [])
                    await uow.matches.transition(match.id, LIVE_MATCH_STATUSES, MatchStatus.UNSCHEDULABLE, now, no_time=no_time)
                    if changed:
                        key = hashlib.sha256(repr(no_time).encode()).hexdigest()[:16]
                        await self._tell(uow, coordinators, NoticeKind.UNSCHEDULABLE_MATCH, match, now, key=key)
            for match in waiting:
                await uow.matches.set_proposals(match.id, [])
                await uow.matches.transition(match.id, LIVE_MATCH_STATUSES, MatchStatus.OPEN, now, reason="waiting_for_hours")
            await uow.commit()
        self.wakeups.outbox_changed(now)
        log.info("planning: %d planned, %d without a common time, %d waiting for hours", planned, unschedulable, len(waiting))
        return PlanningReport(planned, unschedulable, len(waiting), 0), auto_confirm

    async def _tell(self, uow: UnitOfWork, coordinators: list[Contact], kind: NoticeKind, match: Match, now: datetime, key: str) -> None:
        await queue_notice(
            uow, kind, coordinators, key=f"{kind.value}:{match.id}:{key}", due_utc=now, payload={"match_id": match.id},
            email_enabled=self.config.email.enabled,
        )


async def city_calendars(uow: UnitOfWork, cities: list[City]) -> dict[CityId, CityCalendar]:
    """What the planner knows of each city: zone, country (for holidays and the coordinators'
    official overrides), weekly hours, days away.

    Three queries for all cities, whatever their number: planning reads every city's calendar.
    """
    ids = [city.id for city in cities]
    hours, away = await uow.cities.weekly_hours_of(ids), await uow.cities.days_away_of(ids)
    overrides = tuple(await uow.day_overrides.list())  # each calendar keeps its own country's
    return {
        city.id: CityCalendar(
            id=city.id,
            tz=city.timezone,
            country=city.country,
            subdivision=city.subdivision,
            windows=hours.get(city.id, ()),
            days_away=frozenset(away.get(city.id, ())),
            overrides=overrides,
        )
        for city in cities
    }


async def planning_problem(
    uow: UnitOfWork,
    config: Config,
    now: datetime,
    exclude_session_id: int | None = None,
    city_ids: frozenset[int] | None = None,
) -> PlanningProblem:
    """The cities' calendars (all, or ``city_ids``) and their confirmed sessions as busy time; no requests yet."""
    scheduling = config.scheduling
    cities = await city_calendars(uow, [c for c in await uow.cities.list() if city_ids is None or c.id in city_ids])
    fixed = []
    for session, city_a_id, city_b_id in await uow.sessions.upcoming_with_cities(after_utc=now - timedelta(days=1)):
        if session.id == exclude_session_id:
            continue
        involved = tuple(c for c in (city_a_id, city_b_id) if c in cities)
        if involved:
            fixed.append(FixedSession(involved, session.start_utc, session.end_utc))
    return PlanningProblem(
        now_utc=now,
        horizon_start=now.date(),
        horizon_end=(now + scheduling.horizon).date(),
        min_notice=scheduling.min_notice,
        granularity_minutes=int(scheduling.granularity.total_seconds() // 60),
        max_per_city_day=scheduling.max_sessions_per_city_per_day,
        cities=cities,
        fixed_sessions=tuple(fixed),
    )
