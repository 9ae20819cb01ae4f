"""A programme at the scale of the load benchmark: 100 cities, 50 topics, three topics each, about 450 matches.

Half the cities are in group "China" (Asia/Shanghai), half in "EU" (zones from Lisbon to Helsinki);
each chooses three topics at random (seeded), so a topic is shared by about three cities of each
group and the pairs across groups make about 450 matches.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timezone

from bot.config import Config, CoordinatorConfig, ProgrammeConfig, TopicConfig
from bot.domain import Pairing, Role
from bot.planner import parse_weekly_hours
from bot.ports import UnitOfWorkFactory
from bot.services.matching import match_new_interest

NOW = datetime(2027, 3, 22, 8, 0, tzinfo=timezone.utc)  # a Monday
COORDINATOR = 1001
CITIES = 100
TOPICS = 50
TOPICS_EACH = 3
EU_ZONES = ("Europe/Lisbon", "Europe/Madrid", "Europe/Rome", "Europe/Berlin", "Europe/Warsaw", "Europe/Helsinki", "Europe/Athens")
HOURS = ("Mon-Fri 09:00-12:00, 14:00-17:30", "Mon-Thu 08:30-11:30", "Tue-Fri 13:00-17:00", "Mon-Fri 10:00-16:00")


@dataclass(frozen=True)
class PlannedCity:
    name: str
    country: str
    timezone: str
    group: str
    hours: str
    topics: tuple[str, ...]
    contact_id: int  # the city contact's Telegram id


def programme() -> ProgrammeConfig:
    return ProgrammeConfig(
        name="Load programme",
        pairing=Pairing.ACROSS,
        groups=("China", "EU"),
        topics=tuple(TopicConfig(f"topic-{i:02d}", {"en": f"Topic {i}"}) for i in range(TOPICS)),
        coordinators=(CoordinatorConfig(telegram_id=COORDINATOR, name="Coordinator", language="en"),),
    )


def cities(seed: int = 1, count: int = CITIES) -> list[PlannedCity]:
    """``count`` cities (the benchmark's ``--quick`` takes fewer), the same first ones for any count."""
    rng = random.Random(seed)
    keys = [f"topic-{i:02d}" for i in range(TOPICS)]
    made = []
    for i in range(count):
        china = i % 2 == 0
        made.append(
            PlannedCity(
                name=f"{'CN' if china else 'EU'} city {i:03d}",
                country="CN" if china else "DE",
                timezone="Asia/Shanghai" if china else EU_ZONES[i % len(EU_ZONES)],
                group="China" if china else "EU",
                hours=HOURS[i % len(HOURS)],
                topics=tuple(rng.sample(keys, TOPICS_EACH)),
                contact_id=10_000 + i,
            )
        )
    return made


async def fill(uow_factory: UnitOfWorkFactory, config: Config, *, now: datetime = NOW, seed: int = 1, count: int = CITIES) -> int:
    """Put the programme straight into a migrated database (cities, hours, contacts, interests and
    the matches they make, as taps would); returns the number of matches."""
    async with uow_factory() as uow:
        await uow.topics.sync([(t.key, dict(t.titles)) for t in programme().topics])
        topics = {t.key: t.id for t in await uow.topics.list()}
        made = 0
        for c in cities(seed, count):
            city = await uow.cities.add(name=c.name, country=c.country, timezone=c.timezone, group=c.group, now_utc=now)
            await uow.cities.set_weekly_hours(city.id, parse_weekly_hours(c.hours))
            await uow.contacts.add(
                display_name=c.name, role=Role.CONTACT, language="en", now_utc=now, city_id=city.id,
                telegram_user_id=c.contact_id, chat_id=c.contact_id,
            )
            for key in c.topics:
                await uow.interests.add(city.id, topics[key])
                made += len(await match_new_interest(uow, config, now, city, topics[key]))
        await uow.commit()
    return made
