"""Official days off and working days: one per country, subdivision and date, with who and when."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy.exc import IntegrityError

from bot.domain import DayOverride, DayOverrideKind
from storage.uow import UnitOfWorkFactory

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)
SPRING_FESTIVAL = DayOverride("CN", date(2027, 2, 10), DayOverrideKind.DAY_OFF, "Spring Festival", added_by="Anna")


async def test_an_override_comes_back_as_entered_with_who_and_when(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        stored, replaced = await uow.day_overrides.put(SPRING_FESTIVAL, now_utc=NOW)
        await uow.day_overrides.put(
            DayOverride("CN", date(2027, 2, 7), DayOverrideKind.WORKING_DAY, "调休", works_as_weekday=0, added_by="Anna"), now_utc=NOW
        )
        await uow.day_overrides.put(DayOverride("DE", date(2027, 3, 17), DayOverrideKind.DAY_OFF, "Trauertag", subdivision="BY"), now_utc=NOW)
        await uow.commit()
    assert replaced is None and stored.id is not None
    async with uow_factory() as uow:
        chinese = await uow.day_overrides.list("cn")
        everything = await uow.day_overrides.list()
    assert [(o.day, o.kind, o.works_as_weekday, o.name, o.added_by, o.added_at) for o in chinese] == [
        (date(2027, 2, 7), DayOverrideKind.WORKING_DAY, 0, "调休", "Anna", NOW),
        (date(2027, 2, 10), DayOverrideKind.DAY_OFF, None, "Spring Festival", "Anna", NOW),
    ]
    assert [(o.country, o.subdivision) for o in everything] == [("CN", None), ("CN", None), ("DE", "BY")]


async def test_entering_a_date_again_replaces_it_and_says_what_it_replaced(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        await uow.day_overrides.put(SPRING_FESTIVAL, now_utc=NOW)
        # The country's and a subdivision's override of one date are different places.
        await uow.day_overrides.put(DayOverride("CN", date(2027, 2, 10), DayOverrideKind.DAY_OFF, "Local", subdivision="LN"), now_utc=NOW)
        _, replaced = await uow.day_overrides.put(
            DayOverride("CN", date(2027, 2, 10), DayOverrideKind.WORKING_DAY, "Worked", works_as_weekday=2), now_utc=NOW
        )
        await uow.commit()
    assert replaced is not None and replaced.name == "Spring Festival"
    async with uow_factory() as uow:
        assert [(o.subdivision, o.kind) for o in await uow.day_overrides.list("CN")] == [
            (None, DayOverrideKind.WORKING_DAY), ("LN", DayOverrideKind.DAY_OFF)
        ]
        removed = await uow.day_overrides.remove("CN", date(2027, 2, 10))
        assert removed is not None and removed.name == "Worked"
        assert await uow.day_overrides.remove("CN", date(2027, 2, 10)) is None
        await uow.commit()
    async with uow_factory() as uow:
        assert [o.subdivision for o in await uow.day_overrides.list()] == ["LN"]


async def test_two_first_entries_of_one_date_meet_at_the_unique_key(uow_factory: UnitOfWorkFactory) -> None:
    """Country-wide overrides keep ``""`` as subdivision, so the key holds on PostgreSQL too (NULLs repeat)."""
    async with uow_factory() as first:
        await first.day_overrides.put(SPRING_FESTIVAL, now_utc=NOW)
        await first.commit()
    async with uow_factory() as uow:
        from storage.models import DayOverrideRow

        db = uow.day_overrides.db
        db.add(DayOverrideRow(country="CN", subdivision="", day=date(2027, 2, 10), kind="off", name="again", added_at=NOW))
        with pytest.raises(IntegrityError):
            await db.flush()


async def test_coordinators_entering_one_date_at_once_leave_one_override_and_lose_nothing_silently(uow_factory: UnitOfWorkFactory) -> None:
    """Real concurrent transactions: on PostgreSQL the first entries meet at the unique key (the
    losers are told, nothing half-stored); on SQLite writers take turns and each replaces the last."""
    import asyncio

    from bot.domain import ConflictError

    start = asyncio.Event()

    async def writer(i: int) -> str | None:
        await start.wait()
        async with uow_factory() as uow:
            try:
                await uow.day_overrides.put(DayOverride("CN", date(2027, 2, 10), DayOverrideKind.DAY_OFF, f"writer {i}"), now_utc=NOW)
            except ConflictError:
                return None
            await uow.commit()
            return f"writer {i}"

    tasks = [asyncio.create_task(writer(i)) for i in range(8)]
    start.set()
    stored = [name for name in await asyncio.gather(*tasks) if name is not None]
    assert stored
    async with uow_factory() as uow:
        [kept] = await uow.day_overrides.list()
    assert kept.name in stored
