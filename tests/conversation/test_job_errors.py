"""An error in a background job is logged as that job's, not as an update's."""

from __future__ import annotations

import asyncio
import logging
import sqlite3

import pytest
from sqlalchemy.engine import make_url

from handlers.jobs import PLANNING_JOB, planning_job
from tests.conversation.harness import Harness


async def test_an_error_in_the_planning_job_is_reported_as_the_jobs(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR)
    # A real failure inside the job: the planning run's first query finds no table.
    database = make_url(harness.services.config.database.url).database
    assert database is not None
    with sqlite3.connect(database) as connection:
        connection.execute("ALTER TABLE matches RENAME TO matches_elsewhere")
    application = harness.application
    assert application.job_queue is not None
    await application.start()  # the job queue runs jobs, and hands their errors to the error handler
    try:
        application.job_queue.run_once(planning_job, 0, name=PLANNING_JOB)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30  # far above the moment the job takes
        while not any("unexpected error" in r.getMessage() for r in caplog.records) and loop.time() < deadline:
            await asyncio.sleep(0.05)
    finally:
        await application.stop()
    [record] = [r for r in caplog.records if "unexpected error" in r.getMessage()]
    assert record.getMessage() == "unexpected error in the job 'planning'"
    assert record.exc_info is not None and "matches" in str(record.exc_info[1])
    assert not any("while handling an update" in r.getMessage() for r in caplog.records)
