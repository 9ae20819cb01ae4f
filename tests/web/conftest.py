"""Fixtures of the web tests: the programme on both databases with an in-process client, and the browser."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from storage.uow import UnitOfWorkFactory
from tests.web.support import Programme, WebClient, make_programme, web_config
from web.app import create_app

# Debian's chromium, never a browser Playwright downloads (the machine has no internet).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
async def programme(database_url: str, uow_factory: UnitOfWorkFactory) -> Programme:
    return await make_programme(web_config(database_url), uow_factory)


@pytest.fixture
def app(programme: Programme) -> Any:
    return create_app(programme.services.config, lambda: programme.services, bot_token=programme.services.config.telegram.token)


@pytest.fixture
async def client(app: Any) -> AsyncIterator[WebClient]:
    client = WebClient(app)
    yield client
    await client.aclose()


@pytest.fixture
async def other_client(app: Any) -> AsyncIterator[WebClient]:
    """A second browser: someone else, with cookies of their own."""
    client = WebClient(app)
    yield client
    await client.aclose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One Chromium for all browser tests (Playwright's sync API; launching takes a second)."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"the browser tests need Debian's chromium at {CHROMIUM} (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Screenshots of the browser tests (ignored by git: test-artifacts/)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
