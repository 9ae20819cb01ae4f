"""The demo's programme (tandem/demo/scenario.toml: Panjin and five European pilot cities) run by a
coordinator from the board alone, in Chromium.

The coordinator does everything on the board: uploads the cities as cities.csv, creates each
city's invite link and adds Panjin's e-mail-only contact, watches the matrix fill, confirms all 11
matches one by one, moves one session and cancels another with a reason, and reads the week, the
roadmap and the schedule CSV. What the cities do, they do as they would (the contacts open the
invite links in Telegram, choose topics and hours); between taps the planner runs as the job queue
runs it after a change. The cities are told through the same notices as after the chat's taps.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.clock import ManualClock
from bot.config import Config
from bot.domain import Actor, MatchStatus, NoticeKind, SessionStatus
from bot.services import Services
from storage.uow import UnitOfWorkFactory
from tandem.demo.scenario import load_scenario
from tests.web.conftest import BrowserThread
from tests.web.support import LiveServer, web_config
from tests.web.test_board_browser import laptop, only_from, sign_in_as_coordinator

SCENARIO = load_scenario()
COORDINATOR = SCENARIO.coordinators[0].telegram_id


@dataclass
class DemoProgramme:
    services: Services
    clock: ManualClock


async def empty_programme(config: Config, uow_factory: UnitOfWorkFactory) -> DemoProgramme:
    """Only the configuration: no city, no contact; the coordinator starts from nothing."""
    clock = ManualClock(SCENARIO.now_utc)
    services = Services(config=config, clock=clock, uow_factory=uow_factory)
    await services.interests.sync_topics()
    return DemoProgramme(services, clock)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    database = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('demo-board')}/tandem.sqlite3"

    def config_for(url: str) -> Config:
        return replace(web_config(database, base_url=url), programme=SCENARIO.programme, scheduling=SCENARIO.scheduling)

    server = LiveServer(config_for, database, build=empty_programme).start()
    yield server
    server.stop()


def test_the_demos_programme_is_run_from_the_board_alone(live: LiveServer, browser: BrowserThread, artifacts: Path) -> None:
    programme = live.programme
    assert programme is not None
    services = programme.services
    cities_csv = "name,country,timezone,group\n" + "".join(f"{c.name},{c.country},{c.timezone},{c.group}\n" for c in SCENARIO.cities)
    topic_ids: dict[str, int] = {}

    async def topics() -> dict[str, int]:
        async with services.uow_factory() as uow:
            return {t.key: t.id for t in await uow.topics.list()}

    topic_ids.update(live.call(topics()))

    def set_up_the_cities(chromium: Any) -> None:
        with laptop(chromium) as page:
            sign_in_as_coordinator(page, live, COORDINATOR)
            page.goto(f"{live.url}/board/cities")
            page.set_input_files("#file", files=[{"name": "cities.csv", "mimeType": "text/csv", "buffer": cities_csv.encode()}])
            page.get_by_role("button", name="Upload").click()
            page.wait_for_url(re.compile(r"imported=6"))
            for city in SCENARIO.cities:
                page.goto(f"{live.url}/board/cities")
                page.get_by_role("link", name=city.name, exact=True).click()
                page.get_by_role("button", name="Create an invite link for the contact").click()
                code = re.search(r"/start (\S+)", page.locator("code.secret").inner_text())
                assert code, city.name
                # The city's contacts open the link in Telegram (the first becomes the contact; colleagues later).
                person = city.contacts[0]
                live.call(services.onboarding.join(by=Actor.telegram(person.telegram_id), chat_id=person.telegram_id,
                                                   display_name=person.name, language_code=person.language, code=code.group(1)))
                if city.name == "Panjin":  # Panjin's e-mail-only contact, whom Telegram does not reach
                    page.get_by_label("Name", exact=True).first.fill("Wang Fang")
                    page.get_by_label("E-mail address").fill("wang.fang@panjin.example.cn")
                    page.get_by_role("button", name="Add the contact").click()
                    page.wait_for_url(re.compile(r"done=contact"))
            only_from(page, live.url)

    browser.run(set_up_the_cities)

    # The contacts choose their topics, hours and days away, as in the chat or on their pages.
    for city in SCENARIO.cities:
        by = Actor.telegram(city.contacts[0].telegram_id)
        live.call(services.availability.set_hours(by=by, text=city.hours))
        live.call(services.interests.save_choices(by=by, choices={topic_ids[key]: None for key in city.topics}))
        for day in city.away:
            live.call(services.availability.add_days_away(by=by, text=day.isoformat()))
    live.call(services.planning.plan_and_notify())

    def confirm_every_match(chromium: Any) -> int:
        confirmed = 0
        with laptop(chromium) as page:
            sign_in_as_coordinator(page, live, COORDINATOR)
            page.goto(f"{live.url}/board/matrix")
            assert page.locator("td.chosen").count() == sum(len(c.topics) for c in SCENARIO.cities)
            assert "no contact: 0" in page.locator(".todos").inner_text() and "no hours: 0" in page.locator(".todos").inner_text()
            for _ in range(SCENARIO.expected_matches + 5):
                page.goto(f"{live.url}/board?status=planned")
                buttons = page.locator("article button.primary")
                if buttons.count() == 0:
                    break
                buttons.first.click()
                page.wait_for_url(re.compile(r"done=confirmed"))
                confirmed += 1
                live.call(services.planning.plan_and_notify())  # as the job queue does after a confirmation
            page.goto(f"{live.url}/board")
            assert page.locator("article.status-confirmed").count() == SCENARIO.expected_matches
            # Move the first session to another common time; cancel the second with a reason.
            page.goto(f"{live.url}/board?status=confirmed")
            page.locator("article").nth(0).get_by_role("link", name="Move").click()
            page.locator("ul.slots button").first.click()
            page.wait_for_url(re.compile(r"done=moved"))
            second = page.locator("article").nth(1)
            second.get_by_label("Reason for cancelling").fill("The mayor's delegation travels that week")
            second.get_by_role("button", name="Cancel the session").click()
            page.wait_for_url(re.compile(r"done=cancelled"))
            page.goto(f"{live.url}/board/calendar")
            assert page.locator(".session").count() >= 1
            only_from(page, live.url)
        return confirmed

    assert browser.run(confirm_every_match) == SCENARIO.expected_matches

    async def state() -> tuple[list[Any], dict[str, set[int]], list[Any]]:
        async with services.uow_factory() as uow:
            sessions = await uow.sessions.views()
            kinds: dict[str, set[int]] = {}
            for message in await uow.outbox.list():
                kinds.setdefault(message.kind, set()).add(message.session_id or 0)
            return sessions, kinds, await uow.matches.views()

    sessions, kinds, matches = live.call(state())
    assert len(sessions) == SCENARIO.expected_matches == 11
    assert sorted(s.session.status for s in sessions).count(SessionStatus.CANCELLED) == 1
    assert [s.session.sequence for s in sessions].count(1) == 2  # one moved (update) and one cancelled
    assert kinds[NoticeKind.INVITATION.value] == {s.session.id for s in sessions}  # every session announced
    assert len(kinds[NoticeKind.UPDATE.value]) == 1 and len(kinds[NoticeKind.CANCELLATION.value]) == 1
    assert sorted(m.match.status for m in matches).count(MatchStatus.CONFIRMED) == 10

    # A session takes place; both cities report; the coordinator reads the roadmap and downloads the schedule.
    first = min((s for s in sessions if s.session.status is SessionStatus.CONFIRMED), key=lambda s: s.session.start_utc)
    programme.clock.set(first.session.end_utc + timedelta(minutes=30))
    for city in (first.city_a, first.city_b):
        contact = next(c for c in SCENARIO.cities if c.name == city.name).contacts[0]
        live.call(services.sessions.record_outcome(first.session.id, True, by=Actor.telegram(contact.telegram_id), next_steps=f"{city.name}: send the partners our plan"))

    def read_the_results(chromium: Any) -> str:
        with laptop(chromium) as page:
            sign_in_as_coordinator(page, live, COORDINATOR)
            page.goto(f"{live.url}/board/roadmap")
            row = page.locator(f"#session-{first.session.id}").inner_text()
            assert f"{first.city_a.name}: send the partners our plan" in row and f"{first.city_b.name}: send the partners our plan" in row
            page.goto(f"{live.url}/board/exports")
            with page.expect_download() as download:
                page.get_by_role("link", name=re.compile("Every confirmed session as CSV")).click()
            return Path(download.value.path()).read_text(encoding="utf-8-sig")

    rows = list(csv.DictReader(io.StringIO(browser.run(read_the_results))))
    assert len(rows) == 10 and {r["status"] for r in rows} == {"confirmed"}
