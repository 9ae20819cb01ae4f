"""The board's official days: enter, list and remove days off and working days, upload a file.

Each action calls the service behind the chat's /holiday (and behind ``tandem holidays import``),
so a day off entered on the board re-plans and reports exactly as the chat's command: shown with the
service tests' scenario (the demo programme, a confirmed Panjin session, a new day off on its date).
On SQLite and PostgreSQL.
"""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

import httpx

from bot.domain import Actor, DayOverrideKind, MatchStatus, NoticeKind
from handlers.jobs import PLANNING_JOB
from storage.uow import UnitOfWorkFactory
from tandem.demo.scenario import load_scenario
from tests.services.test_official_days import COORDINATOR as SCENARIO_COORDINATOR
from tests.services.test_official_days import ICS, panjin_proposal_days, rendered
from tests.services.test_planning_and_sessions import SECOND_COORDINATOR, programme_services
from tests.web.support import COORDINATOR, Programme, WebClient, csrf_of, sign_in_by_mini_app, web_config
from web.app import create_app

PAGE = "/board/official-days"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def form(**values: str) -> dict[str, str]:
    """The add form as a browser posts it: every field, empty unless given."""
    fields = {"country": "", "subdivision": "", "first": "", "last": "", "kind": "off", "weekday": "", "name": ""}
    return {**fields, **values}


async def entered(programme: Programme) -> list[tuple[str, str | None, date, DayOverrideKind, int | None, str, str | None]]:
    async with programme.services.uow_factory() as uow:
        return [(o.country, o.subdivision, o.day, o.kind, o.works_as_weekday, o.name, o.added_by) for o in await uow.day_overrides.list()]


def rows(page: str) -> list[str]:
    """The listed days, one text per row (tags dropped, spaces squeezed)."""
    body = page.split("<tbody>", 1)[1] if "<tbody>" in page else ""
    found = re.findall(r"<tr id=\"day-[^\"]+\">(.*?)</tr>", page, re.S) if body else []
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", row)).split()) for row in found]


def value_of(page: str, field_id: str) -> str:
    found = re.search(rf'id="{field_id}"[^>]*value="([^"]*)"', page)
    assert found, field_id
    return html.unescape(found.group(1))


async def test_a_coordinator_enters_lists_and_removes_official_days(programme: Programme, client: WebClient) -> None:
    await sign_in_by_mini_app(client, COORDINATOR, now=programme.clock.now())
    empty = await client.get(PAGE)
    assert empty.status_code == 200 and "No official days are entered yet." in empty.text
    assert f'href="{PAGE}" aria-current="page"' in empty.text  # in the board's navigation

    added = await client.post(PAGE, form(country="cn", first="2027-03-31", name="National mourning day"))
    assert added.status_code == 303 and added.headers["location"] == f"{PAGE}?done=added&count=1&reported=0#country-CN"
    work = await client.post(PAGE, form(country="CN", first="2027-04-10", last="2027-04-11", kind="work", weekday="fri", name="调休"), form_page=PAGE)
    assert work.status_code == 303 and "count=2" in work.headers["location"]
    await client.post(PAGE, form(country="DE", subdivision="by", first="2027-03-24", name="Landestrauertag"), form_page=PAGE)
    assert await entered(programme) == [
        ("CN", None, date(2027, 3, 31), DayOverrideKind.DAY_OFF, None, "National mourning day", "Coordinator"),
        ("CN", None, date(2027, 4, 10), DayOverrideKind.WORKING_DAY, 4, "调休", "Coordinator"),
        ("CN", None, date(2027, 4, 11), DayOverrideKind.WORKING_DAY, 4, "调休", "Coordinator"),
        ("DE", "BY", date(2027, 3, 24), DayOverrideKind.DAY_OFF, None, "Landestrauertag", "Coordinator"),
    ]

    page = await client.get(added.headers["location"])
    assert "Saved: 1 day(s). Planning takes them into account from now on." in page.text
    assert '<h2 id="country-CN">China (CN)</h2>' in page.text and '<h2 id="country-DE">Germany (DE)</h2>' in page.text
    listed = rows(page.text)
    assert listed[0].startswith("Wed 31 Mar 2027 day off National mourning day Coordinator Mon 22 Mar 2027, ")
    assert listed[1].startswith("Sat 10 Apr 2027 working day with Fri's hours 调休 Coordinator")
    assert listed[3].startswith("Wed 24 Mar 2027 · DE-BY day off Landestrauertag")

    removed = await client.post(f"{PAGE}/remove", {"country": "CN", "subdivision": "", "day": "2027-04-11"}, form_page=PAGE)
    assert removed.status_code == 303 and removed.headers["location"] == f"{PAGE}?done=removed&count=1&reported=0"
    await client.post(f"{PAGE}/remove", {"country": "DE", "subdivision": "BY", "day": "2027-03-24"}, form_page=PAGE)
    assert [(country, day) for country, _, day, *_ in await entered(programme)] == [("CN", date(2027, 3, 31)), ("CN", date(2027, 4, 10))]
    page = await client.get(removed.headers["location"])
    assert "Removed: 1 day(s)." in page.text and len(rows(page.text)) == 2 and "Germany" not in page.text

    german = await client.get(f"{PAGE}?lang=de")  # a coordinator reads in their own language; the chat's names
    assert german.status_code == 200


