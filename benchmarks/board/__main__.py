"""Board benchmark: the coordinators' pages for a programme of 1,000 cities and 15,000 matches.

    .venv/bin/python -m benchmarks.board [--cities 1000] [--matches 15000] [--requests 20] [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/test]

The programme is written straight into a fresh database (a SQLite file, or a fresh PostgreSQL
database with ``--postgres``) in bulk, as a year of a large programme leaves it: 1,000 cities (a
tenth in the China group, the rest EU, in eight time zones), each with a contact (a few
unreachable), weekly hours, a day away and three of seven topics with notes; 15,000 matches
between China and EU cities in every status -- open 20 %, planned 30 % (three proposed slots
each), without a common time 10 %, confirmed 30 % (a session each, spread over three weeks around
"now", half of the past ones reported on), declined and cancelled 5 % each. Then everything the
board serves is production code: the Starlette app served by uvicorn on 127.0.0.1 as ``tandem run``
serves it, a coordinator signed in by the Mini App's signed initData, and each page fetched
``--requests`` times, one at a time, each over a new connection (after two to warm up).

Printed per page: the HTML size, and the time from the request to the last byte -- median, 95th
percentile and maximum -- measured in the server and at the client. Target (issue 15): every page
served in under 300 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from sqlalchemy import insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from benchmarks.web.__main__ import get_over_a_new_connection
from bot.clock import ManualClock
from bot.domain import Actor, MatchStatus, Role, SessionStatus
from bot.services import Services
from storage.db import create_engine, create_session_factory, upgrade_async
from storage.models import (
    CityRow,
    ContactRow,
    DayAwayRow,
    InterestRow,
    MatchRow,
    ProposedSlotRow,
    RoadmapEntryRow,
    SessionRow,
    TopicRow,
    WeeklyHoursRow,
)
from storage.uow import UnitOfWorkFactory
from tandem.server import listening_socket
from tests.web.support import COORDINATOR, NOW, TOKEN, mini_app_init_data, web_config
from web.app import create_app

ZONES = ["Europe/Berlin", "Europe/Lisbon", "Europe/Rome", "Europe/Madrid", "Europe/Copenhagen", "Europe/Warsaw", "Europe/Athens", "Europe/Helsinki"]
COUNTRIES = ["DE", "PT", "IT", "ES", "DK", "PL", "GR", "FI"]
TOPICS = [(f"topic-{n}", {"en": f"Topic {n}", "zh": f"主题 {n}", "de": f"Thema {n}"}) for n in range(1, 8)]
STATUS_SHARES = [(MatchStatus.OPEN, 20), (MatchStatus.PLANNED, 30), (MatchStatus.UNSCHEDULABLE, 10), (MatchStatus.CONFIRMED, 30),
                 (MatchStatus.DECLINED, 5), (MatchStatus.CANCELLED, 5)]


async def build(database: str, cities: int, matches: int) -> tuple[Services, dict[str, Any]]:
    """The programme, written in bulk; returns the services and what the page list needs (ids)."""
    await upgrade_async(database)
    engine = create_engine(database)
    config = web_config(database)
    services = Services(config=config, clock=ManualClock(NOW), uow_factory=UnitOfWorkFactory(create_session_factory(engine)))
    await services.interests.sync_topics()
    rng = random.Random(15)
    async with create_session_factory(engine)() as db:
        topic_ids = list(await db.scalars(select(TopicRow.id).order_by(TopicRow.id)))
        china = cities // 10
        await db.execute(insert(CityRow), [
            {"name": f"City {n:04d}", "country": "CN" if n < china else COUNTRIES[n % 8], "timezone": "Asia/Shanghai" if n < china else ZONES[n % 8],
             "group": "China" if n < china else "EU", "created_at": NOW} for n in range(cities)
        ])
        city_ids = list(await db.scalars(select(CityRow.id).order_by(CityRow.id)))
        await db.execute(insert(ContactRow), [
            {"display_name": f"Contact {n}", "role": Role.CONTACT.value, "language": "en", "city_id": city_id,
             "email": None if n % 97 == 0 else f"contact{n}@example.org", "telegram_user_id": 100_000 + n if n % 97 == 0 else None,
             "chat_id": 100_000 + n if n % 97 == 0 else None, "reachable": n % 97 != 0, "created_at": NOW}
            for n, city_id in enumerate(city_ids) if n % 50 != 7  # a few cities have no contact yet
        ])
        await db.execute(insert(WeeklyHoursRow), [
            {"city_id": city_id, "weekday": day, "start_minute": 9 * 60, "end_minute": 17 * 60}
            for n, city_id in enumerate(city_ids) if n % 40 != 3 for day in range(5)
        ])
        await db.execute(insert(DayAwayRow), [{"city_id": city_id, "day": (NOW + timedelta(days=n % 14)).date()} for n, city_id in enumerate(city_ids)])
        interests = {city_id: rng.sample(topic_ids, 3) for n, city_id in enumerate(city_ids) if n % 60 != 11}
        await db.execute(insert(InterestRow), [
            {"city_id": city_id, "topic_id": topic_id, "note": f"Our work on topic {topic_id}" if topic_id % 2 else None}
            for city_id, chosen in interests.items() for topic_id in chosen
        ])
        pairs: set[tuple[int, int, int]] = set()
        while len(pairs) < matches:
            pairs.add((rng.choice(city_ids[:china]), rng.choice(city_ids[china:]), rng.choice(topic_ids)))
        statuses = [status for status, share in STATUS_SHARES for _ in range(share)]
        await db.execute(insert(MatchRow), [
            {"city_a_id": a, "city_b_id": b, "topic_id": t, "status": statuses[n % 100].value, "created_at": NOW, "updated_at": NOW,
             "reason": "waiting_for_hours" if statuses[n % 100] is MatchStatus.OPEN else None}
            for n, (a, b, t) in enumerate(sorted(pairs))
        ])
        rows = list(await db.execute(select(MatchRow.id, MatchRow.status, MatchRow.city_a_id).order_by(MatchRow.id)))
        planned = [m for m, s, _ in rows if s == MatchStatus.PLANNED.value]
        await db.execute(insert(ProposedSlotRow), [
            {"match_id": m, "rank": r, "start_utc": NOW + timedelta(days=3 + r, hours=m % 8), "comfort": 0.9 - r / 10} for m in planned for r in range(3)
        ])
        confirmed = [(m, a) for m, s, a in rows if s == MatchStatus.CONFIRMED.value]
        await db.execute(insert(SessionRow), [
            {"match_id": m, "start_utc": NOW + timedelta(days=-7 + n % 21, hours=n % 9), "duration_minutes": 60, "meeting_link": f"https://meet.jit.si/tandem-{m}",
             "ical_uid": f"{m}@tandem", "sequence": 0, "status": SessionStatus.CONFIRMED.value, "confirmed_by": COORDINATOR, "created_at": NOW, "updated_at": NOW}
            for n, (m, _) in enumerate(confirmed)
        ])
        sessions = list(await db.execute(select(SessionRow.id, SessionRow.match_id, SessionRow.start_utc).where(SessionRow.start_utc < NOW)))
        city_of = dict(confirmed)
        await db.execute(insert(RoadmapEntryRow), [
            {"match_id": m, "session_id": s, "city_id": city_of[m], "reported_by": "Contact", "took_place": True,
             "next_steps": "Exchange data; a visit in May", "reported_at": NOW}
            for n, (s, m, _) in enumerate(sessions) if n % 2 == 0
        ])
        await db.commit()
    return services, {"city": city_ids[0], "confirmed_week": (NOW + timedelta(days=1)).date().isoformat()}


async def measure(database: str, cities: int, matches: int, requests: int) -> list[tuple[str, float, float]]:
    started = time.perf_counter()
    services, ids = await build(database, cities, matches)
    print(f"{cities} cities and {matches} matches written in {time.perf_counter() - started:.1f} s ({make_url(database).get_backend_name()})")
    feed = await services.board.new_calendar_feed(by=Actor.telegram(COORDINATOR))
    pages = [
        "/board", "/board?status=planned", "/board?status=confirmed&page=40", f"/board?city={ids['city']}", "/board?topic=3&status=unschedulable",
        "/board/matrix", "/board/matrix?page=15", "/board/matrix?todo=1",
        "/board/cities", "/board/cities?page=12", "/board/cities?unreachable=1", f"/board/cities/{ids['city']}",
        f"/board/calendar?week={ids['confirmed_week']}", "/board/roadmap", "/board/roadmap?page=10", "/board/exports",
        "/board/exports/schedule.csv", "/board/roadmap.csv", f"/calendar/{feed}.ics",
    ]
    sock = listening_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    app = create_app(services.config, lambda: services, bot_token=TOKEN)
    served: list[float] = []
    cpu: list[float] = []

    async def timed(scope: dict[str, Any], receive: Any, send: Any) -> None:
        """The server's own time per request, and the CPU time of the process meanwhile (one request at a time)."""
        begun, begun_cpu = time.perf_counter(), time.process_time()
        await app(scope, receive, send)
        if scope["type"] == "http":
            served.append((time.perf_counter() - begun) * 1000)
            cpu.append((time.process_time() - begun_cpu) * 1000)

    server = uvicorn.Server(uvicorn.Config(timed, lifespan="off", log_config=None, access_log=False))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    results = []
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            page = await client.get("/app")
            csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
            assert csrf is not None
            init_data = mini_app_init_data(COORDINATOR, auth_utc=NOW, language="en")
            assert (await client.post("/app", data={"csrf": csrf.group(1), "init_data": init_data, "next": "/"})).status_code == 303
            cookie = client.cookies["tandem_session"]
        print(f"{'page':<44}{'KB':>7}{'served median':>15}{'p95':>8}{'max':>8}{'client median':>15}{'CPU median':>12}")
        for path in pages:
            client_times: list[float] = []
            size = 0
            for n in range(requests + 2):
                if n == 2:
                    served.clear()
                    cpu.clear()
                elapsed, body = await get_over_a_new_connection(port, path, cookie)
                size = len(body)
                if n >= 2:
                    client_times.append(elapsed * 1000)
            values = sorted(served)
            p95 = values[int(0.95 * (len(values) - 1))]
            shown = path if len(path) < 44 else path[:40] + "…"
            print(f"{shown:<44}{size / 1024:>7.1f}{statistics.median(values):>12.1f} ms{p95:>8.1f}{values[-1]:>8.1f}"
                  f"{statistics.median(client_times):>12.1f} ms{statistics.median(cpu):>9.1f} ms")
            results.append((path, statistics.median(values), statistics.median(cpu)))
    finally:
        server.should_exit = True
        await serving
        sock.close()
    slow = [path for path, median, _ in results if median >= 300]
    print("every page and file served in under 300 ms (median)" if not slow else f"over 300 ms (median, served): {', '.join(slow)}")
    return results


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cities", type=int, default=1000)
    parser.add_argument("--matches", type=int, default=15000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--postgres", metavar="URL", default=None, help="a PostgreSQL server to make a fresh database on")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        await measure(f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}", args.cities, args.matches, args.requests)
    if args.postgres:
        name = f"tandem_bench_{uuid.uuid4().hex[:8]}"
        admin = create_async_engine(args.postgres, isolation_level="AUTOCOMMIT")
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            await measure(make_url(args.postgres).set(database=name).render_as_string(hide_password=False), args.cities, args.matches, args.requests)
        finally:
            async with admin.connect() as connection:
                await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await admin.dispose()


if __name__ == "__main__":
    asyncio.run(main())
