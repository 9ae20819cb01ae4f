"""The pages of a city, signed in as the e-mail-only Panjin contact: each calls the services with by=."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import icalendar
import pytest

from bot.domain import Actor, Attendance, Channel, MatchStatus
from bot.planner import parse_weekly_hours
from tests.web.support import HAMBURG_CONTACT, Programme, WebClient, confirmed_session, csrf_of


@pytest.fixture
async def wang(programme: Programme, client: WebClient) -> WebClient:
    """The browser of Wang Fang, Panjin's e-mail-only contact, signed in by the link of an e-mail."""
    await client.sign_in_with(await programme.services.sign_in.link_for(contact_id=programme.wang_fang))
    return client


def cell_classes(html: str, value: str) -> tuple[str, bool]:
    found = re.search(rf'<td(?: class="([^"]*)")?><input type="checkbox" name="cell" value="{value}" aria-label="[^"]*"( checked)?>', html)
    assert found, value
    return found.group(1) or "", bool(found.group(2))


async def test_the_hours_grid_is_in_panjin_time_with_hamburgs_hours_converted_and_the_overlap_marked(programme: Programme, wang: WebClient) -> None:
    services = programme.services
    await services.availability.set_hours(by=Actor.telegram(HAMBURG_CONTACT), text="Mon-Fri 09:00-17:00")
    await services.availability.set_hours(by=Actor.contact(programme.wang_fang), text="Mon-Fri 14:00-18:00")
    page = await wang.get(f"/hours?partner={programme.hamburg}")
    assert page.status_code == 200
    # Week of 22 March 2027: Hamburg is on UTC+1, Panjin on UTC+8, so Hamburg's 09:00-17:00 is 16:00-24:00 in Panjin.
    assert cell_classes(page.text, "0-31") == ("", True)  # Mon 15:30: only Panjin
    assert cell_classes(page.text, "0-32") == ("p o", True)  # Mon 16:00: both, the overlap
    assert cell_classes(page.text, "0-36") == ("p", False)  # Mon 18:00: only Hamburg
    assert cell_classes(page.text, "0-47") == ("p", False)  # Mon 23:30, Hamburg's 16:30
    assert cell_classes(page.text, "5-32") == ("", False)  # Saturday: neither
    assert "With Hamburg (Europe/Berlin) you overlap Mon-Fri 16:00-18:00 your time." in page.text
    # A week later Hamburg is on summer time (UTC+2): its 09:00 is Panjin's 15:00.
    programme.clock.set(datetime(2027, 3, 29, 8, tzinfo=timezone.utc))
    page = await wang.get(f"/hours?partner={programme.hamburg}")
    assert cell_classes(page.text, "0-29") == ("", True)  # Mon 14:30: only Panjin
    assert cell_classes(page.text, "0-30") == ("p o", True)  # Mon 15:00: now both
    assert cell_classes(page.text, "0-46") == ("", False)  # Mon 23:00 is Hamburg's 17:00: closed
    assert "you overlap Mon-Fri 15:00-18:00 your time" in page.text


async def test_the_grid_writes_the_same_weekly_rules_as_hours_in_the_chat(programme: Programme, wang: WebClient) -> None:
    cells = [f"{day}-{slot}" for day in range(5) for slot in [*range(18, 24), *range(28, 35)]]  # 09:00-12:00, 14:00-17:30
    page = await wang.get("/hours")
    answer = await wang.http.post("/hours", data={"csrf": csrf_of(page.text), "cell": cells})
    assert answer.status_code == 303
    view = await programme.services.availability.hours(by=Actor.contact(programme.wang_fang))
    assert view.text == "Mon-Fri 09:00-12:00, 14:00-17:30"
    assert view.windows == parse_weekly_hours("Mon-Fri 09:00-12:00, 14:00-17:30")
    saved = await wang.get("/hours")
    assert cell_classes(saved.text, "4-34")[1] and not cell_classes(saved.text, "4-35")[1]


async def test_a_forged_cell_is_refused_and_nothing_is_saved(programme: Programme, wang: WebClient) -> None:
    page = await wang.get("/hours")
    answer = await wang.http.post("/hours", data={"csrf": csrf_of(page.text), "cell": ["0-18", "7-1"]})
    assert answer.status_code == 400
    assert (await programme.services.availability.hours(by=Actor.contact(programme.wang_fang))).windows == ()


async def test_typed_hours_are_saved_and_a_mistake_is_explained_without_saving(programme: Programme, wang: WebClient) -> None:
    assert (await wang.post("/hours/text", {"hours": "Mon-Fri 09:15-11:45"}, form_page="/hours")).status_code == 303
    page = await wang.get("/hours")
    assert "saving the grid rounds them to half hours" in page.text  # 09:15 is between the half hours
    wrong = await wang.post("/hours/text", {"hours": "Mon-Fri 25:00-26:00"}, form_page="/hours")
    assert wrong.status_code == 400 and "I could not read these hours" in wrong.text
    assert (await programme.services.availability.hours(by=Actor.contact(programme.wang_fang))).text == "Mon-Fri 09:15-11:45"


