"""Official days off and working days entered by coordinators, on SQLite and PostgreSQL.

Adding a day off moves the planned sessions of that day (at the next planning run) and reports
the confirmed ones to the coordinators with a one-tap move; files import all or nothing.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.domain import Actor, DayOverrideKind, InvalidInputError, MatchStatus, NoticeKind, OutgoingMessage, PermissionDeniedError, SessionStatus
from bot.notices import RENDERERS, RenderContext
from bot.planner import parse_weekly_hours
from bot.ports import Notification
from bot.services import Services
from handlers.jobs import PLANNING_JOB
from storage.uow import UnitOfWorkFactory
from tandem.demo.scenario import load_scenario
from tests.services.test_planning_and_sessions import SECOND_COORDINATOR, programme_services

COORDINATOR = Actor.telegram(1001)
SHANGHAI = ZoneInfo("Asia/Shanghai")


async def rendered(services: Services, message: OutgoingMessage) -> Notification:
    """A notice as its recipient reads it (the renderer the delivery uses)."""
    async with services.uow_factory() as uow:
        recipient = await uow.contacts.get(message.contact_id)
        assert recipient is not None
        notification = await RENDERERS[message.kind](RenderContext(uow, services.config, services.clock.now()), recipient, message)
    assert notification is not None
    return notification


async def panjin_proposal_days(services: Services, uow_factory: UnitOfWorkFactory, panjin_id: int) -> set[date]:
    async with uow_factory() as uow:
        planned = [m for m in await uow.matches.with_status(MatchStatus.PLANNED) if panjin_id in m.city_ids]
        proposals = await uow.matches.proposals_of([m.id for m in planned])
    return {start.astimezone(SHANGHAI).date() for slots in proposals.values() for start, _ in slots}


async def test_a_new_day_off_moves_planned_sessions_and_reports_confirmed_ones_with_a_move(uow_factory: UnitOfWorkFactory) -> None:
    services, ids = await programme_services(uow_factory, load_scenario())
    await services.planning.plan_and_notify()
    pending = await services.sessions.pending(by=COORDINATOR)
    with_panjin = [v for v in pending if ids["Panjin"] in v.match.city_ids]
    confirmed = await services.sessions.confirm(with_panjin[0].match.id, with_panjin[0].slots[0], by=COORDINATOR)
    await services.planning.plan_and_notify()
    day_off = confirmed.session.start_utc.astimezone(SHANGHAI).date()
    assert day_off in await panjin_proposal_days(services, uow_factory, ids["Panjin"])  # planned matches use that day too

    change = await services.official_days.add(f"CN {day_off.isoformat()} off National mourning day", by=COORDINATOR)

    assert [(o.country, o.day, o.kind, o.name, o.added_by) for o in change.overrides] == [
        ("CN", day_off, DayOverrideKind.DAY_OFF, "National mourning day", "Programme coordinator")
    ]
    assert change.sessions_reported == 1
    async with uow_factory() as uow:
        reports = [m for m in await uow.outbox.list() if m.kind == NoticeKind.SESSION_ON_DAY_OFF.value]
    assert len(reports) == len({m.contact_id for m in reports}) == 2  # each coordinator once
    payload = reports[0].payload
    assert payload["session_id"] == confirmed.session.id and payload["day"] == day_off.isoformat()
    assert payload["name"] == "National mourning day"
    move_to = payload["move_to"]
    assert isinstance(move_to, str)
    best = datetime.fromisoformat(move_to)
    assert best.astimezone(SHANGHAI).date() != day_off
    notice = await rendered(services, reports[0])
    assert notice.text.startswith(f"{day_off.isoformat()} is now an official day off in Panjin (National mourning day), and the session ")

    # Planning runs again (the wakeup asked for it): no planned match of Panjin keeps that day.
    assert services.wakeups.job_queue.get_jobs_by_name(PLANNING_JOB)  # type: ignore[attr-defined]
    await services.planning.plan_and_notify()
    assert day_off not in await panjin_proposal_days(services, uow_factory, ids["Panjin"])

    # The one tap is the existing move: same session, next sequence, updated invitations.
    moved = await services.sessions.reschedule(confirmed.session.id, best, by=Actor.telegram(SECOND_COORDINATOR), expected_sequence=int(payload["sequence"]))
    assert moved.session.start_utc == best and moved.session.sequence == confirmed.session.sequence + 1
    async with uow_factory() as uow:
        updates = [m for m in await uow.outbox.list() if m.kind == NoticeKind.UPDATE.value and m.session_id == confirmed.session.id]
    assert updates


async def test_a_day_off_elsewhere_or_on_another_day_reports_nothing(uow_factory: UnitOfWorkFactory) -> None:
    services, ids = await programme_services(uow_factory, load_scenario())
    await services.planning.plan_and_notify()
    pending = await services.sessions.pending(by=COORDINATOR)
    view = next(v for v in pending if ids["Panjin"] in v.match.city_ids)
    confirmed = await services.sessions.confirm(view.match.id, view.slots[0], by=COORDINATOR)
    day = confirmed.session.start_utc.astimezone(SHANGHAI).date()
    assert (await services.official_days.add(f"JP {day.isoformat()} off Elsewhere", by=COORDINATOR)).sessions_reported == 0
    other = day + timedelta(days=1)
    assert (await services.official_days.add(f"CN {other.isoformat()} off Another day", by=COORDINATOR)).sessions_reported == 0
    # A working day on the session's date changes nothing for it either.
    assert (await services.official_days.add(f"CN {day.isoformat()} work Mon", by=COORDINATOR)).sessions_reported == 0
    async with uow_factory() as uow:
        assert not [m for m in await uow.outbox.list() if m.kind == NoticeKind.SESSION_ON_DAY_OFF.value]
        session = await uow.sessions.get(confirmed.session.id)
    assert session is not None and session.status is SessionStatus.CONFIRMED


async def test_only_coordinators_enter_official_days_and_bad_input_gets_a_clear_answer(uow_factory: UnitOfWorkFactory) -> None:
    services, _ = await programme_services(uow_factory, load_scenario())
    with pytest.raises(PermissionDeniedError):
        await services.official_days.add("CN 2027-04-07 off Day", by=Actor.telegram(2001))
    with pytest.raises(PermissionDeniedError):
        await services.official_days.list(by=Actor.telegram(2001))
    for text, msgid in [
        ("CN 2027-04-07", "Please write it like this: /holiday CN 2027-02-10 off Spring Festival, or /holiday CN 2027-02-07 work Mon (a working day with Monday's hours)."),
        ("XX 2027-04-07 off Day", "The holiday calendar does not know \"{place}\"; use a code such as CN, DE or DE-BY."),
        ("CN-ZZZ 2027-04-07 off Day", "The holiday calendar does not know \"{place}\"; use a code such as CN, DE or DE-BY."),
        ("CN 2027-02-30 off Day", "\"{day}\" is not a date; write it as 2027-02-10, or 2027-02-10..2027-02-17 for several days."),
        ("CN 2027-04-07 off", "Please add the name of the day off, or why it is one, after \"off\"."),
        ("CN 2027-04-10 work", "Please add the weekday whose hours apply after \"work\", such as Mon."),
        ("CN 2027-04-10 work Someday", "\"{weekday}\" is not a weekday; write the one whose hours apply, such as Mon or Fri."),
        ("CN 2027-04-10..2027-06-10 off Long", "A range of days must run forward and span at most {days} days."),
    ]:
        with pytest.raises(InvalidInputError) as caught:
            await services.official_days.add(text, by=COORDINATOR)
        assert caught.value.msgid == msgid, text
    with pytest.raises(InvalidInputError):
        await services.official_days.remove("CN 2027-04-07 remove", by=COORDINATOR)  # nothing entered there
    async with uow_factory() as uow:
        assert await uow.day_overrides.list() == []


async def test_a_range_a_replacement_a_removal_and_the_list(uow_factory: UnitOfWorkFactory) -> None:
    services, _ = await programme_services(uow_factory, load_scenario())
    added = await services.official_days.add("CN 2027-02-06..2027-02-13 off Spring Festival", by=COORDINATOR)
    assert [o.day for o in added.overrides] == [date(2027, 2, 6) + timedelta(days=n) for n in range(8)]
    again = await services.official_days.add("cn 2027-02-07 work 周一 春节调休", by=COORDINATOR)
    assert [o.name for o in again.replaced] == ["Spring Festival"]
    assert (again.overrides[0].kind, again.overrides[0].works_as_weekday) == (DayOverrideKind.WORKING_DAY, 0)
    await services.official_days.add("DE-BY 2027-03-24 off Landestrauertag", by=COORDINATOR)
    removed = await services.official_days.remove("CN 2027-02-13 remove", by=COORDINATOR)
    assert [o.day for o in removed.overrides] == [date(2027, 2, 13)]
    listed = await services.official_days.list("CN", by=COORDINATOR)
    assert [o.day.day for o in listed] == [6, 7, 8, 9, 10, 11, 12]
    assert [(o.country, o.subdivision) for o in await services.official_days.list(by=COORDINATOR)][-1] == ("DE", "BY")


CSV_GOOD = """country,date,kind,weekday,name,subdivision
CN,2027-02-05,off,,Spring Festival,
CN,2027-02-20,work,Fri,Make-up working day,
DE,2027-03-24,off,,Landestrauertag,BY
"""
CSV_BAD = """country,date,kind,weekday,name
CN,2027-02-05,off,,Spring Festival
CN,2027-02-31,off,,Bad date
XX,2027-02-06,off,,Bad country
CN,2027-02-20,work,,No weekday
CN,2027-02-21,off,Mon,A day off with hours
CN,2027-02-22,off
"""
ICS = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//example//China holidays 2027//ZH\r
BEGIN:VEVENT\r
UID:1@example\r
DTSTAMP:20261201T000000Z\r
DTSTART;VALUE=DATE:20270205\r
DTEND;VALUE=DATE:20270213\r
SUMMARY:\xe6\x98\xa5\xe8\x8a\x82 \xe4\xbc\x91\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:2@example\r
DTSTAMP:20261201T000000Z\r
DTSTART;VALUE=DATE:20270220\r
SUMMARY:\xe6\x98\xa5\xe8\x8a\x82 \xe8\xa1\xa5\xe7\x8f\xad\r
END:VEVENT\r
END:VCALENDAR\r
"""


