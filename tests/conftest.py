"""Shared fixtures: a fresh, migrated database on SQLite and on PostgreSQL for every storage test.

PostgreSQL is the server at ``TANDEM_TEST_POSTGRES_URL`` (default: the local server, database
``test``). Each test gets a database of its own, created from that one and dropped afterwards.
Where no server answers, the PostgreSQL cases are skipped — unless ``TANDEM_REQUIRE_POSTGRES=1``
(set by ``.ci/run``), which turns the skip into a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from hypothesis import settings
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from storage.db import create_engine, create_session_factory, upgrade_async
from storage.uow import UnitOfWorkFactory

# Hypothesis profiles. CI explores the same examples on every run, so a red build is reproducible;
# locally each run explores new ones (and a failure prints the example to pin with @example).
# ``--hypothesis-profile=thorough`` explores ten times as many (the planner properties, which run
# four times the profile's count, then try 4,000 problems each: about a minute apiece).
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("thorough", max_examples=1000)
if os.environ.get("CI"):
    settings.load_profile("ci")

POSTGRES_URL = os.environ.get("TANDEM_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("TANDEM_REQUIRE_POSTGRES") == "1"
NO_POSTGRES = "no PostgreSQL server"  # the skip reason, counted at the end of the run


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


async def _postgres_admin() -> AsyncEngine | None:
    engine = create_async_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "no server here"
        await engine.dispose()
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL is required (TANDEM_REQUIRE_POSTGRES=1) but unreachable at {_shown(POSTGRES_URL)}: {exc}")
        pytest.skip(f"{NO_POSTGRES} at {_shown(POSTGRES_URL)}")
    return engine


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> Iterator[None]:
    """Say last (just above the counts) how many PostgreSQL cases were skipped: a green run without
    them tested half of the storage."""
    yield
    skipped = [
        report for report in terminalreporter.stats.get("skipped", [])
        if NO_POSTGRES in str(report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr)
    ]
    if skipped:
        cases = f"{len(skipped)} PostgreSQL case{'s' if len(skipped) > 1 else ''}"
        terminalreporter.write_sep("=", f"{cases} skipped", yellow=True, bold=True)
        terminalreporter.write_line(
            f"No PostgreSQL server answered at {_shown(POSTGRES_URL)}: these storage and service cases did not run "
            "(their SQLite twins did). Start the server or point TANDEM_TEST_POSTGRES_URL at one; "
            "TANDEM_REQUIRE_POSTGRES=1, as in CI, makes them fail instead of skipping."
        )


@pytest.fixture(params=["sqlite", "postgresql"])
async def empty_database_url(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> AsyncIterator[str]:
    """The URL of a new, empty database (no tables) on each backend."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/tandem.sqlite3"
        return
    admin = await _postgres_admin()
    assert admin is not None
    name = f"tandem_test_{uuid.uuid4().hex[:12]}"
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@pytest.fixture
async def database_url(empty_database_url: str) -> str:
    """A new database on each backend, migrated to the newest schema."""
    await upgrade_async(empty_database_url)
    return empty_database_url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def uow_factory(engine: AsyncEngine) -> UnitOfWorkFactory:
    return UnitOfWorkFactory(create_session_factory(engine))
