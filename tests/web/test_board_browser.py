"""The board in a real browser (Debian's Chromium, Playwright) on a laptop screen, signed in as a coordinator.

A coordinator uploads cities.csv (one bad row: refused, nothing written; then the 30 cities),
watches the interest matrix fill as contacts choose topics, confirms two matches from the board
while another coordinator confirms the third in the chat (one session each; the board's late tap
is told who won), reads the week and the roadmap, and subscribes to the calendar URL, read here
with icalendar as a calendar app reads it. Each page is photographed (``test-artifacts/``); with
``TANDEM_DOCS_SCREENSHOTS=1`` the photos also replace those in ``docs/board/`` that README shows.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from icalendar import Calendar

from bot.domain import Actor, SessionStatus
from tests.web.conftest import BrowserThread
from tests.web.support import COORDINATOR, HAMBURG_CONTACT, LISBON_CONTACT, OTHER_COORDINATOR, LiveServer, mini_app_init_data, web_config
from tests.web.test_board_cities import cities_csv

LAPTOP = {"width": 1280, "height": 800}
DOCS = Path(__file__).resolve().parents[2] / "docs" / "board"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    database = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('board')}/tandem.sqlite3"
    server = LiveServer(lambda url: web_config(database, base_url=url), database).start()
    yield server
    server.stop()


@contextmanager
def laptop(browser: Any, locale: str = "en-GB") -> Iterator[Any]:
    context = browser.new_context(viewport=LAPTOP, locale=locale)
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.requests = requests
    try:
        yield page
    finally:
        context.close()


def sign_in_as_coordinator(page: Any, live: LiveServer, user_id: int = COORDINATOR) -> None:
    """As Telegram opens the Mini App: the signed initData in the URL fragment."""
    assert live.programme is not None
    init_data = mini_app_init_data(user_id, auth_utc=live.programme.clock.now(), language="en")
    page.goto(f"{live.url}/app#tgWebAppData={quote(init_data)}&tgWebAppVersion=8.0&tgWebAppPlatform=tdesktop")
    page.wait_for_url(f"{live.url}/board")


def photograph(page: Any, artifacts: Path, name: str, full_page: bool = True) -> None:
    path = artifacts / name
    page.screenshot(path=str(path), full_page=full_page)
    if os.environ.get("TANDEM_DOCS_SCREENSHOTS"):
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS / name)


def chosen_cells(page: Any) -> int:
    return int(page.locator("td.chosen").count())


def test_a_coordinator_runs_the_programme_from_the_board(live: LiveServer, browser: BrowserThread, artifacts: Path) -> None:
    programme = live.programme
    assert programme is not None
    services = programme.services

    async def city_count() -> int:
        async with services.uow_factory() as uow:
            return len(await uow.cities.list())

    def upload_and_watch_the_matrix(chromium: Any) -> None:
        with laptop(chromium) as page:
            sign_in_as_coordinator(page, live)
            page.get_by_role("link", name="Cities").first.click()
            page.set_input_files("#file", files=[{"name": "cities.csv", "mimeType": "text/csv", "buffer": cities_csv(30, bad_line=17).encode()}])
            page.get_by_role("button", name="Upload").click()
            assert "Nothing was imported" in page.locator("[role=alert]").inner_text()
            assert page.locator("pre.errors").inner_text().strip() == 'line 17: "Europe/Atlantis" is not a time zone; use an IANA name such as Europe/Rome.'
            assert live.call(city_count()) == 3  # nothing written
            page.set_input_files("#file", files=[{"name": "cities.csv", "mimeType": "text/csv", "buffer": cities_csv(30).encode()}])
            page.get_by_role("button", name="Upload").click()
            page.wait_for_url(re.compile(r"/board/cities\?imported=30"))
            assert live.call(city_count()) == 33
            photograph(page, artifacts, "cities-en.png")
            # The matrix, empty, then filling as the contacts choose topics.
            page.get_by_role("link", name="Interests").first.click()
            assert chosen_cells(page) == 0 and "no topic: 33" in page.locator(".todos").inner_text()
            topics = {c.topic.key: c.topic.id for c in live.call(services.interests.overview(by=Actor.telegram(HAMBURG_CONTACT))).choices}
            live.call(services.interests.save_choices(by=Actor.telegram(HAMBURG_CONTACT), choices={topics["wetlands"]: "Elbe marshes, 4,000 ha", topics["agriculture"]: None}))
            page.reload()
            assert chosen_cells(page) == 2
            live.call(services.interests.save_choices(by=Actor.telegram(LISBON_CONTACT), choices={topics["tourism"]: None}))
            live.call(services.interests.save_choices(by=Actor.contact(programme.wang_fang), choices={t: None for t in topics.values()}))
            page.reload()
            assert chosen_cells(page) == 6
            assert page.locator("thead th", has_text="Ecological protection of wetlands").inner_text().endswith("2 cities · 1 pairs")
            photograph(page, artifacts, "matrix-en.png", full_page=False)
            only_from(page, live.url)

    browser.run(upload_and_watch_the_matrix)

    for actor, hours in [(Actor.contact(programme.wang_fang), "Mon-Fri 14:00-18:00"), (Actor.telegram(HAMBURG_CONTACT), "Mon-Fri 09:00-17:00"),
                         (Actor.telegram(LISBON_CONTACT), "Mon-Fri 08:00-12:00")]:
        live.call(services.availability.set_hours(by=actor, text=hours))
    live.call(services.planning.plan_and_notify())
    pending = live.call(services.sessions.pending(by=Actor.telegram(COORDINATOR)))
    assert len(pending) == 3 and all(p.slots for p in pending)
    tourism = next(p for p in pending if p.topic.key == "tourism")

    def confirm_two_and_lose_the_third(chromium: Any) -> None:
        with laptop(chromium) as page:
            sign_in_as_coordinator(page, live)
            page.goto(f"{live.url}/board?status=planned")
            photograph(page, artifacts, "matches-en.png")
            for match in [p for p in pending if p is not tourism]:
                page.locator(f"#match-{match.match.id} button.primary").click()
                page.wait_for_url(re.compile(r"done=confirmed"))
                assert "Confirmed. Both cities and every participant get the invitation." in page.locator("[role=status]").inner_text()
            # The third is on screen; meanwhile the other coordinator taps its first slot in the chat.
            assert page.locator(f"#match-{tourism.match.id} button.primary").is_visible()
            live.call(services.sessions.confirm(tourism.match.id, tourism.slots[0], by=Actor.telegram(OTHER_COORDINATOR)))
            page.locator(f"#match-{tourism.match.id} button.primary").click()
            assert page.locator("[role=alert]").inner_text() == "Already confirmed by Other coordinator."
            page.goto(f"{live.url}/board?status=confirmed")
            assert page.locator("article.status-confirmed").count() == 3
            only_from(page, live.url)

    browser.run(confirm_two_and_lose_the_third)

    async def confirmed() -> list[Any]:
        async with services.uow_factory() as uow:
            return await uow.sessions.views(statuses=[SessionStatus.CONFIRMED])

    sessions = live.call(confirmed())
    assert sorted(v.match.id for v in sessions) == sorted(p.match.id for p in pending)  # one session each
    first = min(sessions, key=lambda v: v.session.start_utc)

    def week_roadmap_and_calendar(chromium: Any) -> str:
        with laptop(chromium) as page:
            sign_in_as_coordinator(page, live)
            page.goto(f"{live.url}/board/calendar?week={first.session.start_utc.date().isoformat()}")
            assert page.locator(f"#session-{first.session.id}").count() == 1
            photograph(page, artifacts, "calendar-en.png")
            page.get_by_role("link", name="Exports").first.click()
            page.get_by_role("button", name="Make a new calendar address").click()
            url = page.locator("#feed-url").inner_text()
            photograph(page, artifacts, "exports-en.png")
            only_from(page, live.url)
            return str(url)

    feed_url = browser.run(week_roadmap_and_calendar)
    feed = httpx.get(feed_url)  # as Outlook or Google Calendar fetch it: no cookie, the token is the key
    assert feed.status_code == 200
    events = Calendar.from_ical(feed.content).walk("VEVENT")
    assert sorted(str(e["UID"]) for e in events) == sorted(v.session.ical_uid for v in sessions)

    # After the first session, Panjin reports; the roadmap shows it. Then the board in Chinese.
    programme.clock.set(first.session.end_utc)
    live.call(services.sessions.record_outcome(first.session.id, True, by=Actor.contact(programme.wang_fang), next_steps="Exchange monitoring data; site visit in May"))
    live.call(services.people.greet(by=Actor.telegram(COORDINATOR), chat_id=COORDINATOR, display_name="Coordinator", language_code="zh"))

    def roadmap_and_chinese(chromium: Any) -> None:
        with laptop(chromium, locale="zh-CN") as page:
            sign_in_as_coordinator(page, live)
            assert page.locator("html").get_attribute("lang") == "zh"
            page.goto(f"{live.url}/board/roadmap")
            assert "Exchange monitoring data; site visit in May" in page.locator(f"#session-{first.session.id}").inner_text()
            photograph(page, artifacts, "roadmap-zh.png")
            page.goto(f"{live.url}/board/matrix")
            assert page.get_by_role("heading", level=1).inner_text() == "兴趣矩阵"
            photograph(page, artifacts, "matrix-zh.png", full_page=False)
            page.goto(f"{live.url}/board")
            photograph(page, artifacts, "matches-zh.png")
            only_from(page, live.url)

    browser.run(roadmap_and_chinese)


def only_from(page: Any, base: str) -> None:
    outside = [url for url in page.requests if not url.startswith(base) and not url.startswith("data:")]
    assert outside == []