async def test_a_csv_file_imports_all_or_nothing_with_one_line_per_bad_row(uow_factory: UnitOfWorkFactory) -> None:
    services, _ = await programme_services(uow_factory, load_scenario())
    with pytest.raises(InvalidInputError) as caught:
        await services.official_days.import_file(CSV_BAD.encode(), "days.csv", by=None)
    lines = str(caught.value).splitlines()
    assert lines[0] == "nothing imported:"
    assert [line.split(":")[0] for line in lines[1:]] == ["line 3", "line 4", "line 5", "line 6", "line 7"]
    async with uow_factory() as uow:
        assert await uow.day_overrides.list() == []
    change = await services.official_days.import_file(CSV_GOOD.encode(), "days.csv", by=None)
    assert [(o.country, o.subdivision, o.day, o.kind, o.works_as_weekday, o.added_by) for o in change.overrides] == [
        ("CN", None, date(2027, 2, 5), DayOverrideKind.DAY_OFF, None, "file days.csv"),
        ("CN", None, date(2027, 2, 20), DayOverrideKind.WORKING_DAY, 4, "file days.csv"),
        ("DE", "BY", date(2027, 3, 24), DayOverrideKind.DAY_OFF, None, "file days.csv"),
    ]


async def test_an_icalendar_feed_gives_days_off_and_make_up_working_days(uow_factory: UnitOfWorkFactory) -> None:
    services, _ = await programme_services(uow_factory, load_scenario())
    with pytest.raises(InvalidInputError):
        await services.official_days.import_file(ICS, "cn-2027.ics", by=None)  # whose days? no country given
    change = await services.official_days.import_file(ICS, "cn-2027.ics", by=None, country="CN")
    days_off = [o.day for o in change.overrides if o.kind is DayOverrideKind.DAY_OFF]
    assert days_off == [date(2027, 2, 5) + timedelta(days=n) for n in range(8)]  # DTEND is exclusive
    [working] = [o for o in change.overrides if o.kind is DayOverrideKind.WORKING_DAY]
    assert (working.day, working.works_as_weekday, working.name) == (date(2027, 2, 20), 0, "春节 补班")
    timed = ICS.replace(b"DTSTART;VALUE=DATE:20270220", b"DTSTART:20270220T090000Z")
    with pytest.raises(InvalidInputError) as caught:
        await services.official_days.import_file(timed, "cn-2027.ics", by=None, country="CN")
    assert str(caught.value).splitlines()[1].startswith("line 11: ")
    assert "all-day" in str(caught.value)


