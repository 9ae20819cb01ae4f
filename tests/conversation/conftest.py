"""A running Tandem on a fresh SQLite database, with people to talk to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from offline_bot_api import FakeUser
from tests.conversation.harness import COORDINATOR_ID, Harness, start_harness, stop_harness


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    running = await start_harness(tmp_path)
    try:
        yield running
    finally:
        await stop_harness(running)


@pytest.fixture
def coordinator() -> FakeUser:
    return FakeUser(COORDINATOR_ID, "Ana", language_code="en")
