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
import atexit
import hashlib
import logging
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from bot.callback_data import ForgedButtonError
from bot.config import Config
from bot.domain import LIVE_MATCH_STATUSES, Actor, City, Contact, Match, MatchStatus, NoticeKind, NoTimeExplanation, Role
from bot.notices.outbox import queue_notice
from bot.notices.planning import digest_page
from bot.notices.rendering import SEPARATE_NOTICES, RenderContext
from bot.planner import CityCalendar, FixedSession, MeetingRequest, PlanningProblem
from bot.planner.calendar import CityId, calendar_is_a_guess
from bot.planner.proposals import Proposals, propose
from bot.ports import Notification, UnitOfWork
from bot.services.base import ServiceBase

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

ATTEMPTS = 3  # plans made again when the inputs changed while planning


@dataclass(frozen=True)
class PlanningReport:
    planned: int
    unschedulable: int
    waiting_for_hours: int
    confirmed_automatically: int
    skipped: bool = False  # another process was planning; this run did nothing and asked for another


@dataclass(frozen=True)
class _Snapshot:
    """What one planning run read, in one transaction."""

    matches: tuple[Match, ...]  # the live ones
    calendars: PlanningProblem  # cities and confirmed sessions, no requests
    problem: PlanningProblem  # the same with a request per plannable match
    proposals: dict[int, list[tuple[datetime, float]]]  # each match's offered slots before this run
    coordinators: tuple[Contact, ...]
    waiting: tuple[Match, ...]  # a city without hours yet


_worker: ProcessPoolExecutor | None = None


async def solve_elsewhere(problem: PlanningProblem, slots_offered: int) -> Proposals:
    """The planner's part of a run (``bot.planner.proposals.propose``), in a process of its own.

    The planner is CPU-bound Python: in a thread of the bot's process it held the interpreter's
    lock for most of a run (0.3 s of CPU for 459 matches, seconds of wall time under load), and
    every answer the event loop gave meanwhile was slower. In its own process it has the other core.
    One process serves every planning service of this one, started at the first run ("spawn": a
    fresh interpreter, none of the bot's threads or connections forked into it), ended with it.
    """
    global _worker
    if _worker is None:
        _worker = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        atexit.register(_worker.shutdown, wait=False, cancel_futures=True)
    return await asyncio.get_running_loop().run_in_executor(_worker, propose, problem, slots_offered)


