"""The board's official days in a real browser (Debian's Chromium, Playwright), signed in as a coordinator.

Panjin and Hamburg have a planned match whose first offered time is on a day the Chinese
government then declares a day off. The coordinator enters it on the board's "Official days" page
(a working day without a weekday first: refused, the typed name kept), sees it listed, and after
the planning run that the change asks for, the match is offered no time on that day any more.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date

from bot.domain import Actor, MatchStatus
from tests.web.conftest import BrowserThread
from tests.web.support import HAMBURG_CONTACT, LiveServer, web_config
from tests.web.test_board_browser import laptop, only_from, photograph, sign_in_as_coordinator

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    database = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('official-days')}/tandem.sqlite3"
    server = LiveServer(lambda url: web_config(database, base_url=url), database).start()
    yield server
    server.stop()


def test_a_day_off_entered_on_the_board_is_listed_and_the_planned_match_moves_off_it(live: LiveServer, browser: BrowserThread, artifacts: Path) -> None:
    programme = live.programme
    assert programme is not None
    services = programme.services

    async def planned_match() -> tuple[int, list[date]]:
        wang, hamburg = Actor.contact(programme.wang_fang), Actor.telegram(HAMBURG_CONTACT)
        await services.availability.set_hours(by=wang, text="Mon-Fri 14:00-18:00")
        await services.availability.set_hours(by=hamburg, text="Mon-Fri 09:00-17:00")
        topics = {c.topic.key: c.topic.id for c in (await services.interests.overview(by=wang)).choices}
        await services.interests.choose(by=hamburg, city_id=programme.hamburg, topic_id=topics["wetlands"], chosen=True)
        [match] = (await services.interests.choose(by=wang, city_id=programme.panjin, topic_id=topics["wetlands"], chosen=True)).new_matches
        await services.planning.plan_and_notify()
        return match.id, await offered_days(match.id)

    async def offered_days(match_id: int) -> list[date]:
        async with services.uow_factory() as uow:
            [planned] = [m for m in await uow.matches.with_status(MatchStatus.PLANNED) if m.id == match_id]
            return [start.astimezone(SHANGHAI).date() for start, _ in await uow.matches.proposals(planned.id)]

    match_id, before = live.call(planned_match())
    day_off = before[0]  # the planner's choice
    shown = format_date(day_off, "EEE d MMM y", locale="en")  # as the board writes a day ("Wed 24 Mar 2027")

    def enter_the_day_off(chromium: Any) -> None:
        with laptop(chromium) as page:
            sign_in_as_coordinator(page, live)
            page.goto(f"{live.url}/board?status=planned")
            assert shown in page.locator(f"#match-{match_id}").inner_text()
            page.get_by_role("link", name="Official days").first.click()
            assert "No official days are entered yet." in page.locator("main").inner_text()
            page.get_by_label("Country (two letters, such as CN or DE)").fill("CN")
            page.get_by_label("Date", exact=True).fill(day_off.isoformat())
            page.get_by_label("Working day (such as a make-up Saturday)").check()
            page.get_by_label("Name or reason (required for a day off)").fill("National mourning day")
            page.get_by_role("button", name="Save the official day").click()
            assert page.locator("#official-day-error").inner_text() == "A working day needs the weekday whose hours apply, such as Monday. Nothing was saved."
            assert page.get_by_label("Name or reason (required for a day off)").input_value() == "National mourning day"  # kept
            page.get_by_label("Day off", exact=True).check()
            page.get_by_role("button", name="Save the official day").click()
            page.wait_for_url(re.compile(r"/board/official-days\?done=added&count=1&reported=0"))
            assert "Saved: 1 day(s)." in page.locator("[role=status]").inner_text()
            row = page.locator(f"#day-CN-{day_off.isoformat()}")
            assert row.inner_text().split("\t")[:3] == [shown, "day off", "National mourning day"]
            photograph(page, artifacts, "official-days-en.png")
            only_from(page, live.url)

    browser.run(enter_the_day_off)

    live.call(services.planning.plan_and_notify())  # the run the change asked for (the job queue's, in production)
    after = live.call(offered_days(match_id))
    assert after and day_off not in after

    def the_match_moved(chromium: Any) -> None:
        with laptop(chromium) as page:
            sign_in_as_coordinator(page, live)
            page.goto(f"{live.url}/board?status=planned")
            offered = page.locator(f"#match-{match_id}").inner_text()
            assert shown not in offered and format_date(after[0], "EEE d MMM y", locale="en") in offered

    browser.run(the_match_moved)
