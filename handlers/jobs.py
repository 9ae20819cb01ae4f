"""What wakes the services up; the database holds the work.

* **Delivery** -- one :class:`DeliveryLoop` task per process, not jobs: it sleeps until the
  earliest wake-up it was given (:meth:`JobQueueWakeups.outbox_changed`, when something is queued
  that is due sooner, and after each pass the earliest pending due time read from the database)
  or at most half ``[delivery] claim_lease`` (the sweep: messages other processes queued, and
  the claims of dead senders whose lease ran out), then runs one pass. Wake-ups during a pass
  coalesce into the one pass that follows; passes never overlap and never pile up, and there is
  no job for APScheduler to skip.
* ``planning`` -- one one-shot job, pushed back by every :meth:`JobQueueWakeups.planning_needed`
  (debounced by ``[scheduling] planning_debounce``), plus ``planning:interval`` repeating every
  ``[scheduling] planning_interval``; both run ``services.planning.plan_and_notify()``, which
  holds the planning service's lock, so never two planning runs at once in one process.

At start (:func:`start_jobs`, from ``post_init``) a planning run is scheduled (debounced) and a
delivery pass runs at once: it returns expired claims to the queue, sends whatever fell due while
the bot was down (reminders of sessions that have not begun go out marked late; those of sessions
that have begun are dropped and logged, by the renderer), and then sleeps until the earliest
pending due time. At stop (:func:`stop_jobs`, from ``post_shutdown``) the delivery service
withdraws what waits for its turn and lets the sends in flight finish; then the loop ends, and
jobs still running (a planning run) are cancelled and awaited, so nothing is left pending.

Time. APScheduler and the loop run on the real clock; the services on ``services.clock`` (a
``ManualClock`` in tests and the demo). A due instant is turned into "that long from the real
now", so both agree under the system clock and a manual clock never sleeps years.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from telegram.ext import Application, Job, JobQueue

from bot.clock import Clock
from bot.domain import utc
from bot.services.delivery import DeliveryService
from handlers.context import TandemContext

log = logging.getLogger(__name__)

PLANNING_JOB = "planning"
PLANNING_INTERVAL_JOB = "planning:interval"
# After a pass, never set the next one sooner than this: a row another process holds locked for
# a moment (PostgreSQL SKIP LOCKED skips it) must not turn the loop into a busy loop.
MIN_RESCHEDULE = timedelta(milliseconds=500)
DELIVERY_LOOP_KEY = "delivery_loop"


class DeliveryLoop:
    """One delivery pass at a time, woken rather than stacked (see the module docstring)."""

    def __init__(self, clock: Clock, *, sweep: timedelta, first_pass_at_once: bool = True) -> None:
        self.clock = clock
        self.sweep = sweep.total_seconds()
        # Loop time of the next pass: at once for the start pass (``tandem run``), or when asked.
        self._wake_at = 0.0 if first_pass_at_once else math.inf
        self._changed: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self.passes = 0

    def wake_at(self, due_utc: datetime) -> None:
        """Run a pass no later than ``due_utc`` (on the services' clock); earlier wake-ups win."""
        delay = max(utc(due_utc) - self.clock.now(), timedelta(0)).total_seconds()
        try:
            at = asyncio.get_running_loop().time() + delay
        except RuntimeError:  # no loop yet (building the application): the start pass comes first anyway
            return
        if at < self._wake_at:
            self._wake_at = at
            if self._changed is not None:
                self._changed.set()

    @property
    def next_pass_in(self) -> float:
        """Seconds until the next pass (0 if it is due), or ``inf`` while none is asked for."""
        return max(0.0, self._wake_at - asyncio.get_running_loop().time())

    def start(self, delivery: DeliveryService, keep_going: Callable[[], bool]) -> None:
        self._changed = asyncio.Event()
        self._task = asyncio.create_task(self._run(delivery, keep_going), name="tandem-delivery")

    async def stop(self) -> None:
        """End the loop; call after ``DeliveryService.shutdown`` (which ends the pass in progress)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self, delivery: DeliveryService, keep_going: Callable[[], bool]) -> None:
        loop = asyncio.get_running_loop()
        assert self._changed is not None
        sweep_at = loop.time() + self.sweep
        while not delivery.stopping:
            now = loop.time()
            if now >= self._wake_at or now >= sweep_at:
                self._wake_at, sweep_at = math.inf, now + self.sweep
                try:
                    await self._pass(delivery, keep_going)
                except Exception:  # noqa: BLE001 - a database outage must not end delivery; the sweep tries again
                    log.exception("delivery pass failed; trying again within %.0f s", self.sweep)
                continue
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(self._wake_at, sweep_at) - now)

    async def _pass(self, delivery: DeliveryService, keep_going: Callable[[], bool]) -> None:
        self.passes += 1
        report = await delivery.deliver_due(keep_going=keep_going)
        if report.sent or report.failed or report.dropped or report.retrying:
            log.info(
                "delivery pass: %d sent, %d dropped, %d failed, %d to retry",
                len(report.sent), len(report.dropped), len(report.failed), len(report.retrying),
            )
        if not keep_going() or delivery.stopping:
            return
        due = await delivery.next_due()
        if due is not None:
            self.wake_at(max(due, self.clock.now() + MIN_RESCHEDULE))


class JobQueueWakeups:
    """Implements ``bot.ports.Wakeups`` with PTB's JobQueue."""

    def __init__(self, job_queue: JobQueue[Any], clock: Clock, delivery: DeliveryLoop, *, planning_debounce: timedelta) -> None:
        self.job_queue = job_queue
        self.clock = clock
        self.delivery = delivery
        self.planning_debounce = planning_debounce

    def real_instant(self, due_utc: datetime) -> datetime:
        """The real-clock UTC instant at which ``due_utc`` (on the services' clock) arrives."""
        delay = max(utc(due_utc) - self.clock.now(), timedelta(0))
        return datetime.now(timezone.utc) + delay

    def outbox_changed(self, due_utc: datetime) -> None:
        """Make sure a delivery pass runs no later than ``due_utc``."""
        self.delivery.wake_at(due_utc)

    def planning_needed(self) -> None:
        """Plan ``planning_debounce`` after the last change (each call pushes it back)."""
        for job in self.job_queue.get_jobs_by_name(PLANNING_JOB):
            job.schedule_removal()
        when = datetime.now(timezone.utc) + self.planning_debounce
        self.job_queue.run_once(planning_job, when=when, name=PLANNING_JOB)


def _next_run(job: Job[Any]) -> datetime | None:
    """When a one-shot job runs; also before the scheduler has started (post_init)."""
    try:
        return job.next_t
    except AttributeError:  # APScheduler gives pending jobs no next_run_time until it starts
        run_date = getattr(job.job.trigger, "run_date", None)
        return run_date if isinstance(run_date, datetime) else None


async def planning_job(context: TandemContext) -> None:
    """Plan all open matches (the planning service runs one planning at a time)."""
    await context.services.planning.plan_and_notify()


def start_jobs(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Schedule the repeating jobs, start the delivery loop (its first pass at once) and plan soon."""
    job_queue = application.job_queue
    if job_queue is None:
        raise RuntimeError('the JobQueue is missing: install python-telegram-bot with the "job-queue" extra')
    config = application.bot_data["config"]
    job_queue.run_repeating(
        planning_job,
        interval=config.scheduling.planning_interval,
        first=config.scheduling.planning_interval,
        name=PLANNING_INTERVAL_JOB,
    )
    services = application.bot_data["services"]
    loop: DeliveryLoop = application.bot_data[DELIVERY_LOOP_KEY]
    if services.delivery is not None:
        loop.start(services.delivery, keep_going=lambda: application.running)
    services.wakeups.planning_needed()  # plan what changed while the bot was down, soon after start


async def stop_jobs(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """After ``application.stop()``: end the delivery (sends in flight finish, the rest stays
    queued), then cancel and await the jobs still running, so that none is left pending."""
    services = application.bot_data.get("services")
    if services is not None and services.delivery is not None:
        await services.delivery.shutdown()
    loop: DeliveryLoop | None = application.bot_data.get(DELIVERY_LOOP_KEY)
    if loop is not None:
        await loop.stop()
    running = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and _is_job(t)]
    for task in running:
        task.cancel()
    for task in running:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


def _is_job(task: asyncio.Task[Any]) -> bool:
    """A job APScheduler started: its executor cancels those still running when the scheduler
    shuts down, but nobody awaits them (left so, they end as "Task was destroyed but it is
    pending!" and a closed event loop under SQLAlchemy)."""
    code = getattr(task.get_coro(), "cr_code", None)
    return code is not None and code.co_name == "run_coroutine_job"
