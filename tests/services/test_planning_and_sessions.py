"""Planning all matches together and confirming them, on SQLite and PostgreSQL, with the example programme."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.clock import ManualClock
from bot.config import Config, CoordinatorConfig
from bot.domain import Actor, MatchStatus, NoTimeReason, PermissionDeniedError, Role, SessionStatus
from bot.planner import parse_weekly_hours
from bot.services import Services
from bot.services.sessions import AlreadyConfirmedError, SlotTakenError
from storage.uow import UnitOfWorkFactory
from tandem.demo.scenario import EMBEDDED, Scenario, load_scenario
from tests.services.conftest import job_queue_wakeups

# The programme's shared folder lies outside the repository, beside the checkout or a few folders up
# (a worktree sits deeper than the main checkout); a checkout without it skips the comparison.
SHARED_SCENARIO = next(
    (path for folder in Path(__file__).resolve().parents[2:] if (path := folder / "shared" / "scenario" / "scenario.toml").exists()),
    None,
)
QINGMING = date(2027, 4, 5)
SECOND_COORDINATOR = 1002


def test_the_embedded_scenario_is_the_programmes_shared_example() -> None:
    if SHARED_SCENARIO is None:
        pytest.skip("the programme's shared folder is not beside this checkout or above it")
    assert EMBEDDED.read_text(encoding="utf-8") == SHARED_SCENARIO.read_text(encoding="utf-8")


async def programme_services(uow_factory: UnitOfWorkFactory, scenario: Scenario, **scheduling: object) -> tuple[Services, dict[str, int]]:
    """The scenario's cities, hours, days away and matches straight in the database, and services over it."""
    programme = replace(
        scenario.programme,
        coordinators=scenario.programme.coordinators + (CoordinatorConfig(SECOND_COORDINATOR, "Second coordinator"),),
    )
    config = Config(programme=programme, scheduling=replace(scenario.scheduling, **scheduling))
    clock = ManualClock(scenario.now_utc)
    services = Services(config=config, clock=clock, uow_factory=uow_factory, wakeups=job_queue_wakeups(clock))
    await services.interests.sync_topics()
    ids: dict[str, int] = {}
    async with uow_factory() as uow:
        topics = {t.key: t.id for t in await uow.topics.list()}
        for c in scenario.cities:
            city = await uow.cities.add(name=c.name, country=c.country, timezone=c.timezone, group=c.group, now_utc=scenario.now_utc)
            ids[c.name] = city.id
            await uow.cities.set_weekly_hours(city.id, parse_weekly_hours(c.hours))
            await uow.cities.add_days_away(city.id, c.away)
            for person in c.contacts:
                await uow.contacts.add(
                    display_name=person.name, role=Role.CONTACT, language="en", now_utc=scenario.now_utc,
                    city_id=city.id, telegram_user_id=person.telegram_id, chat_id=person.telegram_id,
                )
        for coordinator in programme.coordinators:
            await uow.contacts.add(
                display_name=coordinator.name, role=Role.COORDINATOR, language="en", now_utc=scenario.now_utc,
                telegram_user_id=coordinator.telegram_id, chat_id=coordinator.telegram_id,
            )
        for i, a in enumerate(scenario.cities):
            for b in scenario.cities[i + 1 :]:
                if a.group != b.group:
                    for topic in sorted(set(a.topics) & set(b.topics)):
                        await uow.matches.create(ids[a.name], ids[b.name], topics[topic], scenario.now_utc)
        await uow.commit()
    return services, ids


async def test_the_example_programme_plans_and_confirms_all_eleven_matches_within_every_rule(uow_factory: UnitOfWorkFactory) -> None:
    scenario = load_scenario()
    services, ids = await programme_services(uow_factory, scenario)
    report = await services.planning.plan_and_notify()
    assert (report.planned, report.unschedulable, report.waiting_for_hours) == (scenario.expected_matches, 0, 0) == (11, 0, 0)
    pending = await services.sessions.pending(by=Actor.telegram(1001))
    for view in pending:
        await services.sessions.confirm(view.match.id, view.slots[0], by=Actor.telegram(1001))
    sessions = await services.sessions.schedule(by=Actor.telegram(1001))
    assert len(sessions) == 11

    names = {v: k for k, v in ids.items()}
    city_of = {c.name: c for c in scenario.cities}
    per_city_day: Counter[tuple[str, date]] = Counter()
    busy: dict[str, list[tuple[datetime, datetime]]] = {}
    for view in sessions:
        start, end = view.session.start_utc, view.session.end_utc
        for city in (view.city_a, view.city_b):
            local_start, local_end = start.astimezone(ZoneInfo(city.timezone)), end.astimezone(ZoneInfo(city.timezone))
            windows = [w for w in parse_weekly_hours(city_of[city.name].hours) if w.weekday == local_start.weekday()]
            assert any(w.start <= local_start.time() and local_end.time() <= w.end for w in windows), (city.name, local_start)
            assert local_start.date() not in city_of[city.name].away
            per_city_day[(city.name, local_start.date())] += 1
            busy.setdefault(city.name, []).append((start, end))
        if "Lisbon" in (view.city_a.name, view.city_b.name):
            assert start >= datetime(2027, 3, 29, tzinfo=timezone.utc)
        if "Panjin" in (view.city_a.name, view.city_b.name):
            assert start.astimezone(ZoneInfo("Asia/Shanghai")).date() != QINGMING
        assert start >= scenario.now_utc + timedelta(hours=48)
    assert max(per_city_day.values()) <= 2
    for city, spans in busy.items():
        spans.sort()
        assert all(spans[i][1] <= spans[i + 1][0] for i in range(len(spans) - 1)), city
    assert set(names) == {view.match.city_a_id for view in sessions} | {view.match.city_b_id for view in sessions}


