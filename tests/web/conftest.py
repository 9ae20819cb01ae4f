"""Fixtures of the web tests: the programme on both databases with an in-process client, and the browser."""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

import pytest

from storage.uow import UnitOfWorkFactory
from tests.web.support import Programme, WebClient, make_programme, web_config
from web.app import create_app

# Debian's chromium, never a browser Playwright downloads (the machine has no internet).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run"]
T = TypeVar("T")
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


class BrowserThread:
    """One Chromium, driven by Playwright's sync API in a thread of its own.

    Playwright's sync API keeps an event loop of its own on its thread, so it must not live on the
    thread where pytest-asyncio runs the other tests' loops. ``run(scenario)`` calls
    ``scenario(browser)`` on the browser's thread and returns its result (or raises its error).
    """

    def __init__(self) -> None:
        self._jobs: queue.Queue[tuple[Callable[[Any], Any], Future[Any]] | None] = queue.Queue()
        self._started: Future[None] = Future()
        self._thread = threading.Thread(target=self._work, name="playwright", daemon=True)
        self._thread.start()
        self._started.result(60)

    def _work(self) -> None:
        from playwright.sync_api import sync_playwright

        try:
            playwright = sync_playwright().start()
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        except BaseException as exc:  # noqa: BLE001 - reported to the fixture
            self._started.set_exception(exc)
            return
        self._started.set_result(None)
        while (job := self._jobs.get()) is not None:
            scenario, result = job
            try:
                result.set_result(scenario(browser))
            except BaseException as exc:  # noqa: BLE001 - re-raised in the test
                result.set_exception(exc)
        browser.close()
        playwright.stop()

    def run(self, scenario: Callable[[Any], T]) -> T:
        result: Future[T] = Future()
        self._jobs.put((scenario, result))
        return result.result(300)

    def close(self) -> None:
        self._jobs.put(None)
        self._thread.join(60)


@pytest.fixture(scope="session")
def browser() -> Iterator[BrowserThread]:
    """One Chromium for all browser tests (launching takes a second or two)."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"the browser tests need Debian's chromium at {CHROMIUM} (.ci/run installs it)")
    thread = BrowserThread()
    yield thread
    thread.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Screenshots of the browser tests (ignored by git: test-artifacts/)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
