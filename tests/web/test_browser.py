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
from tests.web.support import LISBON_CONTACT as LISBON_CONTACT_ID

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
            # The same pages: Hamburg's hours grid, in German and Hamburg's time, still in the chat's theme.
            page.get_by_role("link", name="Zeiten").first.click()
            assert page.get_by_role("heading", level=1).inner_text() == "Besprechungszeiten von Hamburg"
            assert page.locator("#week-grid input").count() == 7 * 48
            assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(23, 33, 43)"
            page.screenshot(path=str(artifacts / "mini-app-hours-de.png"))
            only_from(page, live.url)

    browser.run(scenario)


def grid_cell(page: Any, day: int, slot: int) -> Any:
    return page.locator(f'#week-grid input[value="{day}-{slot}"]')


def drag(page: Any, day: int, first: int, last: int) -> None:
    """Press on one cell and drag down the day's column to another, as a finger or a mouse would."""
    grid_cell(page, day, (first + last) // 2).scroll_into_view_if_needed()
    start, end = grid_cell(page, day, first).bounding_box(), grid_cell(page, day, last).bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] / 2, steps=12)
    page.mouse.up()


def test_the_e_mail_only_panjin_contact_does_everything_on_a_phone_without_telegram(live: LiveServer, browser: BrowserThread, artifacts: Path) -> None:
    """Hours painted on the grid, the overlap with Hamburg, topics, a partner declined, a session attended: zh and en."""
    from bot.domain import Actor
    from tests.web.support import COORDINATOR, HAMBURG_CONTACT, LISBON_CONTACT

    programme = live.programme
    assert programme is not None
    services = programme.services
    live.call(services.availability.set_hours(by=Actor.telegram(HAMBURG_CONTACT), text="Mon-Fri 09:00-17:00"))
    live.call(services.availability.set_hours(by=Actor.telegram(LISBON_CONTACT), text="Mon-Fri 08:00-12:00"))
    topics = {c.topic.key: c.topic for c in live.call(services.interests.overview(by=Actor.telegram(HAMBURG_CONTACT))).choices}
    live.call(services.interests.choose(by=Actor.telegram(HAMBURG_CONTACT), city_id=programme.hamburg, topic_id=topics["wetlands"].id, chosen=True))
    live.call(services.interests.choose(by=Actor.telegram(LISBON_CONTACT), city_id=programme.lisbon, topic_id=topics["tourism"].id, chosen=True))
    url = live.call(services.sign_in.link_for(contact_id=programme.wang_fang))
    wang = Actor.contact(programme.wang_fang)

    def scenario(chromium: Any) -> None:
        with phone(chromium, locale="en-GB") as page:
            page.goto(url)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(f"{live.url}/")
            # Hours: drag Monday to Friday 14:00-18:00 on the grid; one more tap adds and removes a cell.
            page.get_by_role("link", name="Hours").first.click()
            assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling on the phone
            for day in range(5):
                drag(page, day, 28, 35)
            grid_cell(page, 5, 20).tap()
            assert grid_cell(page, 5, 20).is_checked()
            grid_cell(page, 5, 20).tap()
            assert not grid_cell(page, 5, 20).is_checked()
            page.get_by_role("button", name="Save hours").click()
            page.wait_for_url(re.compile(r"/hours\?saved=1"))
            assert live.call(services.availability.hours(by=wang)).text == "Mon-Fri 14:00-18:00"
            # The overlap with Hamburg: its 09:00-17:00 (UTC+1) is 16:00-24:00 in Panjin (UTC+8).
            page.get_by_label("Partner hours shown").select_option(label="Hamburg")
            page.wait_for_url(re.compile(rf"partner={programme.hamburg}"))
            assert page.locator("td.o").count() == 5 * 4  # Mon-Fri 16:00-18:00, four half hours a day
            assert "With Hamburg (Europe/Berlin) you overlap Mon-Fri 16:00-18:00 your time." in page.locator(".overlaps").inner_text()
            grid_cell(page, 0, 38).scroll_into_view_if_needed()  # Panjin 14:00-19:00: the overlap in view
            page.screenshot(path=str(artifacts / "hours-en.png"))
            # Topics: wetlands (Hamburg's) with a note, and tourism (Lisbon's).
            page.get_by_role("link", name="Topics").first.click()
            page.get_by_label(topics["wetlands"].title("en")).check()
            page.get_by_label("Note (optional)").first.fill("We run a 1,200 km² wetland reserve")
            page.get_by_label(topics["tourism"].title("en")).check()
            page.get_by_role("button", name="Save topics").click()
            page.wait_for_url(re.compile(r"/topics\?saved=1&new=2"))
            page.screenshot(path=str(artifacts / "topics-en.png"), full_page=True)
            # Partners: decline Lisbon, after the second step.
            page.get_by_role("link", name="Partners").first.click()
            lisbon = page.locator("article", has_text="Lisbon")
            lisbon.get_by_role("link", name="Decline").click()
            page.get_by_role("button", name="Decline").click()
            page.wait_for_url(re.compile(r"/matches\?done=declined"))
            assert "Declined: this meeting will not take place." in page.locator("article", has_text="Lisbon").inner_text()
            page.screenshot(path=str(artifacts / "partners-en.png"), full_page=True)
            only_from(page, live.url)

    browser.run(scenario)

    # A coordinator confirms the Hamburg match (in the chat, as usual); then Wang Fang answers on the web, in Chinese.
    live.call(services.planning.plan_and_notify())
    matches = live.call(services.matching.of_my_city(by=wang))
    [hamburg] = [m for m in matches if m.partner_of(programme.panjin).name == "Hamburg"]
    [lisbon] = [m for m in matches if m.partner_of(programme.panjin).name == "Lisbon"]
    assert lisbon.match.status.value == "declined"

    async def proposals() -> list[Any]:
        async with services.uow_factory() as uow:
            return await uow.matches.proposals(hamburg.match.id)

    [(start, _), *_] = live.call(proposals())
    session = live.call(services.sessions.confirm(hamburg.match.id, start, by=Actor.telegram(COORDINATOR)))

    def answer_in_chinese(chromium: Any) -> None:
        with phone(chromium, locale="zh-CN") as page:
            page.goto(live.call(services.sign_in.link_for(contact_id=programme.wang_fang)))
            page.get_by_role("button", name="登录").click()  # signed out, the page speaks the browser's language
            page.goto(f"{live.url}/me")
            page.get_by_label("Language").select_option("zh")
            page.get_by_role("button", name="Save").click()
            page.wait_for_url(re.compile(r"/me\?done=language"))
            page.get_by_role("link", name="会谈").first.click()
            item = page.locator(f"#session-{session.session.id}")
            assert "Panjin" in item.inner_text() and "Hamburg" in item.inner_text() and "meet.jit.si" in item.inner_text()
            item.get_by_role("button", name="✅ 我将参加").click()
            page.wait_for_url(re.compile(r"/sessions\?done=attend"))
            assert page.locator(f"#session-{session.session.id} .status").inner_text() == "您将出席。"
            with page.expect_download() as download:
                page.get_by_role("link", name="添加到我的日历（.ics）").click()
            assert download.value.suggested_filename.endswith(".ics")
            page.screenshot(path=str(artifacts / "sessions-zh.png"), full_page=True)
            for path, name in [("/hours", "hours-zh.png"), ("/topics", "topics-zh.png"), ("/matches", "partners-zh.png"), ("/away", "away-zh.png")]:
                page.goto(live.url + path + (f"?partner={programme.hamburg}" if path == "/hours" else ""))
                assert page.locator("html").get_attribute("lang") == "zh"
                page.screenshot(path=str(artifacts / name), full_page=path != "/hours")
            only_from(page, live.url)

    browser.run(answer_in_chinese)

    async def answers() -> dict[int, Any]:
        async with services.uow_factory() as uow:
            return {c.id: a for c, a in await uow.sessions.participants(session.session.id)}

    assert live.call(answers())[programme.wang_fang].value == "yes"


