"""The load run of issue 19: a programme's contacts all acting at once, through the real application.

Everything on Tandem's side is production code: ``tandem.app.build_application`` run by
``tandem.server.serve`` exactly as ``tandem run`` runs it (long polling through python-telegram-bot
and httpx, the rate limiter of ``handlers/rate_limit.py``, the handlers, services, delivery loop,
planning jobs and the database: a fresh SQLite file or a fresh PostgreSQL database). Telegram is
``offline_bot_api.serve_bot_api``: a real HTTP server on 127.0.0.1 answering like the Bot API, with
its ``FloodGuard`` (30 messages/s overall, 1/s per chat; more is answered 429). It runs with the
simulated people in a process of their own (``benchmarks/load/telegram.py``), as real Telegram and
its users are not in the bot's event loop; the bot runs in this one. Nothing of ours is
replaced; the one addition is a stopwatch around ``services.planning.plan_and_notify`` (the same
method runs, timed), to know when a planning run was in progress.

Phases, on one application:

1. Setup (not timed): the coordinator sends /start; the cities are imported as ``tandem import``
   does (``CityService.import_csv``); a one-time contact link per city, as /invite makes them.
2. Contacts: every city's contact at the same moment, each in sequence (waiting for each answer and
   ``think`` seconds, as a person reads before the next tap): ``/start <code>`` (joining through
   the link), ``/topics``, three taps on topics, ``/hours <their hours>`` -- 6 actions each. Matches
   arise from the taps (a match notice to both contacts), planning runs every 15 s and tells the
   coordinator. The answer time of an action runs from the moment the update is handed to the Bot
   API (``getUpdates`` then delivers it, as Telegram does) to the moment its answer reaches the Bot
   API: the reply for a command; for a tap the edit of the tapped message (the callback answer is
   timed too). The run then waits until a planning run after the last action has finished and the
   outbox is empty (every notice sent).
3. /help: ``helpers`` people who never wrote before send /help at the same moment.
4. Stop: the in-process equivalent of SIGTERM (``serve``'s stop event), timed.

And, when asked (``sigterm=True``): a real ``tandem run`` process (``tests/processes/harness.py``)
on a database filled with the same programme and its matches, with notices queued; SIGTERM while
the fan-out and the first planning run are under way, timed to the exit (``sigterm_process``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import re
import signal
import socket
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from benchmarks.load.programme import COORDINATOR, PlannedCity, cities, programme
from benchmarks.load.telegram import Action, ApiSummary, TelegramSide, telegram_process
from bot.clock import SystemClock
from bot.config import Config, DatabaseConfig, SchedulingConfig, Secret, TelegramConfig
from bot.domain import Actor, NoticeKind, OutboxStatus
from offline_bot_api import DEFAULT_TOKEN, FakeBotApi, FloodGuard, serve_bot_api
from storage.db import upgrade_async
from storage.models import ContactRow, OutboxRow
from storage.repositories import FOLDED_INTO
from tandem.app import SERVICES_KEY, build_application
from tandem.server import serve

log = logging.getLogger(__name__)

PLANNING_INTERVAL = timedelta(seconds=15)
POSTGRES_ADMIN_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
PLANNING_KINDS = {NoticeKind.PLANNED_MATCH.value, NoticeKind.UNSCHEDULABLE_MATCH.value, NoticeKind.PLANNING_DIGEST.value, NoticeKind.CALENDAR_GUESS.value}
# A person reads the answer before the next tap. Not 0: Telegram sends one message a second into a
# chat and 30 a second in all, so 100 people acting again the instant their answer arrives ask for
# more answers than Telegram carries (Little's law: 100 waiting / 30 a second = 3.3 s each).
THINK = (2.0, 6.0)


# --------------------------------------------------------------------------------------------
# What is measured
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanningRun:
    started: datetime
    ended: datetime
    skipped: bool
    planned: int

    @property
    def seconds(self) -> float:
        return (self.ended - self.started).total_seconds()


@dataclass(frozen=True)
class Figures:
    count: int
    p50: float
    p95: float
    max: float
    per_second: float  # answers per second over the phase

    @classmethod
    def of(cls, seconds: Sequence[float], span: float) -> Figures:
        ordered = sorted(seconds)
        if not ordered:
            return cls(0, math.nan, math.nan, math.nan, math.nan)
        return cls(len(ordered), quantile(ordered, 0.5), quantile(ordered, 0.95), ordered[-1], len(ordered) / span if span > 0 else math.nan)


def quantile(ordered: Sequence[float], q: float) -> float:
    """The nearest-rank quantile: the smallest value with at least ``q`` of the values at or below it."""
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


@dataclass
class DatabaseReport:
    """Everything one database's run measured (the table prints it)."""

    database: str
    cities: int
    actions: int
    unanswered: int
    own: Figures  # every action of the contacts phase
    own_while_queued: Figures  # those sent while at least one notice waited in the outbox
    by_kind: dict[str, Figures]
    tap_callback: Figures  # a tap's answerCallbackQuery
    queued_at_action_median: float  # notices waiting when an action was sent
    queued_at_action_max: int
    matches: int
    notices_queued: int  # outbox rows of the run
    notices_sent: int  # of them, SENT
    notices_folded: int  # of them, new-partner notices said by another row's digest (dropped, "folded into outbox N")
    digests_to_contacts: int  # rows sent that said several new partners at once
    most_to_one_contact: int  # the most messages the outbox sent to one city contact
    notices_at_api: int  # messages at the Bot API that were not answers (what the outbox sent)
    drained: bool
    drained_after: float  # seconds from the first action until the outbox was empty
    planning_runs: list[PlanningRun]
    coordinator_per_run: list[int]  # messages queued for the coordinator by each run that queued any
    coordinator_received: int  # messages that reached the coordinator's chat in the whole run
    slowest_while_planning: float  # the slowest answer whose wait overlapped a planning run
    slowest_while_planning_detail: str
    answers_while_planning: int
    help: Figures
    help_unanswered: int
    stop_seconds: float  # the in-process stop (SIGTERM's handler) after the run
    flood_refusals: int  # 429s the flood guard gave: our pacing let too much through
    updates: str  # polling or webhook, and how the application processes updates (python-telegram-bot's update processor)
    think: tuple[float, float]
    loop_lag_planning: float  # the event loop's longest stall while a planning run was in progress
    loop_lag_otherwise: float  # and at other times
    sigterm: SigtermReport | None = None


