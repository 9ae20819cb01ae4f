"""Services on a real database (SQLite and PostgreSQL), a fixed clock and recorded wakeups."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timezone

import pytest

from bot.clock import ManualClock
from bot.config import Config, CoordinatorConfig, ProgrammeConfig, TopicConfig
from bot.domain import Actor, Pairing
from bot.services import Services
from storage.uow import UnitOfWorkFactory

NOW = datetime(2027, 3, 22, 8, 0, tzinfo=timezone.utc)
COORDINATOR = 1001

PROGRAMME = ProgrammeConfig(
    name="Panjin – EU pilot cities",
    pairing=Pairing.ACROSS,
    groups=("China", "EU"),
    topics=(
        TopicConfig("wetlands", {"en": "Ecological protection of wetlands", "zh": "湿地生态保护", "de": "Schutz von Feuchtgebieten"}),
        TopicConfig("tourism", {"en": "Tourism planning", "zh": "旅游规划", "de": "Tourismusplanung"}),
    ),
    coordinators=(CoordinatorConfig(telegram_id=COORDINATOR, name="Coordinator", language="en", email="team@example.org"),),
)


@dataclass
class RecordedWakeups:
    outbox: list[datetime] = field(default_factory=list)
    planning: int = 0

    def outbox_changed(self, due_utc: datetime) -> None:
        self.outbox.append(due_utc)

    def planning_needed(self) -> None:
        self.planning += 1


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def config() -> Config:
    return Config(programme=PROGRAMME)


@pytest.fixture
async def services(config: Config, clock: ManualClock, uow_factory: UnitOfWorkFactory) -> Services:
    root = Services(config=config, clock=clock, uow_factory=uow_factory, wakeups=RecordedWakeups())
    await root.interests.sync_topics()
    return root


def with_pairing(services: Services, pairing: Pairing) -> Services:
    return replace(services, config=replace(services.config, programme=replace(services.config.programme, pairing=pairing)))


async def add_city(services: Services, name: str, country: str, zone: str, group: str) -> int:
    city = await services.cities.add(by=Actor.telegram(COORDINATOR), name=name, country=country, timezone=zone, group=group)
    return city.id


async def join_city(services: Services, city: str, user_id: int, language_code: str = "en") -> None:
    invitation = await services.onboarding.contact_link(by=Actor.telegram(COORDINATOR), city_name=city)
    await services.onboarding.join(
        by=Actor.telegram(user_id), chat_id=user_id, display_name=f"user {user_id}", language_code=language_code, code=invitation.code
    )