async def test_bad_input_re_shows_the_form_with_the_reason_and_what_was_typed(programme: Programme, client: WebClient) -> None:
    await sign_in_by_mini_app(client, COORDINATOR, now=programme.clock.now())
    cases = [
        (form(country="CN", first="2027-02-30", name="Kaputt"), '"2027-02-30" is not a date', "od-first", "2027-02-30"),
        (form(country="XX", first="2027-04-07", name="Somewhere"), 'The holiday calendar does not know "XX"', "od-country", "XX"),
        (form(country="CN", first="2027-04-10", kind="work", name="Make-up Saturday"),
         "A working day needs the weekday whose hours apply, such as Monday.", "od-name", "Make-up Saturday"),
        (form(country="CN", first="2027-04-07"), "Please give the name of the day off, or why it is one.", "od-first", "2027-04-07"),
        (form(country="CN", first="2027-04-10", last="2027-06-10", name="Too long"), "A range of days must run forward and span at most 31 days.", "od-last", "2027-06-10"),
    ]
    for data, reason, field, kept in cases:
        answer = await client.post(PAGE, data, form_page=PAGE)
        assert answer.status_code == 400, data
        text = html.unescape(answer.text)
        assert reason in text and "Nothing was saved." in text, (reason, re.findall(r'role="alert"[^>]*>(.*?)</p>', answer.text))
        assert value_of(answer.text, field) == kept
        assert value_of(answer.text, "od-name") == data["name"]
    kept_work = await client.post(PAGE, form(country="CN", first="2027-04-10", kind="work", name="x"), form_page=PAGE)
    assert 'value="work" checked' in kept_work.text  # the kind chosen stays chosen
    assert await entered(programme) == []
    gone = await client.post(f"{PAGE}/remove", {"country": "CN", "subdivision": "", "day": "2027-04-07"}, form_page=PAGE)
    assert gone.status_code == 400 and "There is no official day entered for CN on 2027-04-07" in gone.text


async def upload(client: WebClient, name: str, content: bytes, country: str = "") -> httpx.Response:
    token = csrf_of((await client.get(PAGE)).text)
    return await client.http.post(f"{PAGE}/import", data={"csrf": token, "country": country}, files={"file": (name, content)})


async def test_a_file_is_imported_as_the_command_line_imports_it_all_or_nothing(programme: Programme, client: WebClient) -> None:
    from tests.services.test_official_days import CSV_BAD, CSV_GOOD

    await sign_in_by_mini_app(client, COORDINATOR, now=programme.clock.now())
    refused = await upload(client, "days.csv", CSV_BAD.encode())
    assert refused.status_code == 400 and "Nothing was imported" in refused.text
    assert [line.split(":")[0] for line in re.findall(r"line \d+: [^\n<]+", html.unescape(refused.text))] == ["line 3", "line 4", "line 5", "line 6", "line 7"]
    assert await entered(programme) == []
    no_country = await upload(client, "cn-2027.ics", ICS)
    assert no_country.status_code == 400 and "An iCalendar file does not say whose days it lists" in no_country.text
    imported = await upload(client, "days.csv", CSV_GOOD.encode())
    assert imported.status_code == 303 and imported.headers["location"] == f"{PAGE}?done=imported&count=3&reported=0"
    feed = await upload(client, "cn-2027.ics", ICS, country="CN")
    assert feed.status_code == 303 and "count=9" in feed.headers["location"]
    days = await entered(programme)
    assert ("CN", None, date(2027, 2, 20), DayOverrideKind.WORKING_DAY, 0, "春节 补班", "file cn-2027.ics") in days
    assert ("DE", "BY", date(2027, 3, 24), DayOverrideKind.DAY_OFF, None, "Landestrauertag", "file days.csv") in days
    assert "file cn-2027.ics" in (await client.get(PAGE)).text