@dataclass
class SigtermReport:
    seconds: float
    exit_code: int
    queued_at_stop: int  # reminders not yet sent when the signal went (the match notices of the filled programme wait too)
    left_pending: int  # rows pending after the exit (kept for the next start)
    left_claimed: int  # rows still claimed after the exit (should be none)
    planning_finished_before: int  # planning runs the log shows finished before the signal
    tracebacks: int


# --------------------------------------------------------------------------------------------
# The databases
# --------------------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def fresh_database(kind: str, folder: Path, postgres_admin: str = POSTGRES_ADMIN_URL) -> Any:
    """A new migrated database (a file, or a PostgreSQL database created and dropped like the tests')."""
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{folder}/load-{uuid.uuid4().hex[:8]}.sqlite3"
        await upgrade_async(url)
        yield url
        return
    admin = create_async_engine(postgres_admin, isolation_level="AUTOCOMMIT")
    name = f"tandem_load_{uuid.uuid4().hex[:10]}"
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(postgres_admin).set(database=name).render_as_string(hide_password=False)
        await upgrade_async(url)
        yield url
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def outbox_rows(url: str) -> list[OutboxRow]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return list((await connection.execute(select(OutboxRow))).all())  # type: ignore[arg-type]
    finally:
        await engine.dispose()


async def coordinator_contact_id(url: str) -> int | None:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return (await connection.execute(select(ContactRow.id).where(ContactRow.telegram_user_id == COORDINATOR))).scalar()
    finally:
        await engine.dispose()