async def test_topics_with_notes_are_saved_and_make_matches_announced_by_e_mail(programme: Programme, wang: WebClient) -> None:
    services = programme.services
    topics = {c.topic.key: c.topic.id for c in (await services.interests.overview(by=Actor.contact(programme.wang_fang))).choices}
    await services.interests.choose(by=Actor.telegram(HAMBURG_CONTACT), city_id=programme.hamburg, topic_id=topics["wetlands"], chosen=True)
    answer = await wang.post("/topics", {"topic": [str(topics["wetlands"]), str(topics["tourism"])],
                                         f"note-{topics['wetlands']}": "We run a 1,200 km² wetland reserve", "note-9999": "ignored"})
    assert answer.status_code == 303 and answer.headers["location"] == "/topics?saved=1&new=1"
    view = await services.interests.overview(by=Actor.contact(programme.wang_fang))
    assert {(c.topic.key, c.note) for c in view.choices if c.chosen} == {("wetlands", "We run a 1,200 km² wetland reserve"), ("tourism", None)}
    async with services.uow_factory() as uow:
        [match] = await uow.matches.of_city(programme.panjin)
        notices = [(m.kind, m.channel, m.contact_id) for m in await uow.outbox.list()]
    assert match.status is MatchStatus.OPEN
    assert ("match_notice", Channel.EMAIL, programme.wang_fang) in notices
    # Unticking withdraws the interest: the match ends, as a tap in the chat would.
    assert (await wang.post("/topics", {"topic": [str(topics["tourism"])]})).status_code == 303
    async with services.uow_factory() as uow:
        assert (await uow.matches.get(match.id)).status is MatchStatus.CANCELLED


async def test_a_note_no_database_can_keep_is_refused_clearly_and_nothing_is_saved(programme: Programme, wang: WebClient) -> None:
    services = programme.services
    topics = {c.topic.key: c.topic.id for c in (await services.interests.overview(by=Actor.contact(programme.wang_fang))).choices}
    for note in ("wet\x00lands", "\x00"):
        answer = await wang.post("/topics", {"topic": [str(topics["wetlands"])], f"note-{topics['wetlands']}": note})
        assert answer.status_code == 400 and "cannot be saved" in answer.text
    view = await services.interests.overview(by=Actor.contact(programme.wang_fang))
    assert not any(c.chosen for c in view.choices)


async def test_a_tap_on_the_calendar_takes_a_day_away_and_another_gives_it_back(programme: Programme, wang: WebClient) -> None:
    page = await wang.get("/away")
    assert page.status_code == 200 and 'value="2027-04-05"' in page.text and 'class="holiday"' in page.text  # Qingming
    assert (await wang.post("/away", {"day": "2027-04-06"})).status_code == 303
    assert (await programme.services.availability.days_away(by=Actor.contact(programme.wang_fang))).days == (date(2027, 4, 6),)
    assert 'value="2027-04-06" id="d2027-04-06" aria-pressed="true"' in (await wang.get("/away")).text
    assert (await wang.post("/away", {"day": "2027-04-06"})).status_code == 303
    assert (await programme.services.availability.days_away(by=Actor.contact(programme.wang_fang))).days == ()
    past = await wang.post("/away", {"day": "2027-03-01"})
    assert past.status_code == 400 and "in the past" in past.text


async def test_a_partner_is_declined_after_a_second_step_and_the_other_city_is_told(programme: Programme, wang: WebClient) -> None:
    services = programme.services
    match_id, _ = await confirmed_session(programme)
    async with services.uow_factory() as uow:  # a second partner, still open: Lisbon on tourism
        topic = await uow.topics.by_key("tourism")
    await services.interests.choose(by=Actor.telegram(4001), city_id=programme.lisbon, topic_id=topic.id, chosen=True)
    view = await services.interests.choose(by=Actor.contact(programme.wang_fang), city_id=programme.panjin, topic_id=topic.id, chosen=True)
    [lisbon_match] = view.new_matches
    listing = await wang.get("/matches")
    assert "Hamburg (DE)" in listing.text and "Lisbon (PT)" in listing.text and f"/matches/{lisbon_match.id}/decline" in listing.text
    ask = await wang.get(f"/matches/{lisbon_match.id}/decline")
    assert ask.status_code == 200 and "Decline the meeting with Lisbon?" in ask.text
    answer = await wang.post(f"/matches/{lisbon_match.id}/decline", form_page=f"/matches/{lisbon_match.id}/decline")
    assert answer.status_code == 303
    async with services.uow_factory() as uow:
        assert (await uow.matches.get(lisbon_match.id)).status is MatchStatus.DECLINED
        assert (await uow.matches.get(match_id)).status is MatchStatus.CONFIRMED
        told = [m for m in await uow.outbox.list() if m.kind == "match_ended"]
    assert [m.contact_id for m in told] == [programme.lisbon_contact]
    again = await wang.post(f"/matches/{lisbon_match.id}/decline", form_page="/matches")
    assert again.status_code == 409 and "ended already" in again.text  # a double tap changes nothing


