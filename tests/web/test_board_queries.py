"""The board's pages cost the same number of queries for 3 cities as for 60: no query per row (N+1).

Counted on the engine itself (every statement sent to the database), once for the test programme
and again after 57 more cities with contacts, hours, topics, matches in every status and sessions.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain import MatchStatus, RoadmapEntry, Role
from bot.planner import parse_weekly_hours
from tests.web.support import COORDINATOR, Programme, WebClient, confirmed_session, sign_in_by_mini_app

PAGES = ["/board", "/board?status=confirmed", "/board?status=planned&page=2", "/board/matrix", "/board/matrix?todo=1&page=2",
         "/board/cities", "/board/cities?unreachable=1", "/board/cities/1", "/board/calendar?week=2027-03-20", "/board/official-days", "/board/roadmap", "/board/roadmap?page=2",
         "/board/roadmap.csv", "/board/exports", "/board/exports/schedule.csv"]


async def queries_per_page(engine: AsyncEngine, client: WebClient) -> dict[str, int]:
    counts: dict[str, int] = {}
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        for path in PAGES:
            statements.clear()
            answer = await client.get(path)
            assert answer.status_code == 200, (path, answer.text[:500])
            counts[path] = len(statements)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)
    return counts


async def grow(programme: Programme, cities: int) -> None:
    """Add ``cities`` European cities, each with a contact, hours and two topics, matched with Panjin in every status."""
    now = programme.clock.now()
    async with programme.services.uow_factory() as uow:
        topics = await uow.topics.list()
        statuses = list(MatchStatus)
        for n in range(cities):
            city = await uow.cities.add(name=f"City {n:03d}", country="IT", timezone="Europe/Rome", group="EU", now_utc=now)
            await uow.contacts.add(display_name=f"Contact {n}", role=Role.CONTACT, language="en", now_utc=now, city_id=city.id, email=f"c{n}@example.org")
            await uow.cities.set_weekly_hours(city.id, parse_weekly_hours("Mon-Fri 09:00-12:00"))
            await uow.cities.add_days_away(city.id, [now.date() + timedelta(days=2)])
            for topic in topics[:2]:
                await uow.interests.add(city.id, topic.id, note=f"note {n}")
            match = await uow.matches.create(programme.panjin, city.id, topics[n % 2].id, now)
            assert match is not None
            status = statuses[n % len(statuses)]
            await uow.matches.transition(match.id, [MatchStatus.OPEN], status, now)
            if status is MatchStatus.PLANNED:
                await uow.matches.set_proposals(match.id, [(now + timedelta(days=3, hours=h), 0.5) for h in range(3)])
            if status is MatchStatus.CONFIRMED:
                session = await uow.sessions.add(match_id=match.id, start_utc=now - timedelta(days=1, hours=n % 24), duration_minutes=60,
                                                 meeting_link="https://meet.jit.si/x", ical_uid=f"{n}@tandem", confirmed_by=COORDINATOR, now_utc=now)
                assert session is not None
                await uow.roadmap.record(RoadmapEntry(match.id, session.id, city.id, f"Contact {n}", True, "Next: a visit", now))
        await uow.commit()


async def test_the_board_pages_make_as_many_queries_for_60_cities_as_for_3(programme: Programme, client: WebClient, engine: AsyncEngine) -> None:
    await confirmed_session(programme)
    await sign_in_by_mini_app(client, COORDINATOR, now=programme.clock.now())
    small = await queries_per_page(engine, client)
    await grow(programme, 57)
    large = await queries_per_page(engine, client)
    assert large == small
    assert max(small.values()) <= 12