async def guess_warnings(uow_factory: UnitOfWorkFactory) -> list[tuple[str, int, int]]:
    async with uow_factory() as uow:
        rows = [m for m in await uow.outbox.list() if m.kind == NoticeKind.CALENDAR_GUESS.value]
    return sorted((str(m.payload["country"]), m.number("year"), m.contact_id) for m in rows)


async def test_coordinators_are_told_once_per_country_and_year_that_the_calendar_is_a_guess(uow_factory: UnitOfWorkFactory) -> None:
    """holidays 0.109 knows no make-up working days of China in 2027 or 2028: both years are guesses."""
    services, ids = await programme_services(uow_factory, load_scenario())
    await services.planning.plan_and_notify()
    first = await guess_warnings(uow_factory)
    assert [(country, year) for country, year, _ in first] == [("CN", 2027), ("CN", 2027)]  # each coordinator, no European country
    async with uow_factory() as uow:
        [message, *_] = [m for m in await uow.outbox.list() if m.kind == NoticeKind.CALENDAR_GUESS.value]
    assert message.payload["city_ids"] == [ids["Panjin"]] and message.payload["start"] == "2027-03-22"
    await services.planning.plan_and_notify()
    await services.planning.plan_and_notify()
    assert await guess_warnings(uow_factory) == first  # once, however often planning runs

    services.clock.set(datetime(2027, 12, 20, 8, 0, tzinfo=SHANGHAI).astimezone(ZoneInfo("UTC")))  # type: ignore[attr-defined]
    await services.planning.plan_and_notify()  # the horizon now reaches into 2028
    assert [(country, year) for country, year, _ in await guess_warnings(uow_factory)] == [("CN", 2027)] * 2 + [("CN", 2028)] * 2
    async with uow_factory() as uow:
        later = [m for m in await uow.outbox.list() if m.kind == NoticeKind.CALENDAR_GUESS.value and m.number("year") == 2028]
    assert later[0].payload["start"] == "2028-01-01"


