"""``bot.domain.storable`` draws the line where the databases do: what it accepts both backends keep
exactly; what it refuses PostgreSQL cannot store (so the guard at the edge must refuse it first)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy.exc import DBAPIError

from bot.domain import storable
from storage.uow import UnitOfWorkFactory

NOW = datetime(2027, 3, 22, 8, 0, tzinfo=timezone.utc)
KEPT = ["Panjin", "盘锦", "Düsseldorf 🌿", "tab\there", "\x01\x1f\x7f", "\u200b\ufeff", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢"]
REFUSED = ["Pan\x00jin", "\x00", "broken \ud800 half", "\udfff"]


def test_the_samples_fall_on_the_side_they_are_meant_to() -> None:
    assert all(storable(text) for text in KEPT) and not any(storable(text) for text in REFUSED)


@pytest.mark.parametrize("name", KEPT)
async def test_what_storable_accepts_both_backends_keep_exactly(uow_factory: UnitOfWorkFactory, name: str) -> None:
    async with uow_factory() as uow:
        city = await uow.cities.add(name=name, country="CN", timezone="Asia/Shanghai", group="China", now_utc=NOW)
        await uow.commit()
    async with uow_factory() as uow:
        stored = await uow.cities.get(city.id)
    assert stored is not None and stored.name == name


@pytest.mark.parametrize("empty_database_url", ["postgresql"], indirect=True)  # SQLite keeps a NUL; the guard refuses it there too
@pytest.mark.parametrize("name", REFUSED)
async def test_what_storable_refuses_postgresql_cannot_store(uow_factory: UnitOfWorkFactory, name: str) -> None:
    with pytest.raises((DBAPIError, UnicodeEncodeError)):
        async with uow_factory() as uow:
            await uow.cities.add(name=name, country="CN", timezone="Asia/Shanghai", group="China", now_utc=NOW)
            await uow.commit()
