"""An e-mail-only contact, signed in on the web (``Actor.contact``), may do what its city's contact
may, and nothing for another city or for the programme; the same checks as for a Telegram user."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from bot.domain import Actor, MatchStatus, PermissionDeniedError, Role
from bot.services import Services
from tests.services.conftest import COORDINATOR, add_city, join_city

LISBON_CONTACT, DALIAN_CONTACT = 3001, 4001
PANJIN_HOURS = "Mon-Fri 14:00-18:00"  # 06:00-10:00 UTC
EUROPE_HOURS = "Mon-Fri 08:00-12:00"  # Lisbon: 08:00-12:00 UTC before 28 March, 07:00-11:00 after


@dataclass(frozen=True)
class Programme:
    wang: Actor  # Wang Fang, Panjin's contact by e-mail only (Telegram is blocked in mainland China)
    panjin: int
    dalian: int
    lisbon: int
    wetlands: int
    tourism: int


async def programme(services: Services) -> Programme:
    panjin = await add_city(services, "Panjin", "CN", "Asia/Shanghai", "China")
    dalian = await add_city(services, "Dalian", "CN", "Asia/Shanghai", "China")
    lisbon = await add_city(services, "Lisbon", "PT", "Europe/Lisbon", "EU")
    wang = await services.cities.add_email_contact(
        by=Actor.telegram(COORDINATOR), city_name="Panjin", name="Wang Fang", email="wang.fang@panjin.example.cn"
    )
    assert wang.telegram_user_id is None and wang.role is Role.CONTACT
    await join_city(services, "Lisbon", LISBON_CONTACT)
    await join_city(services, "Dalian", DALIAN_CONTACT)
    async with services.uow_factory() as uow:
        topics = {t.key: t.id for t in await uow.topics.list()}
    return Programme(Actor.contact(wang.id), panjin, dalian, lisbon, topics["wetlands"], topics["tourism"])


async def test_a_contact_actor_resolves_to_its_citys_contact_without_a_chat_conversation(services: Services) -> None:
    p = await programme(services)
    person = await services.people.who(p.wang)
    assert person.role is Role.CONTACT and person.city is not None and person.city.id == p.panjin
    assert person.waiting_for is None and not person.is_coordinator
    await services.availability.ask_hours(by=p.wang, city_id=p.panjin)  # the chat would wait; the web does not
    assert (await services.people.who(p.wang)).waiting_for is None
    assert await services.people.stop_waiting(by=p.wang) is False


async def test_a_contact_actor_chooses_its_citys_topics_and_sets_its_hours_and_days_away(services: Services) -> None:
    p = await programme(services)
    topics = await services.interests.choose(by=p.wang, city_id=p.panjin, topic_id=p.wetlands, chosen=True)
    assert topics.city.id == p.panjin and [c.topic.id for c in topics.choices if c.chosen] == [p.wetlands]
    hours = await services.availability.set_hours(by=p.wang, text=PANJIN_HOURS)
    assert hours.city.id == p.panjin and hours.text == PANJIN_HOURS
    away = await services.availability.add_days_away(by=p.wang, text="2027-04-06..2027-04-07")
    assert away.days == (date(2027, 4, 6), date(2027, 4, 7))
    away = await services.availability.remove_day_away(by=p.wang, city_id=p.panjin, day=date(2027, 4, 6))
    assert away.days == (date(2027, 4, 7),)


async def test_a_contact_actor_changes_nothing_of_another_city(services: Services) -> None:
    p = await programme(services)
    refused = [
        services.interests.choose(by=p.wang, city_id=p.lisbon, topic_id=p.wetlands, chosen=True),
        services.interests.overview(by=p.wang, city_id=p.lisbon),
        services.availability.set_hours(by=p.wang, text=EUROPE_HOURS, city_id=p.lisbon),
        services.availability.hours(by=p.wang, city_id=p.dalian),
        services.availability.add_days_away(by=p.wang, text="2027-04-06", city_id=p.lisbon),
        services.availability.remove_day_away(by=p.wang, city_id=p.dalian, day=date(2027, 4, 6)),
    ]
    for call in refused:
        with pytest.raises(PermissionDeniedError):
            await call
    async with services.uow_factory() as uow:
        assert await uow.interests.of_city(p.lisbon) == []
        assert await uow.cities.weekly_hours(p.lisbon) == ()
        assert await uow.cities.days_away(p.lisbon) == []


async def test_a_contact_actor_may_not_do_what_only_coordinators_may(services: Services) -> None:
    p = await programme(services)
    coordinator_only = [
        services.cities.add(by=p.wang, name="Ravenna", country="IT", timezone="Europe/Rome", group="EU"),
        services.cities.list(by=p.wang),
        services.onboarding.contact_link(by=p.wang, city_name="Panjin"),
        services.sessions.pending(by=p.wang),
        services.sessions.schedule(by=p.wang),
        services.sessions.roadmap(by=p.wang),
    ]
    for call in coordinator_only:
        with pytest.raises(PermissionDeniedError):
            await call


async def test_a_contact_actor_declines_its_own_partner_but_no_match_of_another_city(services: Services) -> None:
    p = await programme(services)
    await services.interests.choose(by=p.wang, city_id=p.panjin, topic_id=p.wetlands, chosen=True)
    await services.interests.choose(by=Actor.telegram(DALIAN_CONTACT), city_id=p.dalian, topic_id=p.wetlands, chosen=True)
    lisbon = await services.interests.choose(by=Actor.telegram(LISBON_CONTACT), city_id=p.lisbon, topic_id=p.wetlands, chosen=True)
    ours = next(m for m in lisbon.new_matches if p.panjin in (m.city_a_id, m.city_b_id))
    theirs = next(m for m in lisbon.new_matches if p.dalian in (m.city_a_id, m.city_b_id))

    with pytest.raises(PermissionDeniedError):
        await services.matching.decline(by=p.wang, match_id=theirs.id)
    declined = await services.matching.decline(by=p.wang, match_id=ours.id)
    assert declined.match.status is MatchStatus.DECLINED
    async with services.uow_factory() as uow:
        still_open = await uow.matches.get(theirs.id)
    assert still_open is not None and still_open.status is MatchStatus.OPEN


async def test_a_contact_actor_answers_for_its_citys_session_but_not_for_another(services: Services) -> None:
    p = await programme(services)
    await services.availability.set_hours(by=p.wang, text=PANJIN_HOURS)
    await services.availability.set_hours(by=Actor.telegram(DALIAN_CONTACT), text=PANJIN_HOURS)
    await services.availability.set_hours(by=Actor.telegram(LISBON_CONTACT), text=EUROPE_HOURS)
    await services.interests.choose(by=p.wang, city_id=p.panjin, topic_id=p.tourism, chosen=True)
    await services.interests.choose(by=Actor.telegram(DALIAN_CONTACT), city_id=p.dalian, topic_id=p.wetlands, chosen=True)
    await services.interests.choose(by=Actor.telegram(LISBON_CONTACT), city_id=p.lisbon, topic_id=p.tourism, chosen=True)
    await services.interests.choose(by=Actor.telegram(LISBON_CONTACT), city_id=p.lisbon, topic_id=p.wetlands, chosen=True)
    report = await services.planning.plan_and_notify()
    assert report.planned == 2
    coordinator = Actor.telegram(COORDINATOR)
    for pending in await services.sessions.pending(by=coordinator):
        await services.sessions.confirm(pending.match.id, pending.slots[0], by=coordinator)
    sessions = await services.sessions.schedule(by=coordinator)
    ours = next(v for v in sessions if p.panjin in (v.match.city_a_id, v.match.city_b_id))
    theirs = next(v for v in sessions if p.dalian in (v.match.city_a_id, v.match.city_b_id))

    assert [v.session.id for v in await services.sessions.upcoming_for(by=p.wang)] == [ours.session.id]
    answered = await services.sessions.answer(ours.session.id, True, by=p.wang)
    assert answered.session.id == ours.session.id
    with pytest.raises(PermissionDeniedError):
        await services.sessions.answer(theirs.session.id, True, by=p.wang)
    with pytest.raises(PermissionDeniedError):
        await services.sessions.record_outcome(theirs.session.id, True, by=p.wang)


async def test_a_contact_actor_makes_a_link_for_a_colleague_who_joins_in_telegram(services: Services) -> None:
    p = await programme(services)
    invitation = await services.onboarding.colleague_link(by=p.wang)
    colleague = await services.onboarding.join(
        by=Actor.telegram(2002), chat_id=2002, display_name="Song Yue", language_code="zh", code=invitation.code
    )
    assert colleague.role is Role.PARTICIPANT and colleague.city is not None and colleague.city.id == p.panjin
