"""Every page and action is refused to people of another city and to strangers, by the services' by= checks.

The pages address nothing of another city by itself (no city id in any form), so what another city's
contact can try is what the URLs name: a match, a session. Strangers have no session at all (a
Telegram stranger cannot sign in: test_sign_in.py), or one of a person forgotten meanwhile.
"""

from __future__ import annotations

import pytest

from bot.domain import Actor, Attendance, MatchStatus, Role, SessionStatus
from tests.web.support import LISBON_CONTACT, Programme, WebClient, confirmed_session, csrf_of

PAGES = ["/", "/hours", "/topics", "/away", "/matches", "/sessions", "/me", "/me/data.json", "/matches/1/decline", "/sessions/1.ics"]
ACTIONS = {
    "/hours": {"cell": "0-18"}, "/hours/text": {"hours": "Mon 09:00-10:00"}, "/topics": {"topic": "1"},
    "/away": {"day": "2027-04-06"}, "/matches/1/accept": {}, "/matches/1/decline": {},
    "/sessions/1/attend": {"attend": "yes"}, "/sessions/1/report": {"took_place": "yes", "next_steps": "x"},
    "/me/language": {"language": "de"}, "/me/forget": {"confirm": "yes"},
}


async def sign_in(programme: Programme, client: WebClient, contact_id: int) -> None:
    answer = await client.sign_in_with(await programme.services.sign_in.link_for(contact_id=contact_id))
    assert answer.status_code == 303


async def snapshot(programme: Programme) -> tuple[object, ...]:
    """Everything a page could change, to compare before and after."""
    async with programme.services.uow_factory() as uow:
        cities = await uow.cities.list()
        return (
            [(c.id, await uow.cities.weekly_hours(c.id), await uow.cities.days_away(c.id), await uow.interests.of_city(c.id)) for c in cities],
            [(m.id, m.status) for c in cities for m in await uow.matches.of_city(c.id)],
            [await uow.sessions.participants(v.session.id) for v in await uow.sessions.views(statuses=[SessionStatus.CONFIRMED])],
            await uow.roadmap.list(),
            [(c.id, c.language) for c in cities for c in await uow.contacts.of_city(c.id)],
            await uow.day_overrides.list(),
        )


async def test_a_stranger_without_a_session_is_sent_to_sign_in_and_changes_nothing(programme: Programme, client: WebClient) -> None:
    await confirmed_session(programme)
    before = await snapshot(programme)
    for path in PAGES:
        answer = await client.get(path)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/sign-in"), path
    token = csrf_of((await client.get("/sign-in")).text)  # a stranger's own, valid token
    for path, data in ACTIONS.items():
        answer = await client.http.post(path, data={"csrf": token, **data})
        assert answer.status_code == 303 and answer.headers["location"].startswith("/sign-in"), path
    assert await snapshot(programme) == before


async def test_a_forgotten_persons_session_signs_in_nobody(programme: Programme, client: WebClient) -> None:
    await sign_in(programme, client, programme.hamburg_contact)
    await programme.services.people.forget(by=Actor.telegram(3001))
    for path in PAGES:
        assert (await client.get(path)).status_code == 303, path


async def test_another_citys_contact_cannot_answer_for_panjins_match_or_session(programme: Programme, client: WebClient) -> None:
    match_id, session_id = await confirmed_session(programme)
    await sign_in(programme, client, programme.lisbon_contact)
    before = await snapshot(programme)
    refused = {
        f"/matches/{match_id}/accept": {},
        f"/matches/{match_id}/decline": {},
        f"/sessions/{session_id}/attend": {"attend": "no"},
        f"/sessions/{session_id}/report": {"took_place": "no", "next_steps": "forged"},
    }
    for path, data in refused.items():
        answer = await client.post(path, data, form_page="/matches")
        assert answer.status_code == 403, (path, answer.status_code)
    assert (await client.get(f"/sessions/{session_id}.ics")).status_code == 403
    assert (await client.get(f"/matches/{match_id}/decline")).headers["location"] == "/matches"  # not offered
    main = [(await client.get(path)).text.split('<main id="main">')[1] for path in ("/matches", "/sessions")]
    assert all("Panjin" not in html for html in main)  # Lisbon sees its own matches and sessions only
    assert await snapshot(programme) == before


async def test_another_citys_contact_changes_only_its_own_city(programme: Programme, client: WebClient) -> None:
    await sign_in(programme, client, programme.lisbon_contact)
    assert (await client.post("/hours/text", {"hours": "Mon 09:00-10:00"}, form_page="/hours")).status_code == 303
    assert (await client.post("/away", {"day": "2027-04-06"}, form_page="/away")).status_code == 303
    async with programme.services.uow_factory() as uow:
        assert await uow.cities.weekly_hours(programme.panjin) == ()
        assert await uow.cities.days_away(programme.panjin) == []
        assert await uow.cities.weekly_hours(programme.lisbon) != ()


async def test_a_colleague_sees_the_sessions_but_may_not_change_the_citys_hours_topics_or_days(programme: Programme, client: WebClient) -> None:
    services = programme.services
    async with services.uow_factory() as uow:
        colleague = await uow.contacts.add(display_name="Zhang Min", role=Role.PARTICIPANT, language="zh", now_utc=services.clock.now(),
                                           city_id=programme.panjin, email="zhang.min@panjin.example.cn")
        await uow.commit()
    match_id, session_id = await confirmed_session(programme)
    await sign_in(programme, client, colleague.id)
    before = await snapshot(programme)
    for path in ["/hours", "/topics", "/away"]:
        assert (await client.get(path)).status_code == 403, path
    for path, data in {"/hours/text": {"hours": "Mon 09:00-10:00"}, "/away": {"day": "2027-04-06"},
                       f"/matches/{match_id}/decline": {}, f"/sessions/{session_id}/report": {"took_place": "yes", "next_steps": "x"}}.items():
        assert (await client.post(path, data, form_page="/sessions")).status_code == 403, path
    assert await snapshot(programme) == before
    sessions = await client.get("/sessions")
    assert sessions.status_code == 200 and "How did it go?" not in sessions.text
    assert (await client.post(f"/sessions/{session_id}/attend", {"attend": "yes"}, form_page="/sessions")).status_code == 303
    async with services.uow_factory() as uow:
        assert dict((c.id, a) for c, a in await uow.sessions.participants(session_id))[colleague.id] is Attendance.YES


@pytest.mark.parametrize("path", ["/matches/999/decline", "/sessions/999/attend", "/sessions/999/report"])
async def test_a_match_or_session_that_does_not_exist_is_a_clear_answer(programme: Programme, client: WebClient, path: str) -> None:
    await sign_in(programme, client, programme.wang_fang)
    answer = await client.post(path, {"attend": "yes", "took_place": "yes", "next_steps": "x"}, form_page="/matches")
    assert answer.status_code in (403, 404)
    assert "That did not work" in answer.text
    async with programme.services.uow_factory() as uow:
        assert all(m.status is not MatchStatus.DECLINED for m in await uow.matches.of_city(programme.panjin))


async def test_lisbon_contact_exists_for_these_tests(programme: Programme) -> None:
    person = await programme.services.sign_in.visitor(by=Actor.telegram(LISBON_CONTACT))
    assert person is not None and person.city is not None and person.city.name == "Lisbon"