async def test_two_coordinators_tapping_at_once_confirm_one_session_and_the_second_learns_who(uow_factory: UnitOfWorkFactory) -> None:
    services, _ = await programme_services(uow_factory, load_scenario())
    await services.planning.plan_and_notify()
    [view, *_] = await services.sessions.pending(by=Actor.telegram(1001))
    outcomes = await asyncio.gather(
        services.sessions.confirm(view.match.id, view.slots[0], by=Actor.telegram(1001)),
        services.sessions.confirm(view.match.id, view.slots[-1], by=Actor.telegram(SECOND_COORDINATOR)),
        return_exceptions=True,
    )
    winners = [o for o in outcomes if not isinstance(o, BaseException)]
    losers = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(winners) == 1 and len(losers) == 1
    assert isinstance(losers[0], AlreadyConfirmedError)
    assert losers[0].confirmed_by in ("Programme coordinator", "Second coordinator")
    async with uow_factory() as uow:
        assert len(await uow.sessions.views(statuses=[SessionStatus.CONFIRMED])) == 1


async def test_only_coordinators_see_proposals_and_confirm(uow_factory: UnitOfWorkFactory) -> None:
    services, _ = await programme_services(uow_factory, load_scenario())
    await services.planning.plan_and_notify()
    [view, *_] = await services.sessions.pending(by=Actor.telegram(1001))
    for call in (services.sessions.pending(by=Actor.telegram(2001)), services.sessions.confirm(view.match.id, view.slots[0], by=Actor.telegram(2001))):
        with pytest.raises(PermissionDeniedError):
            await call


async def test_automatic_confirmation_confirms_the_best_slot_of_every_match(uow_factory: UnitOfWorkFactory) -> None:
    services, _ = await programme_services(uow_factory, load_scenario(), auto_confirm=True)
    report = await services.planning.plan_and_notify()
    assert report.confirmed_automatically == 11
    async with uow_factory() as uow:
        assert len(await uow.sessions.views(statuses=[SessionStatus.CONFIRMED])) == 11
        assert await uow.matches.with_status(MatchStatus.PLANNED) == []


async def test_a_pair_without_common_time_in_the_horizon_is_explained(uow_factory: UnitOfWorkFactory) -> None:
    # Five days from Monday 22 March: Panjin and Lisbon never overlap before Europe's clocks change.
    services, ids = await programme_services(uow_factory, load_scenario(), horizon=timedelta(days=5))
    await services.planning.plan_and_notify()
    async with uow_factory() as uow:
        lisbon = [m for m in await uow.matches.of_city(ids["Lisbon"])]
        queued = await uow.outbox.list()
    assert lisbon and all(m.status is MatchStatus.UNSCHEDULABLE for m in lisbon)
    assert {m.no_time.reason for m in lisbon if m.no_time} <= {
        NoTimeReason.WINDOWS_NEVER_OVERLAP, NoTimeReason.OVERLAP_TOO_SHORT, NoTimeReason.NOT_AFTER_NOTICE
    }
    assert all(m.no_time is not None and m.reason is None for m in lisbon)
    # The coordinators are told why: one message per match, or (more than three) one digest listing them.
    told = {q.payload.get("match_id") for q in queued if q.kind == "unschedulable_match"}
    told |= {int(i) for q in queued if q.kind == "planning_digest" for i in str(q.payload["unschedulable"]).split()}
    assert {m.id for m in lisbon} <= told


async def test_a_time_taken_by_another_confirmed_session_of_the_city_cannot_be_confirmed(uow_factory: UnitOfWorkFactory) -> None:
    services, ids = await programme_services(uow_factory, load_scenario())
    await services.planning.plan_and_notify()
    pending = await services.sessions.pending(by=Actor.telegram(1001))
    hamburg = [v for v in pending if "Hamburg" in (v.city_a.name, v.city_b.name)]
    first, second = hamburg[0], hamburg[1]
    taken = first.slots[0]
    async with uow_factory() as uow:  # as if a re-plan had offered the same time for the second match
        await uow.matches.set_proposals(second.match.id, [(taken, 1.0)])
        await uow.commit()
    await services.sessions.confirm(first.match.id, taken, by=Actor.telegram(1001))
    with pytest.raises(SlotTakenError):
        await services.sessions.confirm(second.match.id, taken, by=Actor.telegram(1001))
    async with uow_factory() as uow:
        assert (await uow.matches.get(second.match.id)).status is MatchStatus.PLANNED  # nothing changed


async def test_two_matches_of_one_city_confirmed_at_once_for_the_same_time_book_it_once(uow_factory: UnitOfWorkFactory) -> None:
    services, _ = await programme_services(uow_factory, load_scenario())
    await services.planning.plan_and_notify()
    pending = await services.sessions.pending(by=Actor.telegram(1001))
    first, second = [v for v in pending if "Hamburg" in (v.city_a.name, v.city_b.name)][:2]
    taken = first.slots[0]
    async with uow_factory() as uow:
        await uow.matches.set_proposals(second.match.id, [(taken, 1.0)])
        await uow.commit()
    outcomes = await asyncio.gather(
        services.sessions.confirm(first.match.id, taken, by=Actor.telegram(1001)),
        services.sessions.confirm(second.match.id, taken, by=Actor.telegram(SECOND_COORDINATOR)),
        return_exceptions=True,
    )
    assert sum(not isinstance(o, BaseException) for o in outcomes) == 1
    assert any(isinstance(o, SlotTakenError) for o in outcomes)
    async with uow_factory() as uow:
        assert len(await uow.sessions.views(statuses=[SessionStatus.CONFIRMED])) == 1