class PlanningService(ServiceBase):
    def __init__(self, root: Services) -> None:
        super().__init__(root)
        self._lock = asyncio.Lock()  # never two planning runs at once in one process

    async def plan_and_notify(self) -> PlanningReport:
        """Plan every open match together and tell the coordinators what changed."""
        # Every planning run comes through here: the asyncio lock orders the runs of this process,
        # the database's lock lets one process at a time plan (two runs writing the same matches'
        # proposals would undo each other's notices). A process that finds another planning skips,
        # and asks for a run after the debounce, which plans whatever it changed meanwhile.
        async with self._lock, self.root.uow_factory.exclusively("planning") as mine:
            if not mine:
                log.info("planning: another process is planning now; skipped, trying again shortly")
                self.wakeups.planning_needed()
                return PlanningReport(0, 0, 0, 0, skipped=True)
            report, auto = await self._plan()
            confirmed = 0
            for match_id in auto:  # only filled with auto_confirm on
                confirmed += int(await self.root.sessions.confirm_best(match_id))
        return PlanningReport(report.planned, report.unschedulable, report.waiting_for_hours, confirmed)

    async def digest_page(self, *, by: Actor, message_id: int, page: int) -> Notification:
        """Another page of a planning digest, for the coordinator it was sent to (a "‹" or "›" tap)."""
        self.require_coordinator(by)
        async with self.reading() as uow:
            person = await self.person(uow, by)
            if person.contact is None:
                raise ForgedButtonError("a coordinator without a contact row has no digest")
            message = await uow.outbox.get(message_id)
            if message is None or message.kind != NoticeKind.PLANNING_DIGEST.value or message.contact_id != person.contact.id:
                raise ForgedButtonError(f"no digest {message_id} for this coordinator")
            text, buttons, _ = await digest_page(RenderContext(uow, self.config, self.now()), person.contact, message, page)
        return Notification(text=text, buttons=buttons)

    async def _plan(self) -> tuple[PlanningReport, list[int]]:
        """Read a snapshot, plan outside any transaction, write what changed in one short one.

        Planning 450 matches takes the planner a while; on SQLite a transaction holds the only
        write lock, so planning inside one made every answer wait for the whole run. Here the
        reads and the writes are two short transactions, and the planner runs between them in a
        process of its own (``solve_elsewhere``), so the event loop keeps answering. The write transaction first reads the
        inputs again: if a match, an hour or a session changed meanwhile, the plan is stale and
        the run starts over (a few times; then it asks for another run and writes nothing).
        """
        now = self.now()
        for _ in range(ATTEMPTS):
            snapshot = await self._snapshot(now)
            if snapshot is None:
                return PlanningReport(0, 0, 0, 0), []
            log.debug("planning: %d live matches read; planning outside the database", len(snapshot.matches))
            outcome = await solve_elsewhere(snapshot.problem, self.config.scheduling.slots_offered)
            written = await self._write(snapshot, outcome, now)
            if written is not None:
                return written
            log.info("planning: matches or calendars changed while planning; planning again")
        self.wakeups.planning_needed()
        return PlanningReport(0, 0, 0, 0, skipped=True), []

    async def _snapshot(self, now: datetime) -> _Snapshot | None:
        async with self.reading() as uow:
            matches = await uow.matches.with_status(*LIVE_MATCH_STATUSES)
            if not matches:
                return None
            calendars = await planning_problem(uow, self.config, now)
            proposals = await uow.matches.proposals_of([m.id for m in matches])
            coordinators = await uow.contacts.with_role(Role.COORDINATOR)
        duration = int(self.config.scheduling.duration.total_seconds() // 60)
        waiting = [m for m in matches if not calendars.cities[m.city_a_id].windows or not calendars.cities[m.city_b_id].windows]
        requests = tuple(MeetingRequest(m.id, m.city_a_id, m.city_b_id, duration) for m in matches if m not in waiting)
        return _Snapshot(tuple(matches), calendars, replace(calendars, requests=requests), proposals, tuple(coordinators), tuple(waiting))

    async def _write(self, snapshot: _Snapshot, outcome: Proposals, now: datetime) -> tuple[PlanningReport, list[int]] | None:
        """Store the plan in one short transaction, or None when its inputs changed meanwhile."""
        scheduling = self.config.scheduling
        async with self.root.uow_factory(background=True) as uow:
            if (
                tuple(await uow.matches.with_status(*LIVE_MATCH_STATUSES)) != snapshot.matches
                or await planning_problem(uow, self.config, now) != snapshot.calendars
            ):
                return None
            await self._warn_about_guesses(uow, snapshot.calendars, snapshot.coordinators, now)
            auto_confirm: list[int] = []
            proposals: dict[int, list[tuple[datetime, float]]] = {}
            planned = unschedulable = 0
            news: list[tuple[NoticeKind, Match, str]] = []  # what the coordinators hear of this run
            moves: dict[str, tuple[tuple[MatchStatus, str | None, NoTimeExplanation | None], list[int]]] = {}  # by target state
            for match in snapshot.matches:
                previous = snapshot.proposals.get(match.id, [])
                if match in snapshot.waiting:
                    target: tuple[MatchStatus, str | None, NoTimeExplanation | None] = (MatchStatus.OPEN, "waiting_for_hours", None)
                    new: list[tuple[datetime, float]] = []
                elif match.id in outcome.slots:
                    planned += 1
                    slots = outcome.slots[match.id]
                    target, new = (MatchStatus.PLANNED, None, None), [(s.start_utc, s.comfort) for s in slots]
                    if scheduling.auto_confirm:
                        auto_confirm.append(match.id)
                    elif not previous or previous[0][0] != slots[0].start_utc:
                        news.append((NoticeKind.PLANNED_MATCH, match, slots[0].start_utc.isoformat()))
                else:
                    unschedulable += 1
                    no_time = outcome.reasons[match.id]
                    target, new = (MatchStatus.UNSCHEDULABLE, None, no_time), []
                    if match.status is not MatchStatus.UNSCHEDULABLE or match.no_time != no_time:
                        news.append((NoticeKind.UNSCHEDULABLE_MATCH, match, hashlib.sha256(repr(no_time).encode()).hexdigest()[:16]))
                if new != previous:
                    proposals[match.id] = new
                if (match.status, match.reason, match.no_time) != target:
                    moves.setdefault(repr(target), (target, []))[1].append(match.id)
            # One statement per state the matches move to (planned: one for all), not one per match:
            # this transaction holds SQLite's write lock, and every answer that writes waits for it.
            for (status, reason, why), match_ids in moves.values():
                await uow.matches.transition_many(match_ids, LIVE_MATCH_STATUSES, status, now, reason=reason, no_time=why)
            await uow.matches.set_proposals_of(proposals)
            await self._tell_coordinators(uow, snapshot.coordinators, news, now)
            await uow.commit()
        self.wakeups.outbox_changed(now)
        waiting = len(snapshot.waiting)
        log.info("planning: %d planned, %d without a common time, %d waiting for hours", planned, unschedulable, waiting)
        return PlanningReport(planned, unschedulable, waiting, 0), auto_confirm

    async def _tell_coordinators(
        self, uow: UnitOfWork, coordinators: Sequence[Contact], news: list[tuple[NoticeKind, Match, str]], now: datetime
    ) -> None:
        """A few pieces of news go one message each (each with its buttons); more go in one digest.

        So a run that plans 450 matches sends each coordinator one message, not 450 (drained at
        one a second per chat, they took minutes and buried everything else).
        """
        if len(news) <= SEPARATE_NOTICES:
            for kind, match, key in news:
                await self._tell(uow, coordinators, kind, match, now, key=key)
            return
        planned = [match.id for kind, match, _ in news if kind is NoticeKind.PLANNED_MATCH]
        unschedulable = [match.id for kind, match, _ in news if kind is NoticeKind.UNSCHEDULABLE_MATCH]
        key = hashlib.sha256(repr(sorted((kind.value, match.id, key) for kind, match, key in news)).encode()).hexdigest()[:16]
        await queue_notice(
            uow, NoticeKind.PLANNING_DIGEST, coordinators, key=f"{NoticeKind.PLANNING_DIGEST.value}:{key}", due_utc=now,
            payload={"planned": " ".join(map(str, planned)), "unschedulable": " ".join(map(str, unschedulable))}, email_enabled=self.config.email.enabled,
        )

    async def _warn_about_guesses(self, uow: UnitOfWork, problem: PlanningProblem, coordinators: Sequence[Contact], now: datetime) -> None:
        """Tell the coordinators, once per country and year (the database remembers), when the
        horizon reaches a year whose holidays the ``holidays`` package only guesses for a country
        of the programme. Also when some official days of that year are entered already: one
        mourning day entered says nothing of whether the whole arrangement is."""
        cities_of: dict[str, list[CityId]] = {}
        for calendar in problem.cities.values():
            if calendar.country is not None:
                cities_of.setdefault(calendar.country.upper(), []).append(calendar.id)
        for country, city_ids in sorted(cities_of.items()):
            for year in range(problem.horizon_start.year, problem.horizon_end.year + 1):
                if not calendar_is_a_guess(country, year):
                    continue
                if not await uow.day_overrides.warn_once(country, year, now_utc=now):
                    continue
                start = max(problem.horizon_start, date(year, 1, 1))
                await queue_notice(
                    uow, NoticeKind.CALENDAR_GUESS, coordinators, key=f"{NoticeKind.CALENDAR_GUESS.value}:{country}:{year}", due_utc=now,
                    payload={"country": country, "year": year, "city_ids": sorted(city_ids, key=str), "start": start.isoformat()},
                    email_enabled=self.config.email.enabled,
                )

    async def _tell(self, uow: UnitOfWork, coordinators: Sequence[Contact], kind: NoticeKind, match: Match, now: datetime, key: str) -> None:
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
