"""Web app benchmark: bytes per page, and the time to serve the hours page of a city with many partners.

    .venv/bin/python -m benchmarks.web [--partners 50] [--requests 200] [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/test]

Everything is production code: the services on a fresh database (a SQLite file, or a fresh
PostgreSQL database with ``--postgres``), the Starlette app served by uvicorn on 127.0.0.1 exactly as
``tandem run`` serves it, and an HTTP client (httpx) signed in by a sign-in link, as a browser is.
The programme: Panjin (its contact signed in) and ``--partners`` European cities, each with weekly
hours (some split around lunch) and a shared topic, so the hours page converts and paints every
partner's week, and the partners page lists them all.

Printed: each page's HTML size and its size with the stylesheet and scripts it loads (the first
visit; nothing else is loaded, from here or elsewhere), and the hours page's serve time -- median,
95th percentile and maximum over ``--requests`` requests, one at a time, after ten to warm up --
measured in the server (from the request to the last byte of the answer) and at the client (a new
loopback connection per request, to the last byte); and the CPU time per request of the process
(server and client), which the other work on a shared machine does not inflate. Targets (issue 13): under 100 KB per page,
and the hours page under 50 ms with 50 partners.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.clock import ManualClock
from bot.domain import Actor
from bot.planner import parse_weekly_hours
from bot.services import Services
from bot.week_grid import cells_in_zone
from storage.db import create_engine, create_session_factory, upgrade_async
from storage.uow import UnitOfWorkFactory
from tandem.server import listening_socket
from tests.web.support import COORDINATOR, NOW, PANJIN_EMAIL, web_config
from web.app import create_app

TIME_ZONES = ["Europe/Berlin", "Europe/Lisbon", "Europe/Rome", "Europe/Madrid", "Europe/Copenhagen", "Europe/Warsaw", "Europe/Athens", "Europe/Helsinki"]
HOURS = ["Mon-Fri 09:00-17:00", "Mon-Fri 09:00-12:00, 14:00-17:30", "Mon-Thu 08:00-16:00, Fri 08:00-13:00", "Mon-Fri 08:30-12:30"]
PAGES = ["/", "/hours", "/topics", "/away", "/matches", "/sessions", "/me", "/sign-in"]


async def build(database: str, partners: int) -> tuple[Services, str]:
    """The programme on ``database``; returns the services and a sign-in link of Panjin's contact."""
    await upgrade_async(database)
    engine = create_engine(database)
    services = Services(config=web_config(database), clock=ManualClock(NOW), uow_factory=UnitOfWorkFactory(create_session_factory(engine)))
    await services.interests.sync_topics()
    coordinator = Actor.telegram(COORDINATOR)
    await services.cities.add(by=coordinator, name="Panjin", country="CN", timezone="Asia/Shanghai", group="China")
    wang = await services.cities.add_email_contact(by=coordinator, city_name="Panjin", name="Wang Fang", email=PANJIN_EMAIL)
    await services.availability.set_hours(by=Actor.contact(wang.id), text="Mon-Fri 08:30-11:30, 13:30-17:30")
    async with services.uow_factory() as uow:
        wetlands = await uow.topics.by_key("wetlands")
        assert wetlands is not None
        for n in range(partners):
            city = await uow.cities.add(name=f"Partner {n + 1:02d}", country="DE", timezone=TIME_ZONES[n % len(TIME_ZONES)], group="EU", now_utc=NOW)
            await uow.cities.set_weekly_hours(city.id, parse_weekly_hours(HOURS[n % len(HOURS)]))
            await uow.interests.add(city.id, wetlands.id)
        await uow.commit()
    await services.interests.save_choices(by=Actor.contact(wang.id), choices={wetlands.id: "We run a 1,200 km² wetland reserve"})
    return services, await services.sign_in.link_for(contact_id=wang.id)


