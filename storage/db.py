"""The engine and session factory, built from ``[database]`` only, and the schema check."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class DatabaseError(Exception):
    """The database cannot be used as configured; the message is one line saying why and what to do."""


def create_engine(url: str, echo: bool = False, *, connections: int | None = None) -> AsyncEngine:
    """An async engine for ``url``; SQLite gets foreign keys, WAL and a busy timeout.

    ``connections``: how many the pool keeps (SQLAlchemy's default is 5, and 10 more on demand).
    The bot sizes it for everything it runs at once -- the updates, the sender, the jobs -- so an
    update never waits for a connection until the pool's timeout gives up on it.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseError(f"database.url: cannot parse {url!r}") from None
    kwargs: dict[str, Any] = {"echo": echo}
    if connections is not None and parsed.database not in (None, "", ":memory:"):
        kwargs["pool_size"] = connections
    if parsed.get_backend_name() == "sqlite":
        # Writers queue behind each other instead of failing at once with "database is locked".
        kwargs["connect_args"] = {"timeout": 30}
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_async_engine(parsed, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_connect)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control from the sqlite3 module, which would BEGIN lazily at the first
    # write: a transaction that read first and then writes can then fail at once with "database
    # is locked" when another writer got in between. See _sqlite_begin.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")  # off by default in SQLite
    cursor.execute("PRAGMA journal_mode=WAL")  # readers outside transactions do not block the writer
    cursor.close()


READING = "tandem_reading"  # an execution option: this connection's transactions only read


def _sqlite_begin(connection: Any) -> None:
    # SQLite has one writer at a time. BEGIN IMMEDIATE takes the write lock up front, so
    # concurrent units of work queue (busy timeout) instead of deadlocking on a lock upgrade;
    # this is SQLite's equivalent of PostgreSQL's row locks for our conditional updates.
    # A unit of work that only reads (``UnitOfWorkFactory.reading``) takes no lock: in WAL mode it
    # reads a snapshot while a writer writes, so answering "who is this?" or showing a keyboard
    # never queues behind a planning write or a delivery pass.
    connection.exec_driver_sql("BEGIN" if connection.get_execution_options().get(READING) else "BEGIN IMMEDIATE")


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head() or ""


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())


async def check_schema(engine: AsyncEngine) -> None:
    """Refuse a database that is unreachable or whose schema is behind the code."""
    try:
        current = await current_revision(engine)
    except (OperationalError, DBAPIError, OSError) as exc:
        raise DatabaseError(
            f"cannot reach the database at {engine.url.render_as_string(hide_password=True)}: {first_line(exc)}"
        ) from None
    head = head_revision()
    if current != head:
        state = "empty" if current is None else f"at revision {current}"
        raise DatabaseError(
            f"the database schema is {state}, the code needs {head}: run `tandem db upgrade` first"
        )


def upgrade(url: str) -> None:
    """Apply all migrations (blocking; env.py runs them on an async engine)."""
    from alembic import command

    command.upgrade(alembic_config(url), "head")


async def upgrade_async(url: str) -> None:
    await asyncio.to_thread(upgrade, url)


def safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparsable url>"


def first_line(exc: BaseException) -> str:
    """The first line of a driver error, which is the one that says what went wrong."""
    original = getattr(exc, "orig", None) or exc
    text = str(original).strip().splitlines()
    return text[0] if text else type(original).__name__
