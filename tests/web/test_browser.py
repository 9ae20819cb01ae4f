"""The pages in a real browser: Debian's Chromium driven by Playwright, on a phone-sized screen."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import BrowserThread
from tests.web.support import HAMBURG_CONTACT, LiveServer, mini_app_init_data, web_config

PHONE = {"width": 360, "height": 740}
TELEGRAM_THEME = '{"bg_color":"#17212b","text_color":"#f5f5f5","hint_color":"#708499","link_color":"#6ab3f3","button_color":"#5288c1","button_text_color":"#ffffff","secondary_bg_color":"#232e3c"}'


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The web app on a loopback port, with the test programme on a SQLite file."""
    database = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('live')}/tandem.sqlite3"
    server = LiveServer(lambda url: web_config(database, base_url=url), database).start()
    yield server
    server.stop()


@contextmanager
def phone(browser: Any, locale: str = "zh-CN") -> Iterator[Any]:
    """A page on a 360 × 740 phone screen with touch; every URL it asks for is kept in ``page.requests``."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale=locale)
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.requests = requests
    try:
        yield page
    finally:
        context.close()


def only_from(page: Any, base: str) -> None:
    outside = [url for url in page.requests if not url.startswith(base) and not url.startswith("data:")]
    assert outside == []


def test_the_e_mail_only_contact_signs_in_with_the_link_from_the_mail(live: LiveServer, browser: BrowserThread, artifacts: Path) -> None:
    programme = live.programme
    assert programme is not None
    url = live.call(programme.services.sign_in.link_for(contact_id=programme.wang_fang))

    def scenario(chromium: Any) -> None:
        with phone(chromium) as page:
            page.goto(url)
            page.get_by_role("button", name=re.compile("登录|Sign in")).click()
            page.wait_for_url(f"{live.url}/")
            assert "Wang Fang" in page.locator(".who").inner_text()
            page.screenshot(path=str(artifacts / "home-zh.png"), full_page=True)
            only_from(page, live.url)

    browser.run(scenario)


def test_the_same_pages_open_as_a_mini_app_with_telegrams_signed_init_data_and_theme(live: LiveServer, browser: BrowserThread, artifacts: Path) -> None:
    from urllib.parse import quote

    assert live.programme is not None
    init_data = mini_app_init_data(HAMBURG_CONTACT, auth_utc=live.programme.clock.now(), language="de")

    def scenario(chromium: Any) -> None:
        with phone(chromium, locale="de-DE") as page:
            # As Telegram opens a Mini App: its data in the fragment, which never reaches the server by itself.
            page.goto(f"{live.url}/app#tgWebAppData={quote(init_data)}&tgWebAppVersion=8.0&tgWebAppPlatform=android&tgWebAppThemeParams={quote(TELEGRAM_THEME)}")
            page.wait_for_url(f"{live.url}/")
            assert "Hamburg contact" in page.locator(".who").inner_text()
            assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(23, 33, 43)"  # Telegram's theme
            page.screenshot(path=str(artifacts / "mini-app-home-de.png"), full_page=True)
            only_from(page, live.url)

    browser.run(scenario)