async def get_over_a_new_connection(port: int, path: str, cookie: str) -> tuple[float, bytes]:
    """One GET as a browser's first request makes it (a new connection), timed to the last byte.

    A minimal HTTP/1.1 client on purpose: httpx's client adds tens of milliseconds of its own on
    loopback here, which would hide what the server does.
    """
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: tandem_session={cookie}\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head[:80]
    length = re.search(rb"(?i)content-length: (\d+)", head)
    assert length is not None
    body = await reader.readexactly(int(length.group(1)))
    elapsed = time.perf_counter() - started
    writer.close()
    return elapsed, body


async def measure(database: str, partners: int, requests: int) -> None:
    sock = listening_socket("127.0.0.1", 0)
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    services, link = await build(database, partners)
    app = create_app(services.config, lambda: services, bot_token="0:benchmark")
    served: list[float] = []

    async def timed(scope: dict[str, Any], receive: Any, send: Any) -> None:
        """The server's own time per request: from the request to the last byte of the answer."""
        started = time.perf_counter()
        await app(scope, receive, send)
        if scope["type"] == "http" and scope["path"] == "/hours":
            served.append((time.perf_counter() - started) * 1000)

    server = uvicorn.Server(uvicorn.Config(timed, lifespan="off", log_config=None, access_log=False))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        async with httpx.AsyncClient(base_url=base) as client:
            path = httpx.URL(link).path
            page = await client.get(path)
            csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
            assert csrf is not None
            assert (await client.post(path, data={"csrf": csrf.group(1)})).status_code == 303
            print(f"pages of Panjin's contact, {partners} partner cities ({make_url(database).get_backend_name()}):")
            print(f"{'page':<12}{'HTML KB':>10}{'with assets KB':>16}  assets")
            for name in PAGES:
                answer = await client.get(name)
                assert answer.status_code == 200, (name, answer.status_code)
                assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', answer.text)
                extra = 0
                for asset in assets:
                    extra += len((await client.get(asset)).content)
                outside = re.findall(r'(?:src|href)="(https?:)?//', answer.text)
                assert not outside, f"{name} refers to another site"
                print(f"{name:<12}{len(answer.content) / 1024:>10.1f}{(len(answer.content) + extra) / 1024:>16.1f}  {len(assets)} files")
            cookie = client.cookies["tandem_session"]
            timings = []
            served.clear()
            cpu = 0.0
            for n in range(requests + 10):
                if n == 10:
                    served.clear()
                    cpu = time.process_time()
                elapsed, body = await get_over_a_new_connection(sock.getsockname()[1], "/hours", cookie)
                assert body.count(b"Partner ") >= partners
                if n >= 10:
                    timings.append(elapsed * 1000)
            cpu = (time.process_time() - cpu) / requests * 1000
            print(f"GET /hours, {partners} partners, {requests} requests, one at a time:")
            for name, values in (("served (server)", served), ("round trip (client)", timings)):
                values.sort()
                print(f"  {name:<20} median {statistics.median(values):6.1f} ms   p95 {values[int(0.95 * (len(values) - 1))]:6.1f} ms   max {values[-1]:6.1f} ms")
            print(f"  CPU time of this process (server and client) per request: {cpu:.1f} ms")
            cold = []
            for _ in range(20):  # as the first view of a week: every partner's week converted anew
                cells_in_zone.cache_clear()
                cold.append((await get_over_a_new_connection(sock.getsockname()[1], "/hours", cookie))[0] * 1000)
            print(f"  round trip, partner weeks not cached (20 requests): median {statistics.median(cold):.1f} ms, max {max(cold):.1f} ms")
    finally:
        server.should_exit = True
        await serving
        sock.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--partners", type=int, default=50)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--postgres", metavar="URL", default=None, help="a PostgreSQL server to make a fresh database on")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        await measure(f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}", args.partners, args.requests)
    if args.postgres:
        name = f"tandem_bench_{uuid.uuid4().hex[:8]}"
        admin = create_async_engine(args.postgres, isolation_level="AUTOCOMMIT")
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            await measure(make_url(args.postgres).set(database=name).render_as_string(hide_password=False), args.partners, args.requests)
        finally:
            async with admin.connect() as connection:
                await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await admin.dispose()


if __name__ == "__main__":
    asyncio.run(main())