async def test_sessions_show_the_link_both_local_times_the_calendar_file_and_take_the_answer(programme: Programme, wang: WebClient) -> None:
    _, session_id = await confirmed_session(programme)
    page = await wang.get("/sessions")
    assert page.status_code == 200 and "https://meet.jit.si/" in page.text
    assert re.search(r"\d\d:\d\d Panjin \(UTC\+8\) · \d\d:\d\d Hamburg \(UTC\+[12]\)", page.text)
    ics = await wang.get(f"/sessions/{session_id}.ics")
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(ics.content)
    assert calendar.walk("VEVENT")[0]["SUMMARY"]
    assert (await wang.post(f"/sessions/{session_id}/attend", {"attend": "yes"}, form_page="/sessions")).status_code == 303
    async with programme.services.uow_factory() as uow:
        answers = {c.id: a for c, a in await uow.sessions.participants(session_id)}
    assert answers[programme.wang_fang] is Attendance.YES
    assert "aria-pressed=\"true\">✅" in (await wang.get("/sessions")).text


async def test_the_report_is_offered_once_the_session_has_begun_and_kept_for_the_roadmap(programme: Programme, wang: WebClient) -> None:
    match_id, session_id = await confirmed_session(programme)
    assert "How did it go?" not in (await wang.get("/sessions")).text  # not offered before the session
    async with programme.services.uow_factory() as uow:
        session = await uow.sessions.get(session_id)
    programme.clock.set(session.end_utc + timedelta(hours=1))
    page = await wang.get("/sessions")
    assert "How did it go?" in page.text
    answer = await wang.post(f"/sessions/{session_id}/report", {"took_place": "yes", "next_steps": "Study visit in May"}, form_page="/sessions")
    assert answer.status_code == 303
    async with programme.services.uow_factory() as uow:
        [entry] = await uow.roadmap.list()
    assert (entry.match_id, entry.took_place, entry.next_steps, entry.city_id) == (match_id, True, "Study visit in May", programme.panjin)


async def test_my_data_shows_what_is_kept_changes_the_language_and_forgets_me(programme: Programme, wang: WebClient) -> None:
    page = await wang.get("/me")
    assert "wang.fang@panjin.example.cn" in page.text
    assert (await wang.get("/me/data.json")).json()["contact"]["email"] == "wang.fang@panjin.example.cn"
    assert (await wang.post("/me/language", {"language": "zh"}, form_page="/me")).status_code == 303
    assert "我的数据" in (await wang.get("/me")).text
    assert (await wang.post("/me/forget", {}, form_page="/me")).headers["location"] == "/me?done=unconfirmed"
    gone = await wang.post("/me/forget", {"confirm": "yes"}, form_page="/me")
    assert gone.status_code == 200
    async with programme.services.uow_factory() as uow:
        assert await uow.contacts.get(programme.wang_fang) is None
    assert (await wang.get("/hours")).headers["location"] == "/sign-in?next=/hours"  # the session ended with the person


async def test_the_hours_page_lists_the_official_days_ahead_as_the_chats_hours_does(programme: Programme, wang: WebClient) -> None:
    """Entered days of the city and of the partners it overlaps with, within the planning horizon."""
    from handlers.hours import hours_text
    from tests.web.support import COORDINATOR

    services, coordinator = programme.services, Actor.telegram(COORDINATOR)
    await services.availability.set_hours(by=Actor.telegram(HAMBURG_CONTACT), text="Mon-Fri 09:00-17:00")
    await services.availability.set_hours(by=Actor.contact(programme.wang_fang), text="Mon-Fri 14:00-18:00")
    for line in ("CN 2027-03-31 off National mourning day", "DE 2027-04-03 work Mon Make-up working day",
                 "DE-BY 2027-04-06 off Only Bavaria",  # not Hamburg's region
                 "PT 2027-03-30 off Lisbon has no hours, so no overlap", "CN 2027-05-20 off Beyond the horizon"):
        await services.official_days.add(line, by=coordinator)

    page = await wang.get("/hours")
    items = [" ".join(re.sub(r"<[^>]+>", "", item).split()) for item in re.findall(r'<ul class="official-days">(.*?)</ul>', page.text, re.S)[0].split("<li>")[1:]]
    assert "Official days ahead, entered by the coordinators" in page.text
    assert items == ["Wed 31 Mar 2027, Panjin: day off – National mourning day", "Sat 3 Apr 2027, Hamburg: working day with Mon&#39;s hours"]
    chat = hours_text(await services.availability.hours(by=Actor.contact(programme.wang_fang)), "en").splitlines()
    assert chat[-3:] == ["Official days ahead, entered by the coordinators:", "2027-03-31, Panjin: day off – National mourning day",
                         "2027-04-03, Hamburg: working day with Mon's hours"]  # the same days, as the chat writes them
    await services.official_days.remove("CN 2027-03-31 remove", by=coordinator)
    await services.official_days.remove("DE 2027-04-03 remove", by=coordinator)
    assert "official-days" not in (await wang.get("/hours")).text