async def test_a_day_off_entered_on_the_board_re_plans_and_reports_as_the_chats_command_does(database_url: str, uow_factory: UnitOfWorkFactory) -> None:
    """tests/services/test_official_days.py's first test, with the day entered through the board's form."""
    services, ids = await programme_services(uow_factory, load_scenario())
    services.config = replace(web_config(database_url), programme=services.config.programme, scheduling=services.config.scheduling)
    await services.planning.plan_and_notify()
    pending = await services.sessions.pending(by=SCENARIO_COORDINATOR)
    with_panjin = [v for v in pending if ids["Panjin"] in v.match.city_ids]
    confirmed = await services.sessions.confirm(with_panjin[0].match.id, with_panjin[0].slots[0], by=SCENARIO_COORDINATOR)
    await services.planning.plan_and_notify()
    day_off = confirmed.session.start_utc.astimezone(SHANGHAI).date()
    assert day_off in await panjin_proposal_days(services, uow_factory, ids["Panjin"])
    for job in services.wakeups.job_queue.get_jobs_by_name(PLANNING_JOB):  # type: ignore[attr-defined]
        job.schedule_removal()  # the planning asked for so far ran above
    assert not services.wakeups.job_queue.get_jobs_by_name(PLANNING_JOB)  # type: ignore[attr-defined]

    client = WebClient(create_app(services.config, lambda: services, bot_token=services.config.telegram.token))
    try:
        await sign_in_by_mini_app(client, SCENARIO_COORDINATOR.telegram_user_id or 0, now=services.clock.now())
        answer = await client.post(PAGE, form(country="CN", first=day_off.isoformat(), name="National mourning day"))
        assert answer.status_code == 303 and "reported=1" in answer.headers["location"]
        page = await client.get(answer.headers["location"])
        assert "1 confirmed session(s) now fall on a day off; every coordinator is sent each with a one-tap move" in page.text
    finally:
        await client.aclose()

    async with uow_factory() as uow:
        [override] = await uow.day_overrides.list()
        reports = [m for m in await uow.outbox.list() if m.kind == NoticeKind.SESSION_ON_DAY_OFF.value]
    assert (override.day, override.kind, override.name, override.added_by) == (day_off, DayOverrideKind.DAY_OFF, "National mourning day", "Programme coordinator")
    assert len(reports) == len({m.contact_id for m in reports}) == 2  # each coordinator once
    payload = reports[0].payload
    assert payload["session_id"] == confirmed.session.id and payload["day"] == day_off.isoformat() and payload["name"] == "National mourning day"
    best = datetime.fromisoformat(str(payload["move_to"]))
    assert best.astimezone(SHANGHAI).date() != day_off
    assert (await rendered(services, reports[0])).text.startswith(f"{day_off.isoformat()} is now an official day off in Panjin (National mourning day)")

    assert services.wakeups.job_queue.get_jobs_by_name(PLANNING_JOB)  # type: ignore[attr-defined]  # the board asked for planning
    await services.planning.plan_and_notify()
    assert day_off not in await panjin_proposal_days(services, uow_factory, ids["Panjin"])
    moved = await services.sessions.reschedule(confirmed.session.id, best, by=Actor.telegram(SECOND_COORDINATOR), expected_sequence=int(str(payload["sequence"])))
    assert moved.session.start_utc == best
    async with uow_factory() as uow:
        assert [m for m in await uow.matches.with_status(MatchStatus.CONFIRMED) if m.id == confirmed.match.id]
