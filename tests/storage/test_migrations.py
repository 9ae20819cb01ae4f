"""The migrations build the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import DatabaseError, check_schema, create_engine, head_revision, upgrade_async
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


async def test_upgrading_twice_changes_nothing(database_url: str) -> None:
    await upgrade_async(database_url)
    engine = create_engine(database_url)
    try:
        await check_schema(engine)
    finally:
        await engine.dispose()


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


async def test_downgrade_to_base_removes_every_table_and_upgrade_rebuilds_them(database_url: str) -> None:
    import asyncio

    from alembic import command
    from sqlalchemy import inspect

    from storage.db import alembic_config

    await asyncio.to_thread(command.downgrade, alembic_config(database_url), "base")
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert tables <= {"alembic_version"}
        await upgrade_async(database_url)
        await check_schema(engine)
    finally:
        await engine.dispose()
