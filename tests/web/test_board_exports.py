"""The board's calendar week, roadmap and exports: the schedule as CSV and a subscribable calendar URL
(a secret token stored as a hash, revocable), read as a calendar app reads it, with icalendar."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar

from bot.domain import Actor
from tests.web.support import COORDINATOR, OTHER_COORDINATOR, Programme, WebClient, confirmed_session, sign_in_by_mini_app


async def session_start(programme: Programme, session_id: int):  # type: ignore[no-untyped-def]
    async with programme.services.uow_factory() as uow:
        session = await uow.sessions.get(session_id)
    assert session is not None
    return session.start_utc


async def test_the_week_shows_each_session_in_the_coordinators_zone_and_both_cities_with_holidays_and_days_away(programme: Programme, client: WebClient) -> None:
    _, session_id = await confirmed_session(programme)
    start = await session_start(programme, session_id)
    day = start.astimezone(ZoneInfo("Europe/Brussels")).date()
    away = day + timedelta(days=1) if day.weekday() < 6 else day - timedelta(days=1)
    async with programme.services.uow_factory() as uow:
        await uow.cities.add_days_away(programme.hamburg, [away])
        await uow.commit()
    await sign_in_by_mini_app(client, COORDINATOR, now=programme.clock.now())
    page = await client.get(f"/board/calendar?week={day.isoformat()}")
    assert page.status_code == 200
    column = re.search(rf'<section class="day[^"]*" id="day-{day.isoformat()}">.*?</section>', page.text, re.S)
    assert column and f'id="session-{session_id}"' in column.group(0)
    shown = column.group(0)
    assert "Panjin" in shown and "Hamburg" in shown and "(UTC+8)" in shown and "Europe/Brussels" not in shown
    assert re.search(rf'id="day-{away.isoformat()}">.*?Hamburg is away', page.text, re.S)
    # The session is in the week after Easter 2027: Easter Monday (29 March) is a public holiday in Germany, not in China.
    assert "2027-03-29" <= day.isoformat() <= "2027-04-04"
    monday = re.search(r'id="day-2027-03-29">.*?</section>', page.text, re.S)
    assert monday and "Holiday in Hamburg: Easter Monday" in monday.group(0) and "Holiday in Panjin" not in monday.group(0)
    other = await client.get(f"/board/calendar?week={(day + timedelta(days=14)).isoformat()}")
    assert f'id="session-{session_id}"' not in other.text


async def test_the_roadmap_table_and_its_csv_show_what_each_city_said(programme: Programme, client: WebClient) -> None:
    _, session_id = await confirmed_session(programme)
    start = await session_start(programme, session_id)
    programme.clock.set(start + timedelta(hours=2))
    await programme.services.sessions.record_outcome(session_id, True, by=Actor.contact(programme.wang_fang), next_steps="Exchange wetland monitoring data")
    await sign_in_by_mini_app(client, COORDINATOR, now=programme.clock.now())
    page = await client.get("/board/roadmap")
    row = re.search(rf'<tr id="session-{session_id}">.*?</tr>', page.text, re.S)
    assert row and "Exchange wetland monitoring data" in row.group(0) and "no report yet" in row.group(0)  # Hamburg has not reported
    answer = await client.get("/board/roadmap.csv")
    assert answer.headers["content-type"].startswith("text/csv") and answer.content.startswith(b"\xef\xbb\xbf")
    lines = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert [(r["city"], r["took_place"], r["next_steps"]) for r in lines] == [("Panjin", "yes", "Exchange wetland monitoring data"), ("Hamburg", "", "")]


async def test_the_schedule_csv_and_a_subscribed_calendar_that_follows_the_programme_until_revoked(
    programme: Programme, client: WebClient, other_client: WebClient
) -> None:
    _, session_id = await confirmed_session(programme)
    await sign_in_by_mini_app(client, COORDINATOR, now=programme.clock.now())
    schedule = await client.get("/board/exports/schedule.csv")
    [row] = list(csv.DictReader(io.StringIO(schedule.content.decode("utf-8-sig"))))
    assert {row["city_a"], row["city_b"]} == {"Panjin", "Hamburg"} and row["status"] == "confirmed"
    made = await client.post("/board/exports/calendar", {}, form_page="/board/exports")
    url = re.search(r'<code class="secret" id="feed-url">([^<]+)</code>', made.text)
    assert made.status_code == 200 and url
    path = url.group(1).removeprefix("http://127.0.0.1:8080")
    token = path.removeprefix("/calendar/").removesuffix(".ics")
    async with programme.services.uow_factory() as uow:  # only the hash is kept
        assert await uow.calendar_feeds.owner(hashlib.sha256(token.encode()).hexdigest()) == COORDINATOR
        assert await uow.calendar_feeds.owner(token) is None
    calendar_app = other_client  # no cookie: a calendar app
    feed = await calendar_app.get(path)
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    [event] = Calendar.from_ical(feed.content).walk("VEVENT")
    async with programme.services.uow_factory() as uow:
        session = await uow.sessions.get(session_id)
    assert session is not None and str(event["UID"]) == session.ical_uid
    assert event.decoded("DTSTART").astimezone(ZoneInfo("UTC")) == session.start_utc
    # A new address stops the old one; revoking stops the new one.
    await client.post("/board/exports/calendar", {}, form_page="/board/exports")
    assert (await calendar_app.get(path)).status_code == 403
    assert (await calendar_app.get("/calendar/" + "x" * 43 + ".ics")).status_code == 403
    assert (await client.post("/board/exports/calendar/revoke", {}, form_page="/board/exports")).status_code == 303
    async with programme.services.uow_factory() as uow:
        assert await uow.calendar_feeds.live_since(COORDINATOR) is None
    # A URL of someone who is no longer a coordinator stops too.
    token = await programme.services.board.new_calendar_feed(by=Actor.telegram(OTHER_COORDINATOR))
    assert (await calendar_app.get(f"/calendar/{token}.ics")).status_code == 200
    from dataclasses import replace

    config = programme.services.config
    programme.services.config = replace(config, programme=replace(config.programme, coordinators=config.programme.coordinators[:1]))
    assert (await calendar_app.get(f"/calendar/{token}.ics")).status_code == 403