async def test_removing_a_working_saturday_reports_the_session_confirmed_on_it(uow_factory: UnitOfWorkFactory) -> None:
    services, ids = await programme_services(uow_factory, load_scenario())
    panjin, valencia = ids["Panjin"], ids["Valencia"]
    # Saturday 27 March is worked in China with Wednesday's hours (13:30-17:30 is 05:30-09:30 UTC);
    # Valencia works that Saturday morning too (08:00-12:00 CET is 07:00-11:00 UTC).
    await services.official_days.add("CN 2027-03-27 work Wed Make-up working day", by=COORDINATOR)
    async with uow_factory() as uow:
        await uow.cities.set_weekly_hours(valencia, parse_weekly_hours("Mon-Fri 09:00-14:00, Sat 08:00-12:00"))
        await uow.commit()
    await services.planning.plan_and_notify()
    saturday = datetime(2027, 3, 27, 7, 0, tzinfo=timezone.utc)
    async with uow_factory() as uow:  # the coordinator's choice among the offered times: that Saturday
        match = next(m for m in await uow.matches.with_status(MatchStatus.PLANNED) if set(m.city_ids) == {panjin, valencia})
        await uow.matches.set_proposals(match.id, [(saturday, 0.5)])
        await uow.commit()
    session = await services.sessions.confirm(match.id, saturday, by=COORDINATOR)  # checks the time is open for both

    change = await services.official_days.remove("CN 2027-03-27 remove", by=COORDINATOR)

    assert change.sessions_reported == 1
    async with uow_factory() as uow:
        [report, *_] = [m for m in await uow.outbox.list() if m.kind == NoticeKind.SESSION_ON_DAY_OFF.value]
    assert report.payload["session_id"] == session.session.id and report.payload["day"] == "2027-03-27"
    # It reads as a working day withdrawn, naming it, not as "an official day off (—)".
    notice = await rendered(services, report)
    assert notice.text.startswith(
        "2027-03-27 (Saturday) is no longer an official working day in Panjin (“Make-up working day” was withdrawn), "
        "so Panjin does not work that day, and the session "
    ), notice.text
    assert "day off" not in notice.text


async def test_a_withdrawn_working_day_on_a_library_holiday_reads_as_that_holiday(uow_factory: UnitOfWorkFactory) -> None:
    """Removing a working day entered over the package's holiday makes it that holiday once more."""
    services, ids = await programme_services(uow_factory, load_scenario())
    # Monday 5 April 2027 is Qingming (清明节) for the package; entered as a working day, it opens.
    await services.official_days.add("CN 2027-04-05 work Mon", by=COORDINATOR)
    await services.planning.plan_and_notify()
    monday = datetime(2027, 4, 5, 7, 0, tzinfo=timezone.utc)  # 15:00 in Panjin, 09:00 in Valencia
    async with uow_factory() as uow:
        match = next(m for m in await uow.matches.with_status(MatchStatus.PLANNED) if set(m.city_ids) == {ids["Panjin"], ids["Valencia"]})
        await uow.matches.set_proposals(match.id, [(monday, 0.5)])
        await uow.commit()
    await services.sessions.confirm(match.id, monday, by=COORDINATOR)

    assert (await services.official_days.remove("CN 2027-04-05 remove", by=COORDINATOR)).sessions_reported == 1
    async with uow_factory() as uow:
        [report, *_] = [m for m in await uow.outbox.list() if m.kind == NoticeKind.SESSION_ON_DAY_OFF.value]
    notice = await rendered(services, report)
    assert notice.text.startswith("2027-04-05 is now an official day off in Panjin (Tomb-Sweeping Day), and the session "), notice.text
