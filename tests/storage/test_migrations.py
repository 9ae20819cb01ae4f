"""The migrations build the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import DatabaseError, alembic_config, check_schema, create_engine, head_revision, upgrade_async
from storage.models import Base


async def test_upgrade_head_on_an_empty_database_leaves_no_drift_from_the_models(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            diff = await connection.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c, opts={"compare_type": True}), Base.metadata)
            )
        assert diff == []
        await check_schema(engine)  # does not raise at head
    finally:
        await engine.dispose()


async def schema(url: str) -> dict[str, Any]:
    """Everything the inspector reports about the database: tables, columns (name, type, nullability,
    default), primary, foreign and unique keys, indexes, check constraints, the Alembic revision,
    and on PostgreSQL the enum types and sequences. Lists are sorted so order of reflection does
    not count; column order does."""

    def read(connection: Connection) -> dict[str, Any]:
        inspector = inspect(connection)
        dialect = connection.dialect
        tables: dict[str, Any] = {}
        for table in sorted(inspector.get_table_names()):
            columns = [
                (c["name"], c["type"].compile(dialect=dialect), c["nullable"], str(c.get("default")), c.get("autoincrement"))
                for c in inspector.get_columns(table)
            ]
            tables[table] = {
                "columns": columns,
                "primary key": inspector.get_pk_constraint(table),
                "foreign keys": sorted(repr(sorted(fk.items())) for fk in inspector.get_foreign_keys(table)),
                "indexes": sorted(repr(sorted(ix.items())) for ix in inspector.get_indexes(table)),
                "unique": sorted(repr(sorted(uq.items())) for uq in inspector.get_unique_constraints(table)),
                "checks": sorted(repr(sorted(ck.items())) for ck in inspector.get_check_constraints(table)),
            }
        result: dict[str, Any] = {"tables": tables, "revision": MigrationContext.configure(connection).get_current_revision()}
        if dialect.name == "postgresql":
            result["enums"] = sorted(repr(sorted(e.items())) for e in inspector.get_enums())
            result["sequences"] = sorted(inspector.get_sequence_names())
        return result

    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(read)
    finally:
        await engine.dispose()


def revisions_oldest_first() -> list[str]:
    from alembic.script import ScriptDirectory

    from storage.db import alembic_config

    return [r.revision for r in reversed(list(ScriptDirectory.from_config(alembic_config("sqlite://")).walk_revisions()))]


async def test_upgrading_twice_changes_nothing(database_url: str) -> None:
    before = await schema(database_url)
    assert before["revision"] == head_revision() and len(before["tables"]) > 5
    await upgrade_async(database_url)
    assert await schema(database_url) == before


async def test_each_revision_has_one_schema_whether_reached_going_up_or_coming_down(empty_database_url: str) -> None:
    """Up one revision at a time, then down one at a time, then up again: at every revision the
    schema is the one the upgrade built (SQLite's batch mode rebuilds whole tables on the way down,
    where an index, a default or a constraint could be lost)."""
    config = alembic_config(empty_database_url)
    going_up = {}
    for revision in revisions_oldest_first():
        await asyncio.to_thread(command.upgrade, config, revision)
        going_up[revision] = await schema(empty_database_url)
    for revision in reversed(revisions_oldest_first()[:-1]):
        await asyncio.to_thread(command.downgrade, config, revision)
        assert await schema(empty_database_url) == going_up[revision], f"coming down to {revision}"
    await upgrade_async(empty_database_url)
    assert await schema(empty_database_url) == going_up[head_revision()]


async def test_schema_check_refuses_an_empty_database_and_names_the_fix(empty_database_url: str) -> None:
    engine = create_engine(empty_database_url)
    try:
        with pytest.raises(DatabaseError, match=r"run `tandem db upgrade`"):
            await check_schema(engine)
    finally:
        await engine.dispose()


def test_revision_files_read_in_order_from_a_single_head() -> None:
    from alembic.script import ScriptDirectory

    from storage.db import alembic_config

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    revisions = list(script.walk_revisions())
    assert len(script.get_heads()) == 1
    assert head_revision() == revisions[0].revision
    assert revisions[-1].down_revision is None
    assert all(r.revision[:4].isdigit() for r in revisions)  # readable, ordered ids: 0001_…, 0002_…


async def test_schema_check_names_an_unreachable_server_in_one_line() -> None:
    engine: AsyncEngine = create_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    try:
        with pytest.raises(DatabaseError) as caught:
            await check_schema(engine)
    finally:
        await engine.dispose()
    assert "cannot reach the database" in str(caught.value)
    assert "\n" not in str(caught.value)


async def test_downgrade_to_base_removes_every_table_and_upgrade_rebuilds_the_same_schema(database_url: str) -> None:
    head = await schema(database_url)
    await asyncio.to_thread(command.downgrade, alembic_config(database_url), "base")
    emptied = await schema(database_url)
    assert set(emptied["tables"]) <= {"alembic_version"} and emptied["revision"] is None
    assert emptied.get("enums", []) == []  # no type is left behind on PostgreSQL either
    await upgrade_async(database_url)
    assert await schema(database_url) == head
