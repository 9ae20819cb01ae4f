"""Drive the real Application (``build_application``) with simulated people; only PTB's request layer is offline."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from telegram.ext import Application
from telegram.request import BaseRequest

from bot.clock import ManualClock
from bot.config import Config, CoordinatorConfig, DatabaseConfig, ProgrammeConfig, Secret, TelegramConfig, TopicConfig
from bot.domain import Pairing
from bot.services import Services
from handlers.rate_limit import TelegramRateLimiter
from offline_bot_api import ChatDriver, FakeBotApi, OfflineRequest
from offline_bot_api.values import JSONDict
from storage.db import upgrade_async
from tandem.app import SERVICES_KEY, build_application

NOW = datetime(2027, 3, 22, 8, 0, tzinfo=timezone.utc)  # a Monday, a week before the EU clocks change
COORDINATOR_ID = 1001

TOPICS = (
    TopicConfig("wetlands", {"en": "Ecological protection of wetlands", "zh": "湿地生态保护", "de": "Ökologischer Schutz von Feuchtgebieten"}),
    TopicConfig("tourism", {"en": "Tourism planning", "zh": "旅游规划", "de": "Tourismusplanung"}),
)


def programme(coordinator_language: str = "en") -> ProgrammeConfig:
    return ProgrammeConfig(
        name="Panjin – EU pilot cities",
        pairing=Pairing.ACROSS,
        groups=("China", "EU"),
        timezone="Europe/Berlin",
        topics=TOPICS,
        coordinators=(CoordinatorConfig(telegram_id=COORDINATOR_ID, name="Coordinator", language=coordinator_language),),
    )


class Harness(ChatDriver):
    """The shared driver (simulated people talking to the Application), plus the clock and services."""

    def __init__(self, api: FakeBotApi, application: Application[Any, Any, Any, Any, Any, Any], clock: ManualClock) -> None:
        super().__init__(api, application)
        self.clock = clock

    @property
    def services(self) -> Services:
        return self.application.bot_data[SERVICES_KEY]  # type: ignore[no-any-return]

    async def deliver(self) -> int:
        """Send what is due now through the real delivery service; returns how many went out."""
        assert self.services.delivery is not None
        report = await self.services.delivery.deliver_due()
        return len(report.sent)

    @contextlib.asynccontextmanager
    async def polling(self) -> AsyncIterator[None]:
        """Run as ``tandem run`` does in polling mode: the updater fetches what :meth:`queue` put up
        (``getUpdates``) and the application hands each update to its update processor, so updates
        of different chats run at once (unlike :meth:`send` and :meth:`tap`, which process one
        update to its end). The job queue and the delivery loop run too."""
        assert self.application.updater is not None
        await self.application.updater.start_polling(poll_interval=0, timeout=10)
        await self.application.start()
        try:
            yield
        finally:
            await self.application.updater.stop()
            await self.application.stop()

    def queue(self, update: JSONDict) -> JSONDict:
        """Put an update up for ``getUpdates`` (see :meth:`polling`), as Telegram does when a person acts."""
        return self.api.queue_update(update)

    @staticmethod
    async def eventually(condition: Callable[[], bool], ceiling: float = 60) -> None:
        """Wait until ``condition`` holds; fail after ``ceiling`` seconds (far above what it takes)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + ceiling
        while not condition():
            assert loop.time() < deadline, f"still not true after {ceiling} s"
            await asyncio.sleep(0.01)


async def start_harness(tmp_path: Path, *, coordinator_language: str = "en", **sections: object) -> Harness:
    """``sections``: config sections other than the defaults, e.g. ``reminders=RemindersConfig(...)``."""
    url = f"sqlite+aiosqlite:///{tmp_path}/tandem.sqlite3"
    await upgrade_async(url)
    return await open_harness(url, coordinator_language=coordinator_language, **sections)


async def open_harness(
    url: str, *, coordinator_language: str = "en", api: FakeBotApi | None = None, clock: ManualClock | None = None,
    request: BaseRequest | None = None, concurrent_updates: int = TelegramConfig.concurrent_updates, **sections: object
) -> Harness:
    """Build and start the application on an already migrated database (also after a "restart").

    ``request``: the request layer for everything but ``getUpdates`` (default: ``OfflineRequest(api)``)."""
    clock = clock or ManualClock(NOW)
    api = api or FakeBotApi(now=clock.now)
    config = Config(
        telegram=TelegramConfig(token=Secret(api.token), concurrent_updates=concurrent_updates),
        database=DatabaseConfig(url=url),
        programme=programme(coordinator_language),
        **sections,  # type: ignore[arg-type]
    )
    application = build_application(config, request=request or OfflineRequest(api), get_updates_request=OfflineRequest(api), clock=clock, rate_limiter=TelegramRateLimiter(speed=1000))
    await application.initialize()
    await application.post_init(application)  # what run_polling does after initialize
    return Harness(api, application, clock)


async def stop_harness(harness: Harness) -> None:
    await harness.application.post_shutdown(harness.application)
    await harness.application.shutdown()


def invite_code(text: str) -> str:
    found = re.search(r"\?start=([A-Za-z0-9_-]+)", text)
    assert found, f"no deep link in {text!r}"
    return found.group(1)