async def unsent(url: str) -> int:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return int((await connection.execute(text("SELECT count(*) FROM outbox WHERE status IN ('pending', 'claimed')"))).scalar() or 0)
    finally:
        await engine.dispose()


# --------------------------------------------------------------------------------------------
# The people
# --------------------------------------------------------------------------------------------


def csv_of(planned: Sequence[PlannedCity]) -> str:
    return "name,country,timezone,group\n" + "".join(f"{c.name},{c.country},{c.timezone},{c.group}\n" for c in planned)


# --------------------------------------------------------------------------------------------
# One database's run
# --------------------------------------------------------------------------------------------


def timed_planning(services: Any, runs: list[PlanningRun]) -> None:
    """Put a stopwatch around the planning service's entry point (the jobs call it by name)."""
    planning = services.planning
    original: Callable[[], Awaitable[Any]] = planning.plan_and_notify

    async def plan_and_notify() -> Any:
        started = datetime.now(UTC)
        report = None
        try:
            report = await original()
            return report
        finally:
            runs.append(PlanningRun(started, datetime.now(UTC), bool(getattr(report, "skipped", False)), int(getattr(report, "planned", 0))))

    planning.plan_and_notify = plan_and_notify


class LoopLag:
    """How late the event loop wakes a 20 ms sleep: time it could answer nobody (the loop was busy,
    or waited for the GIL held by another thread)."""

    def __init__(self) -> None:
        self.samples: list[tuple[datetime, float]] = []
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.02)
            self.samples.append((datetime.now(UTC), time.perf_counter() - before - 0.02))

    def worst(self, runs: list[PlanningRun], inside: bool) -> float:
        return max((lag for at, lag in self.samples if any(r.started <= at <= r.ended for r in runs) == inside), default=0.0)


async def eventually(condition: Callable[[], Awaitable[bool]], timeout: float, step: float = 0.25) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await condition():
            return True
        await asyncio.sleep(step)
    return False


async def run_database(
    kind: str, folder: Path, *, count: int, helpers: int, think: tuple[float, float], postgres_admin: str = POSTGRES_ADMIN_URL,
    drain_timeout: float = 240.0, seed: int = 1, mode: str = "polling", concurrent_updates: int = TelegramConfig.concurrent_updates,
) -> DatabaseReport:
    planned = cities(seed, count)
    runs: list[PlanningRun] = []
    lag = LoopLag()
    port = _free_port()
    webhook = f"http://127.0.0.1:{port}/" if mode == "webhook" else None
    async with fresh_database(kind, folder, postgres_admin) as url, telegram_process(webhook) as (telegram, base_url):
        config = Config(
            telegram=TelegramConfig(
                token=Secret(DEFAULT_TOKEN), api_base_url=base_url, mode=mode, webhook_url="https://bot.example.org/",
                webhook_listen="127.0.0.1", webhook_port=port, webhook_secret=Secret("load-Secret_1"),
                concurrent_updates=concurrent_updates,
            ),
            database=DatabaseConfig(url=url),
            programme=programme(),
            scheduling=SchedulingConfig(planning_interval=PLANNING_INTERVAL, planning_debounce=PLANNING_INTERVAL),
        )
        application = build_application(config, clock=SystemClock())
        stop = asyncio.Event()
        serving = asyncio.create_task(serve(application, config, stop=stop), name="tandem-run")
        try:
            if not await eventually(lambda: _started(application, serving, telegram, port if mode == "webhook" else None), 60, 0.05):
                raise RuntimeError("the application did not start")
            services = application.bot_data[SERVICES_KEY]
            processor = application.update_processor
            updates = f"{mode}, {type(processor).__name__}, at most {processor.max_concurrent_updates} at once"
            timed_planning(services, runs)
            lag.start()
            # Setup, not timed: the coordinator's first /start, the cities, a link per city.
            await telegram.command(COORDINATOR, "Coordinator", "/start", "")
            await services.cities.import_csv(csv_of(planned), by=None)
            codes = {c.name: (await services.onboarding.contact_link(by=Actor.telegram(COORDINATOR), city_name=c.name)).code for c in planned}
            titles = {t.key: t.titles["en"] for t in config.programme.topics}

            # The contacts, all at once.
            first = datetime.now(UTC)
            own_actions = await telegram.contacts(planned, codes, titles, think, seed)
            last_answer = max((a.answered for a in own_actions if a.answered), default=first)
            span = (last_answer - first).total_seconds()

            # Until a planning run that began after the last action has finished and nothing waits to be sent.
            async def settled() -> bool:
                return any(r.started > last_answer and not r.skipped for r in runs) and await unsent(url) == 0

            drained = await eventually(settled, drain_timeout, 0.5)
            drained_after = (datetime.now(UTC) - first).total_seconds()

            # /help, from people who never wrote before, all at once.
            help_first = datetime.now(UTC)
            help_actions = await telegram.help(helpers)
            help_span = (max((a.answered for a in help_actions if a.answered), default=help_first) - help_first).total_seconds()
            summary = await telegram.summary()
        finally:
            await lag.stop()
            stopping = time.monotonic()
            stop.set()
            await serving
            stop_seconds = time.monotonic() - stopping
        rows = await outbox_rows(url)
        coordinator_id = await coordinator_contact_id(url)

    return _report(
        kind, planned, own_actions, help_actions, span, help_span, rows, coordinator_id, runs, summary,
        drained=drained, drained_after=drained_after, stop_seconds=stop_seconds, updates=updates, think=think, lag=lag,
    )