def test_the_grid_can_be_used_with_the_keyboard_alone(live: LiveServer, browser: BrowserThread) -> None:
    """Tab into the grid, arrows to move, Space to mark, Shift+arrow to mark while moving, Enter on Save."""
    from bot.domain import Actor

    programme = live.programme
    assert programme is not None
    live.call(programme.services.availability.set_hours(by=Actor.telegram(LISBON_CONTACT_ID), text="Tue 10:00-10:30"))
    url = live.call(programme.services.sign_in.link_for(contact_id=programme.lisbon_contact))

    def scenario(chromium: Any) -> None:
        with phone(chromium, locale="en-GB") as page:
            page.goto(url)
            page.get_by_role("button", name="Sign in").click()
            page.goto(f"{live.url}/hours")
            page.locator("#partner").focus()  # the control before the grid; from here on only keys
            for _ in range(20):
                page.keyboard.press("Tab")
                if page.evaluate("document.activeElement.closest('#week-grid') !== null"):
                    break
            # The grid is one tab stop: the first marked cell (Tuesday 10:00).
            assert page.evaluate("document.activeElement.value") == "1-20"
            page.keyboard.press("ArrowRight")  # Wednesday 10:00
            page.keyboard.press("Space")
            page.keyboard.press("Shift+ArrowDown")  # Wednesday 10:30, marked on the way
            page.keyboard.press("Shift+ArrowDown")  # Wednesday 11:00
            page.keyboard.press("ArrowLeft")  # back on Tuesday 11:00, unmarked
            page.keyboard.press("ArrowUp")
            page.keyboard.press("ArrowUp")  # Tuesday 10:00
            page.keyboard.press("Space")  # unmark it
            assert page.evaluate("document.activeElement.value") == "1-20"
            page.keyboard.press("Tab")  # out of the grid in one step: the Save button
            assert page.evaluate("document.activeElement.textContent") == "Save hours"
            page.keyboard.press("Enter")
            page.wait_for_url(re.compile(r"/hours\?saved=1"))

    browser.run(scenario)
    assert live.call(programme.services.availability.hours(by=Actor.telegram(LISBON_CONTACT_ID))).text == "Wed 10:00-11:30"
