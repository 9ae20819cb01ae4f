"""The board is for coordinators only: contacts, colleagues and strangers are refused on every page and action.

Checked where it is decided, in the services (each call names its actor), and through the pages,
on SQLite and PostgreSQL; nothing changes when a refused action is tried.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import pytest

from bot.domain import Actor, PermissionDeniedError
from bot.services.board import MatchFilter
from bot.services.official_days import DayEntry
from tests.web.support import COORDINATOR, HAMBURG_CONTACT, STRANGER, Programme, WebClient, confirmed_session, csrf_of
from tests.web.test_permissions import sign_in, snapshot

# Every GET page of the board, and every POST action with a plausible form ({match} / {session}: real ids).
BOARD_PAGES = ["/board", "/board/sessions/{session}/move", "/board/matrix", "/board/cities", "/board/cities/{city}", "/board/calendar",
               "/board/official-days", "/board/roadmap", "/board/roadmap.csv", "/board/exports", "/board/exports/schedule.csv"]
BOARD_ACTIONS = {
    "/board/matches/{match}/confirm": {"start": "2027-03-30T08:00:00+00:00"},
    "/board/matches/{match}/end": {},
    "/board/sessions/{session}/move": {"start": "2027-03-30T08:00:00+00:00", "sequence": "0"},
    "/board/sessions/{session}/cancel": {"reason": "forged"},
    "/board/cities": {"name": "Forged", "country": "CN", "timezone": "Asia/Shanghai", "group": "China"},
    "/board/cities/import": {"file": "name,country,timezone,group\nForged,CN,Asia/Shanghai,China"},
    "/board/cities/{city}": {"name": "Forged", "country": "CN", "timezone": "Asia/Shanghai", "group": "China"},
    "/board/cities/{city}/invite": {},
    "/board/cities/{city}/email": {"name": "X", "email": "x@example.org"},
    "/board/official-days": {"country": "CN", "subdivision": "", "first": "2027-03-31", "last": "", "kind": "off", "weekday": "", "name": "Forged"},
    "/board/official-days/remove": {"country": "CN", "subdivision": "", "day": "2027-04-10"},  # entered below, so a removal would change something
    "/board/official-days/import": {"file": "country,date,kind,weekday,name\nCN,2027-04-01,off,,Forged"},
    "/board/exports/calendar": {},
    "/board/exports/calendar/revoke": {},
}


async def board_programme(programme: Programme) -> tuple[int, int]:
    """A confirmed session, and an official working day a forged removal would remove: (match id, session id)."""
    ids = await confirmed_session(programme)
    await programme.services.official_days.add("CN 2027-04-10 work Mon", by=Actor.telegram(COORDINATOR))
    return ids


def service_calls(programme: Programme, match_id: int, session_id: int) -> dict[str, Callable[[Actor], Awaitable[Any]]]:
    """Every service call behind a board page or action, for an actor."""
    s = programme.services
    start = programme.clock.now()
    return {
        "board.matches": lambda by: s.board.matches(by=by, filter=MatchFilter(status=None)),
        "board.matrix": lambda by: s.board.matrix(by=by),
        "board.cities": lambda by: s.board.cities(by=by),
        "board.city": lambda by: s.board.city(by=by, city_id=programme.panjin),
        "board.week": lambda by: s.board.week(by=by, day=date(2027, 3, 29)),
        "board.roadmap": lambda by: s.board.roadmap(by=by),
        "board.roadmap_page": lambda by: s.board.roadmap_page(by=by),
        "board.roadmap_csv": lambda by: s.board.roadmap_csv(by=by, language="en"),
        "board.schedule_csv": lambda by: s.board.schedule_csv(by=by, language="en"),
        "board.new_calendar_feed": lambda by: s.board.new_calendar_feed(by=by),
        "board.revoke_calendar_feed": lambda by: s.board.revoke_calendar_feed(by=by),
        "board.calendar_feed_since": lambda by: s.board.calendar_feed_since(by=by),
        "matching.end": lambda by: s.matching.end(by=by, match_id=match_id),
        "sessions.confirm": lambda by: s.sessions.confirm(match_id, start, by=by),
        "sessions.reschedule_options": lambda by: s.sessions.reschedule_options(session_id, by=by),
        "sessions.reschedule": lambda by: s.sessions.reschedule(session_id, start, by=by, expected_sequence=0),
        "sessions.cancel": lambda by: s.sessions.cancel(session_id, "forged", by=by),
        "cities.update": lambda by: s.cities.update(by=by, city_id=programme.panjin, name="Forged", country="CN", timezone="Asia/Shanghai", group="China"),
        "cities.add": lambda by: s.cities.add(by=by, name="Forged", country="CN", timezone="Asia/Shanghai", group="China"),
        "cities.import_csv": lambda by: s.cities.import_csv("name,country,timezone,group\nForged,CN,Asia/Shanghai,China\n", by=by),
        "cities.add_email_contact": lambda by: s.cities.add_email_contact(by=by, city_name="Panjin", name="X", email="x@example.org"),
        "onboarding.contact_link": lambda by: s.onboarding.contact_link(by=by, city_name="Panjin"),
        "official_days.list": lambda by: s.official_days.list(by=by),
        "official_days.add": lambda by: s.official_days.add(DayEntry("CN", "2027-03-31", "off", name="Forged"), by=by),
        "official_days.add (chat)": lambda by: s.official_days.add("CN 2027-03-31 off Forged", by=by),
        "official_days.remove": lambda by: s.official_days.remove(DayEntry("CN", "2027-04-10", "remove"), by=by),
        "official_days.import_file": lambda by: s.official_days.import_file(b"country,date,kind,weekday,name\nCN,2027-04-01,off,,Forged\n", "days.csv", by=by),
        "official_days.import_file (bad file)": lambda by: s.official_days.import_file(b"not a calendar", "days.ics", by=by, country="CN"),
    }


@pytest.mark.parametrize("who", ["contact on Telegram", "contact by e-mail", "stranger"])
async def test_every_service_behind_the_board_refuses_contacts_and_strangers(programme: Programme, who: str) -> None:
    match_id, session_id = await board_programme(programme)
    actor = {"contact on Telegram": Actor.telegram(HAMBURG_CONTACT), "contact by e-mail": Actor.contact(programme.wang_fang),
             "stranger": Actor.telegram(STRANGER)}[who]
    before = await snapshot(programme)
    for name, call in service_calls(programme, match_id, session_id).items():
        with pytest.raises(PermissionDeniedError):
            await call(actor)
        assert await snapshot(programme) == before, name


async def test_a_contact_signed_in_is_refused_every_board_page_and_action(programme: Programme, client: WebClient) -> None:
    match_id, session_id = await board_programme(programme)
    await sign_in(programme, client, programme.wang_fang)
    before = await snapshot(programme)
    for path in BOARD_PAGES:
        answer = await client.get(path.format(match=match_id, session=session_id, city=programme.panjin))
        assert answer.status_code == 403 and "That did not work" in answer.text, path
    for path, data in BOARD_ACTIONS.items():
        url = path.format(match=match_id, session=session_id, city=programme.panjin)
        if "file" in data:  # an upload, as the browser sends it
            token = csrf_of((await client.get("/matches")).text)
            answer = await client.http.post(url, data={"csrf": token}, files={"file": ("upload.csv", f"{data['file']}\n".encode())})
        else:
            answer = await client.post(url, data, form_page="/matches")
        assert answer.status_code == 403, path
    assert await snapshot(programme) == before


async def test_a_stranger_is_sent_to_sign_in_from_every_board_page_and_action(programme: Programme, client: WebClient) -> None:
    match_id, session_id = await board_programme(programme)
    before = await snapshot(programme)
    for path in BOARD_PAGES:
        answer = await client.get(path.format(match=match_id, session=session_id, city=programme.panjin))
        assert answer.status_code == 303 and answer.headers["location"].startswith("/sign-in"), path
    token = (await client.get("/sign-in")).text.split('name="csrf" value="')[1].split('"')[0]
    for path, data in BOARD_ACTIONS.items():
        answer = await client.http.post(path.format(match=match_id, session=session_id, city=programme.panjin), data={"csrf": token, **data})
        assert answer.status_code == 303 and answer.headers["location"].startswith("/sign-in"), path
    assert await snapshot(programme) == before