def _slowest(overlapping: list[Action], runs: list[PlanningRun]) -> str:
    """The slowest answers that waited while a planning run was in progress, and that run."""
    described = []
    for a in sorted(overlapping, key=lambda a: -a.seconds)[:3]:
        run = next(r for r in runs if r.started < a.answered and a.sent < r.ended)  # type: ignore[operator]
        callback = f", its callback answer {(a.callback_answered - a.sent).total_seconds():.2f} s" if a.callback_answered else ""
        described.append(f"{a.kind} {a.seconds:.2f} s{callback} (sent {(a.sent - run.started).total_seconds():+.2f} s from the start of a {run.seconds:.2f} s run)")
    return "; ".join(described)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _started(application: Any, serving: asyncio.Task[None], telegram: TelegramSide, webhook_port: int | None) -> bool:
    if serving.done():
        serving.result()  # raises what stopped it
        raise RuntimeError("serve() ended at start")
    if not (application.running and SERVICES_KEY in application.bot_data):
        return False
    if webhook_port is None:
        return bool(application.updater is not None and application.updater.running)
    if not await telegram.webhook_set():
        return False
    try:
        async with httpx.AsyncClient() as client:
            return (await client.get(f"http://127.0.0.1:{webhook_port}/healthz", timeout=2)).status_code == 200
    except httpx.HTTPError:
        return False


