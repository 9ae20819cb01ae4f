"""The unit of work owns the transaction: nothing is kept unless it commits."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.domain import Role
from storage.db import create_engine, create_session_factory, upgrade_async
from storage.uow import UnitOfWorkFactory

NOW = datetime(2027, 3, 22, 8, 0, tzinfo=timezone.utc)


async def add_panjin(uow_factory: UnitOfWorkFactory, commit: bool) -> int:
    async with uow_factory() as uow:
        city = await uow.cities.add(name="Panjin", country="cn", timezone="Asia/Shanghai", group="China", now_utc=NOW)
        if commit:
            await uow.commit()
        return city.id


async def test_leaving_without_commit_rolls_back(uow_factory: UnitOfWorkFactory) -> None:
    await add_panjin(uow_factory, commit=False)
    async with uow_factory() as uow:
        assert await uow.cities.list() == []


async def test_an_error_inside_the_block_rolls_back(uow_factory: UnitOfWorkFactory) -> None:
    with pytest.raises(RuntimeError):
        async with uow_factory() as uow:
            await uow.cities.add(name="Panjin", country="CN", timezone="Asia/Shanghai", group="China", now_utc=NOW)
            raise RuntimeError("boom")
    async with uow_factory() as uow:
        assert await uow.cities.by_name("panjin") is None


async def test_commit_keeps_the_work_and_values_come_back_as_domain_objects(uow_factory: UnitOfWorkFactory) -> None:
    city_id = await add_panjin(uow_factory, commit=True)
    async with uow_factory() as uow:
        city = await uow.cities.get(city_id)
    assert city is not None
    assert (city.name, city.country, city.timezone, city.group) == ("Panjin", "CN", "Asia/Shanghai", "China")


async def test_instants_come_back_aware_in_utc_whatever_zone_they_were_written_in(uow_factory: UnitOfWorkFactory) -> None:
    from zoneinfo import ZoneInfo

    city_id = await add_panjin(uow_factory, commit=True)
    shanghai_nine = datetime(2027, 4, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    async with uow_factory() as uow:
        await uow.join_links.add(
            code_hash="a" * 64, city_id=city_id, role=Role.CONTACT, created_by=1001, now_utc=NOW, expires_at=shanghai_nine
        )
        await uow.commit()
    async with uow_factory() as uow:
        code = await uow.join_links.by_hash("a" * 64)
    assert code is not None
    assert code.expires_at_utc == datetime(2027, 4, 1, 1, 0, tzinfo=timezone.utc)
    assert code.expires_at_utc.utcoffset() == timedelta(0)


async def test_naive_datetimes_are_refused(uow_factory: UnitOfWorkFactory) -> None:
    from sqlalchemy.exc import StatementError

    async with uow_factory() as uow:
        with pytest.raises(StatementError, match="naive datetime"):
            await uow.cities.add(name="X", country="DE", timezone="Europe/Berlin", group="EU", now_utc=datetime(2027, 1, 1))


async def test_an_interest_is_unique_per_city_and_topic(uow_factory: UnitOfWorkFactory) -> None:
    city_id = await add_panjin(uow_factory, commit=True)
    async with uow_factory() as uow:
        await uow.topics.sync([("wetlands", {"en": "Wetlands"})])
        topic = await uow.topics.by_key("wetlands")
        assert topic is not None
        assert await uow.interests.add(city_id, topic.id, "1,200 km² reserve") is True
        assert await uow.interests.add(city_id, topic.id) is False  # a double tap keeps the first
        await uow.commit()
    async with uow_factory() as uow:
        assert [(i.topic_id, i.note) for i in await uow.interests.of_city(city_id)] == [(topic.id, "1,200 km² reserve")]


async def test_database_refuses_a_match_of_a_city_with_itself_and_unknown_statuses(uow_factory: UnitOfWorkFactory) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    city_id = await add_panjin(uow_factory, commit=True)
    async with uow_factory() as uow:
        await uow.topics.sync([("wetlands", {"en": "Wetlands"})])
        await uow.commit()
    async with uow_factory() as uow:
        db = uow.matches.db
        with pytest.raises(IntegrityError):
            await db.execute(
                text(
                    "INSERT INTO matches (city_a_id, city_b_id, topic_id, status, created_at, updated_at) "
                    "VALUES (:c, :c, 1, 'open', :t, :t)"
                ),
                {"c": city_id, "t": NOW},
            )
    async with uow_factory() as uow:
        with pytest.raises(IntegrityError):
            await uow.contacts.db.execute(
                text(
                    "INSERT INTO contacts (role, language, display_name, reachable, created_at) "
                    "VALUES ('boss', 'en', 'X', true, :t)"
                ),
                {"t": NOW},
            )


async def test_weekly_hours_round_trip_including_a_window_that_runs_to_midnight(uow_factory: UnitOfWorkFactory) -> None:
    from datetime import time

    from bot.domain import WeeklyWindow

    city_id = await add_panjin(uow_factory, commit=True)
    windows = (WeeklyWindow(0, time(8, 30), time(11, 30)), WeeklyWindow(0, time(13, 30), time(17, 30)), WeeklyWindow(5, time(20, 0), time(0)))
    async with uow_factory() as uow:
        await uow.cities.set_weekly_hours(city_id, windows)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.cities.weekly_hours(city_id) == windows


async def test_a_reading_unit_of_work_neither_waits_for_a_writer_nor_can_commit(uow_factory: UnitOfWorkFactory, database_url: str) -> None:
    """Reads that answer a person ("who is this?", a keyboard) must not queue behind a long write
    (a planning run's, a delivery pass's): on SQLite every writing transaction takes the one write
    lock up front, so a read in a writing unit of work would wait for it; a reading one does not."""
    import asyncio

    await add_panjin(uow_factory, commit=True)
    async with uow_factory() as writer:  # holds the write lock (SQLite) with a change not yet committed
        await writer.cities.add(name="Lisbon", country="PT", timezone="Europe/Lisbon", group="EU", now_utc=NOW)

        async def read_names() -> list[str]:
            async with uow_factory.reading() as reader:
                return [c.name for c in await reader.cities.list()]

        assert await asyncio.wait_for(read_names(), timeout=5) == ["Panjin"]  # at once, and only what was committed
        if database_url.startswith("sqlite"):  # the contrast: a writing unit of work waits for the lock
            async def write_something() -> None:
                async with uow_factory() as other:
                    await other.cities.list()

            with pytest.raises(TimeoutError):
                await asyncio.wait_for(write_something(), timeout=0.5)
        await writer.commit()

    async with uow_factory.reading() as reader:
        await reader.cities.add(name="Ravenna", country="IT", timezone="Europe/Rome", group="EU", now_utc=NOW)
        with pytest.raises(RuntimeError, match="cannot commit"):
            await reader.commit()
    async with uow_factory.reading() as reader:
        assert sorted(c.name for c in await reader.cities.list()) == ["Lisbon", "Panjin"]


async def test_sqlite_writers_of_one_process_take_turns_in_the_order_they_came(tmp_path: Path) -> None:
    """SQLite's own busy handler lets waiting writers poll, and whoever polls at the right moment
    wins (a tap waited 17 s behind later ones); the process queues its writers instead.
    (PostgreSQL writers wait on row locks, in order, and have no such queue.)"""
    import asyncio

    url = f"sqlite+aiosqlite:///{tmp_path}/tandem.sqlite3"
    await upgrade_async(url)
    engine = create_engine(url)
    uow_factory = UnitOfWorkFactory(create_session_factory(engine))
    order: list[int] = []

    async def write(n: int) -> None:
        async with uow_factory() as uow:
            await uow.cities.add(name=f"City {n}", country="PT", timezone="Europe/Lisbon", group="EU", now_utc=NOW)
            order.append(n)
            await uow.commit()

    async with uow_factory() as first:  # holds the write lock while the others arrive, one by one
        await first.cities.add(name="First", country="PT", timezone="Europe/Lisbon", group="EU", now_utc=NOW)
        waiting = []
        for n in range(12):
            waiting.append(asyncio.create_task(write(n)))
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
        assert order == []
        await first.commit()
    await asyncio.wait_for(asyncio.gather(*waiting), timeout=30)
    await engine.dispose()
    assert order == list(range(12))


async def test_sqlite_writers_for_a_persons_action_go_before_the_background_which_still_gets_its_turns(tmp_path: Path) -> None:
    import asyncio

    url = f"sqlite+aiosqlite:///{tmp_path}/tandem.sqlite3"
    await upgrade_async(url)
    engine = create_engine(url)
    uow_factory = UnitOfWorkFactory(create_session_factory(engine))
    order: list[str] = []

    async def write(name: str, background: bool) -> None:
        async with uow_factory(background=background) as uow:
            await uow.cities.add(name=name, country="PT", timezone="Europe/Lisbon", group="EU", now_utc=NOW)
            order.append(name)
            await uow.commit()

    async with uow_factory() as first:
        await first.cities.add(name="First", country="PT", timezone="Europe/Lisbon", group="EU", now_utc=NOW)
        waiting = []
        for name, background in [("bg1", True), ("bg2", True)] + [(f"fg{n}", False) for n in range(1, 11)]:
            waiting.append(asyncio.create_task(write(name, background)))
            await asyncio.sleep(0.02)
        await first.commit()
    await asyncio.wait_for(asyncio.gather(*waiting), timeout=30)
    await engine.dispose()
    # The person's writes first, in order; the background's every fifth turn, in order.
    assert order == ["fg1", "fg2", "fg3", "fg4", "bg1", "fg5", "fg6", "fg7", "fg8", "bg2", "fg9", "fg10"]
