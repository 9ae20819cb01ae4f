"""Services on a real database (SQLite and PostgreSQL), a fixed clock and the real wake-ups."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from telegram.ext import ApplicationBuilder

from bot.clock import ManualClock
from bot.config import Config, CoordinatorConfig, ProgrammeConfig, TopicConfig
from bot.domain import Actor, Pairing
from bot.services import Services
from handlers.jobs import DeliveryLoop, JobQueueWakeups
from offline_bot_api import DEFAULT_TOKEN
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


def job_queue_wakeups(clock: ManualClock) -> JobQueueWakeups:
    """The wake-ups ``tandem run`` uses: PTB's JobQueue (planning) and the delivery loop, neither
    started, so a test sees what was asked for (``delivery.next_pass_in``, the planning job)."""
    application = ApplicationBuilder().token(DEFAULT_TOKEN).build()
    assert application.job_queue is not None
    loop = DeliveryLoop(clock, sweep=timedelta(seconds=7), first_pass_at_once=False)
    return JobQueueWakeups(application.job_queue, clock, loop, planning_debounce=timedelta(seconds=30))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def config() -> Config:
    return Config(programme=PROGRAMME)


@pytest.fixture
async def services(config: Config, clock: ManualClock, uow_factory: UnitOfWorkFactory) -> Services:
    root = Services(config=config, clock=clock, uow_factory=uow_factory, wakeups=job_queue_wakeups(clock))
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