def _report(
    kind: str, planned: list[PlannedCity], own: list[Action], helped: list[Action], span: float, help_span: float, rows: list[Any],
    coordinator_id: int | None, runs: list[PlanningRun], summary: ApiSummary, *, drained: bool, drained_after: float,
    stop_seconds: float, updates: str, think: tuple[float, float], lag: LoopLag,
) -> DatabaseReport:
    notices = rows
    answered = [a for a in own if a.answered is not None]
    by_id = {r.id: r for r in notices}
    folded = {r.id: by_id.get(int(r.last_error.rsplit(" ", 1)[1])) for r in notices if (r.last_error or "").startswith(FOLDED_INTO)}

    def said_at(r: Any) -> datetime | None:
        """When the row's news reached the person: its own send, or that of the digest it was folded into."""
        return folded[r.id].sent_at if r.id in folded and folded[r.id] is not None else r.sent_at

    def waiting_at(instant: datetime) -> int:
        return sum(1 for r in notices if r.due_at <= instant and ((said := said_at(r)) is None or said > instant))

    queued = [waiting_at(a.sent) for a in own]
    while_queued = [a.seconds for a, q in zip(own, queued) if q > 0 and a.answered is not None]
    by_kind = {k: Figures.of([a.seconds for a in answered if a.kind == k], span) for k in ("join", "topics", "tap", "hours")}
    callbacks = [(a.callback_answered - a.sent).total_seconds() for a in own if a.kind == "tap" and a.callback_answered is not None]
    busy = [r for r in runs if not r.skipped]
    overlapping = [a for a in answered if any(r.started < a.answered and a.sent < r.ended for r in busy)]  # type: ignore[operator]
    per_run = []
    for r in runs:
        made = sum(1 for n in notices if n.contact_id == coordinator_id and n.kind in PLANNING_KINDS and r.started <= n.due_at <= r.ended)
        if made:
            per_run.append(made)
    helped_answered = [a.seconds for a in helped if a.answered is not None]
    return DatabaseReport(
        database=kind, cities=len(planned), actions=len(own), unanswered=len(own) - len(answered),
        own=Figures.of([a.seconds for a in answered], span), own_while_queued=Figures.of(while_queued, span), by_kind=by_kind,
        tap_callback=Figures.of(callbacks, span),
        queued_at_action_median=quantile(sorted(queued), 0.5) if queued else 0, queued_at_action_max=max(queued, default=0),
        matches=sum(1 for n in notices if n.kind == NoticeKind.MATCH_NOTICE.value) // 2,
        notices_queued=len(notices), notices_sent=sum(1 for n in notices if n.status == OutboxStatus.SENT.value), notices_at_api=summary.notices_at_api,
        notices_folded=sum(1 for r in folded.values() if r is not None and r.status == OutboxStatus.SENT.value),
        digests_to_contacts=sum(1 for n in notices if n.status == OutboxStatus.SENT.value and " " in str((n.payload or {}).get("matches", ""))),
        most_to_one_contact=max(Counter(n.contact_id for n in notices if n.status == OutboxStatus.SENT.value and n.contact_id != coordinator_id).values(), default=0),
        drained=drained, drained_after=drained_after, planning_runs=runs, coordinator_per_run=per_run,
        coordinator_received=summary.coordinator_received,
        slowest_while_planning=max((a.seconds for a in overlapping), default=0.0), answers_while_planning=len(overlapping),
        slowest_while_planning_detail=_slowest(overlapping, busy),
        help=Figures.of(helped_answered, help_span), help_unanswered=len(helped) - len(helped_answered), stop_seconds=stop_seconds,
        flood_refusals=summary.flood_refusals, updates=updates, think=think,
        loop_lag_planning=lag.worst(busy, True), loop_lag_otherwise=lag.worst(busy, False),
    )


# --------------------------------------------------------------------------------------------
# SIGTERM on a real `tandem run`
# --------------------------------------------------------------------------------------------


def _programme_toml(count: int, planning_debounce: str) -> str:
    p = programme()
    lines = [
        "[scheduling]", f'planning_interval = "{int(PLANNING_INTERVAL.total_seconds())}s"', f'planning_debounce = "{planning_debounce}"',
        "[programme]", f'name = "{p.name}"', f'pairing = "{p.pairing.value}"', f"groups = {list(p.groups)!r}".replace("'", '"'),
    ]
    for topic in p.topics:
        lines += ["[[programme.topics]]", f'key = "{topic.key}"', f'en = "{topic.titles["en"]}"']
    for coordinator in p.coordinators:
        lines += ["[[programme.coordinators]]", f"telegram_id = {coordinator.telegram_id}", f'name = "{coordinator.name}"']
    return "\n".join(lines) + "\n"


