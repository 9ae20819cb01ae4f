"""JobQueue (APScheduler) jobs: they only wake the services up; the database holds the work.

* ``deliver`` -- one one-shot job, moved earlier when something is queued that is due sooner
  (:meth:`JobQueueWakeups.outbox_changed`); after each pass it is set for the earliest pending
  due time read from the database. ``deliver:sweep`` repeats every half ``[delivery]
  claim_lease`` as a safety net: it picks up messages other processes queued, and takes back the
  claims of dead senders whose lease ran out.
  A pass never overlaps another in one process (the delivery service's lock).
* ``planning`` -- one one-shot job, pushed back by every :meth:`JobQueueWakeups.planning_needed`
  (debounced by ``[scheduling] planning_debounce``), plus ``planning:interval`` repeating every
  ``[scheduling] planning_interval``; both run ``services.planning.plan_and_notify()``, which
  holds the planning service's lock, so never two planning runs at once in one process.

At start (:func:`start_jobs`, from ``post_init``) a planning run is scheduled (debounced) and a
delivery pass at once: it returns
expired claims to the queue, sends whatever fell due while the bot was down (reminders of
sessions that have not begun go out marked late; those of sessions that have begun are dropped
and logged, by the renderer), and then sets ``deliver`` for the earliest pending due time.

Time. APScheduler runs on the real clock; the services on ``services.clock`` (a ``ManualClock`` in
tests and the demo). A due instant is turned into "that long from the real now", so both agree
under the system clock and a manual clock never schedules a job years away; the job queue only
ever gets aware UTC datetimes.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Any

from telegram.ext import Application, Job, JobQueue

from bot.clock import Clock
from bot.domain import utc
from handlers.context import TandemContext

log = logging.getLogger(__name__)

DELIVER_JOB = "deliver"
DELIVER_SWEEP_JOB = "deliver:sweep"
PLANNING_JOB = "planning"
PLANNING_INTERVAL_JOB = "planning:interval"
# After a pass, never set the next one sooner than this: a row another process holds locked for
# a moment (PostgreSQL SKIP LOCKED skips it) must not turn the job into a busy loop.
MIN_RESCHEDULE = timedelta(milliseconds=500)


class JobQueueWakeups:
    """Implements ``bot.ports.Wakeups`` with PTB's JobQueue."""

    def __init__(self, job_queue: JobQueue[Any], clock: Clock, *, planning_debounce: timedelta) -> None:
        self.job_queue = job_queue
        self.clock = clock
        self.planning_debounce = planning_debounce

    def real_instant(self, due_utc: datetime) -> datetime:
        """The real-clock UTC instant at which ``due_utc`` (on the services' clock) arrives."""
        delay = max(utc(due_utc) - self.clock.now(), timedelta(0))
        return datetime.now(timezone.utc) + delay

    def outbox_changed(self, due_utc: datetime) -> None:
        """Make sure ``deliver`` runs no later than ``due_utc``."""
        when = self.real_instant(due_utc)
        scheduled = self.job_queue.get_jobs_by_name(DELIVER_JOB)
        if any((at := _next_run(job)) is not None and at <= when for job in scheduled):
            return  # it already runs earlier; that pass reschedules for the rest
        for job in scheduled:
            job.schedule_removal()
        self.job_queue.run_once(deliver_job, when=when, name=DELIVER_JOB)

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


async def deliver_job(context: TandemContext) -> None:
    """Send what is due, then sleep until the next pending message is due."""
    delivery = context.services.delivery
    if delivery is None:
        return
    application = context.application
    report = await delivery.deliver_due(keep_going=lambda: application.running)
    if report.sent or report.failed or report.dropped or report.retrying:
        log.info(
            "delivery pass: %d sent, %d dropped, %d failed, %d to retry",
            len(report.sent), len(report.dropped), len(report.failed), len(report.retrying),
        )
    if not application.running or delivery.stopping:
        return
    due = await delivery.next_due()
    if due is not None:
        context.services.wakeups.outbox_changed(max(due, context.services.clock.now() + MIN_RESCHEDULE))


async def planning_job(context: TandemContext) -> None:
    """Plan all open matches (the planning service runs one planning at a time)."""
    await context.services.planning.plan_and_notify()


def start_jobs(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Schedule the repeating jobs and a first delivery pass now (rebuilding from the database)."""
    job_queue = application.job_queue
    if job_queue is None:
        raise RuntimeError('the JobQueue is missing: install python-telegram-bot with the "job-queue" extra')
    config = application.bot_data["config"]
    sweep = config.delivery.claim_lease / 2
    job_queue.run_repeating(deliver_job, interval=sweep, first=sweep, name=DELIVER_SWEEP_JOB)
    job_queue.run_repeating(
        planning_job,
        interval=config.scheduling.planning_interval,
        first=config.scheduling.planning_interval,
        name=PLANNING_INTERVAL_JOB,
    )
    services = application.bot_data["services"]
    services.wakeups.outbox_changed(services.clock.now())
    services.wakeups.planning_needed()  # plan what changed while the bot was down, soon after start