async def sigterm_process(kind: str, folder: Path, *, count: int, notices: int, postgres_admin: str = POSTGRES_ADMIN_URL) -> SigtermReport:
    """A real `tandem run` (webhook mode, as tests/processes runs it) on the programme with its
    matches filled in and ``notices`` reminders queued; SIGTERM once a tenth of them has arrived
    and the first planning run (1 s after the start) is under way; timed until the process exits."""
    from benchmarks.load.programme import fill
    from bot.domain import Role
    from tests.processes.harness import TandemProcess, deliveries, free_port, seed_reminders, unit_of_work_factory, write_config

    async with fresh_database(kind, folder, postgres_admin) as url:
        config = Config(programme=programme())
        now = datetime.now(UTC)
        async with unit_of_work_factory(url) as uow_factory:
            await fill(uow_factory, config, now=now, count=count)
            async with uow_factory() as uow:
                await uow.contacts.add(display_name="Coordinator", role=Role.COORDINATOR, language="en", now_utc=now,
                                       telegram_user_id=COORDINATOR, chat_id=COORDINATOR)
                await uow.commit()
        chats = await seed_reminders(url, notices)
        api = FakeBotApi(token=DEFAULT_TOKEN, require_known_chats=False, flood_guard=FloodGuard())
        async with serve_bot_api(api) as base_url:
            port = free_port()
            path = write_config(folder / f"sigterm-{kind}.toml", database=url, api_base_url=base_url, port=port)
            path.write_text(path.read_text(encoding="utf-8") + _programme_toml(count, "1s"), encoding="utf-8")
            process = TandemProcess(path, port, folder / f"sigterm-{kind}.log")
            await process.start()
            try:
                await process.healthy()
                started = time.monotonic()
                while sum(deliveries(api, chats).values()) < notices // 10 or time.monotonic() - started < 1.2:
                    await asyncio.sleep(0.02)
                queued_at_stop = notices - sum(deliveries(api, chats).values())
                planning_before = len(re.findall(r"planning: \d+ planned", process.output()))
                stopping = time.monotonic()
                code = await process.stop(signal.SIGTERM)
                seconds = time.monotonic() - stopping
            finally:
                if process.alive:
                    await process.stop(signal.SIGKILL)
        engine = create_async_engine(url)
        try:
            async with engine.connect() as connection:
                statuses = Counter((await connection.execute(text("SELECT status FROM outbox"))).scalars().all())
        finally:
            await engine.dispose()
    output = process.output()
    return SigtermReport(
        seconds=seconds, exit_code=code, queued_at_stop=queued_at_stop, left_pending=statuses.get("pending", 0),
        left_claimed=statuses.get("claimed", 0), planning_finished_before=planning_before, tracebacks=output.count("Traceback"),
    )


# --------------------------------------------------------------------------------------------
# The whole benchmark and its table
# --------------------------------------------------------------------------------------------


@dataclass
class Settings:
    databases: tuple[str, ...] = ("sqlite", "postgresql")
    cities: int = 100
    helpers: int = 300
    think: tuple[float, float] = THINK
    sigterm: bool = True
    sigterm_notices: int = 600
    postgres_admin: str = POSTGRES_ADMIN_URL
    mode: str = "polling"
    concurrent_updates: int = TelegramConfig.concurrent_updates


async def run(settings: Settings, folder: Path | None = None, *, echo: Callable[[str], None] = print) -> list[DatabaseReport]:
    reports = []
    with tempfile.TemporaryDirectory() if folder is None else contextlib.nullcontext(str(folder)) as where:
        for kind in settings.databases:
            started = time.monotonic()
            report = await run_database(kind, Path(where), count=settings.cities, helpers=settings.helpers, think=settings.think,
                                        postgres_admin=settings.postgres_admin, mode=settings.mode, concurrent_updates=settings.concurrent_updates)
            if settings.sigterm:
                report.sigterm = await sigterm_process(kind, Path(where), count=settings.cities, notices=settings.sigterm_notices,
                                                       postgres_admin=settings.postgres_admin)
            echo(f"{kind}: done in {time.monotonic() - started:.0f} s")
            reports.append(report)
    return reports


def _status(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def table(reports: list[DatabaseReport]) -> str:
    lines = []
    for r in reports:
        lines.append(f"\n== {r.database}: {r.cities} cities, {r.actions} own actions ({r.unanswered} unanswered), {r.matches} matches, "
                     f"{r.notices_queued} notices; flood guard 429s: {r.flood_refusals}")
        lines.append(f"updates: {r.updates}; a contact pauses {r.think[0]:g}-{r.think[1]:g} s before each next action")
        lines.append(f"{'answers to own actions':<44} {'n':>5} {'p50 s':>7} {'p95 s':>7} {'max s':>7} {'per s':>7}")
        rows = [("all", r.own), ("  sent while notices were queued", r.own_while_queued)]
        rows += [(f"  {k}", f) for k, f in r.by_kind.items()]
        rows += [("  tap: its callback answer", r.tap_callback), (f"{r.help.count} x /help at once", r.help)]
        for name, f in rows:
            lines.append(f"{name:<44} {f.count:>5} {f.p50:>7.2f} {f.p95:>7.2f} {f.max:>7.2f} {f.per_second:>7.1f}")
        lines.append(f"notices waiting in the outbox when an action was sent: median {r.queued_at_action_median:g}, max {r.queued_at_action_max}")
        busy = [p for p in r.planning_runs if not p.skipped]
        lines.append(f"planning runs: {len(busy)} (+{len(r.planning_runs) - len(busy)} skipped), longest {max((p.seconds for p in busy), default=0):.2f} s; "
                     f"answers whose wait overlapped one: {r.answers_while_planning}")
        if r.slowest_while_planning_detail:
            lines.append(f"  slowest of them: {r.slowest_while_planning_detail}")
        lines.append(f"event loop's longest stall: {r.loop_lag_planning:.2f} s during planning runs, {r.loop_lag_otherwise:.2f} s otherwise")
        lines.append(f"coordinator: messages queued per planning run {r.coordinator_per_run}, received in all {r.coordinator_received}")
        lines.append(f"city contacts: {r.notices_folded} new-partner notices folded into {r.digests_to_contacts} digests; "
                     f"the most messages to one contact {r.most_to_one_contact}")
        lines.append(f"outbox drained {r.drained_after:.1f} s after the first action" if r.drained else "outbox NOT drained")
        lines.append(f"in-process stop (serve's SIGTERM handler) after the run: {r.stop_seconds:.2f} s")
        lines.append("")
        lines.append(f"{'target':<52} {'measured':>14}  result")
        targets = [
            ("p95 answer to own action while notices queued < 1 s", f"{r.own_while_queued.p95:.2f} s", r.own_while_queued.p95 < 1.0 and r.unanswered == 0),
            ("every notice delivered", f"{r.notices_sent}+{r.notices_folded} folded/{r.notices_queued} ({r.notices_at_api} at API)",
             r.drained and r.notices_sent + r.notices_folded == r.notices_queued and r.notices_sent == r.notices_at_api),
            ("coordinator messages per planning run <= 3", f"max {max(r.coordinator_per_run, default=0)}", max(r.coordinator_per_run, default=0) <= 3),
            ("no answer slower than 2 s while planning runs", f"{r.slowest_while_planning:.2f} s", r.slowest_while_planning <= 2.0),
        ]
        if r.sigterm is not None:
            s = r.sigterm
            targets.append(("SIGTERM of `tandem run` under 5 s (notices queued)", f"{s.seconds:.2f} s",
                            s.seconds < 5 and s.exit_code == 0 and s.left_claimed == 0 and s.tracebacks == 0))
        for name, measured, ok in targets:
            lines.append(f"{name:<52} {measured:>14}  {_status(ok)}")
        if r.sigterm is not None:
            s = r.sigterm
            lines.append(f"  SIGTERM: exit code {s.exit_code}, {s.queued_at_stop} reminders not yet delivered at the signal, "
                         f"{s.left_pending} messages (those and the programme's match notices) left pending for the next start, {s.left_claimed} left claimed, "
                         f"planning runs finished before the signal: {s.planning_finished_before}, tracebacks in the log: {s.tracebacks}")
    return "\n".join(lines)
