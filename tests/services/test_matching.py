"""A shared topic between eligible cities becomes a match; both sides are told; either may decline."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.config import EmailConfig
from bot.domain import Actor, Channel, ConflictError, InvalidInputError, MatchStatus, Pairing, PermissionDeniedError
from bot.services import Services
from handlers.jobs import PLANNING_JOB, JobQueueWakeups
from tests.delivery.support import TelegramBoundary, delivery_service
from tests.services.conftest import COORDINATOR, add_city, join_city, with_pairing


async def _setup(services: Services) -> dict[str, int]:
    ids = {
        "Panjin": await add_city(services, "Panjin", "CN", "Asia/Shanghai", "China"),
        "Ravenna": await add_city(services, "Ravenna", "IT", "Europe/Rome", "EU"),
        "Lisbon": await add_city(services, "Lisbon", "PT", "Europe/Lisbon", "EU"),
    }
    await join_city(services, "Panjin", 2001, "zh")
    await join_city(services, "Ravenna", 3001, "it")
    await join_city(services, "Lisbon", 4001, "pt")
    return ids


async def _topic(services: Services, key: str) -> int:
    async with services.uow_factory() as uow:
        topic = await uow.topics.by_key(key)
    return topic.id


async def _outbox(services: Services) -> list[tuple[str, int, dict]]:
    async with services.uow_factory() as uow:
        messages = await uow.outbox.list()
        result = []
        for m in messages:
            contact = await uow.contacts.get(m.contact_id)
            result.append((m.kind, contact.telegram_user_id, m.payload))
        return result


async def test_a_shared_topic_across_groups_makes_one_match_and_tells_both_sides(services: Services) -> None:
    ids = await _setup(services)
    wetlands = await _topic(services, "wetlands")
    first = await services.interests.choose(by=Actor.telegram(2001), city_id=ids["Panjin"], topic_id=wetlands, chosen=True)
    assert first.new_matches == ()
    second = await services.interests.choose(by=Actor.telegram(3001), city_id=ids["Ravenna"], topic_id=wetlands, chosen=True)
    [match] = second.new_matches
    assert {match.city_a_id, match.city_b_id} == {ids["Panjin"], ids["Ravenna"]}
    assert match.status is MatchStatus.OPEN
    sent = await _outbox(services)
    assert sorted(user for kind, user, _ in sent if kind == "match_notice") == [2001, 3001]
    wakeups = services.wakeups
    assert isinstance(wakeups, JobQueueWakeups)
    assert wakeups.delivery.next_pass_in == 0  # the notices are due now: a delivery pass at once
    assert len(wakeups.job_queue.get_jobs_by_name(PLANNING_JOB)) == 1  # and a planning run, debounced


async def test_cities_of_one_group_are_not_matched_when_pairing_is_across(services: Services) -> None:
    ids = await _setup(services)
    wetlands = await _topic(services, "wetlands")
    await services.interests.choose(by=Actor.telegram(3001), city_id=ids["Ravenna"], topic_id=wetlands, chosen=True)
    view = await services.interests.choose(by=Actor.telegram(4001), city_id=ids["Lisbon"], topic_id=wetlands, chosen=True)
    assert view.new_matches == ()


async def test_cities_of_one_group_are_matched_when_pairing_is_any(services: Services) -> None:
    services = with_pairing(services, Pairing.ANY)
    ids = await _setup(services)
    wetlands = await _topic(services, "wetlands")
    await services.interests.choose(by=Actor.telegram(3001), city_id=ids["Ravenna"], topic_id=wetlands, chosen=True)
    view = await services.interests.choose(by=Actor.telegram(4001), city_id=ids["Lisbon"], topic_id=wetlands, chosen=True)
    assert len(view.new_matches) == 1


async def test_choosing_a_topic_twice_is_harmless(services: Services) -> None:
    ids = await _setup(services)
    wetlands = await _topic(services, "wetlands")
    await services.interests.choose(by=Actor.telegram(2001), city_id=ids["Panjin"], topic_id=wetlands, chosen=True)
    await services.interests.choose(by=Actor.telegram(3001), city_id=ids["Ravenna"], topic_id=wetlands, chosen=True)
    again = await services.interests.choose(by=Actor.telegram(3001), city_id=ids["Ravenna"], topic_id=wetlands, chosen=True)
    assert again.new_matches == ()
    assert len([k for k, _, _ in await _outbox(services) if k == "match_notice"]) == 2


async def test_a_contact_cannot_change_another_citys_topics(services: Services) -> None:
    ids = await _setup(services)
    wetlands = await _topic(services, "wetlands")
    with pytest.raises(PermissionDeniedError):
        await services.interests.choose(by=Actor.telegram(3001), city_id=ids["Panjin"], topic_id=wetlands, chosen=True)
    view = await services.interests.overview(by=Actor.telegram(COORDINATOR), city_id=ids["Panjin"])
    assert not any(c.chosen for c in view.choices)


async def test_declining_ends_the_match_and_tells_the_other_side_once(services: Services) -> None:
    ids = await _setup(services)
    wetlands = await _topic(services, "wetlands")
    await services.interests.choose(by=Actor.telegram(2001), city_id=ids["Panjin"], topic_id=wetlands, chosen=True)
    [match] = (await services.interests.choose(by=Actor.telegram(3001), city_id=ids["Ravenna"], topic_id=wetlands, chosen=True)).new_matches
    with pytest.raises(PermissionDeniedError):
        await services.matching.decline(by=Actor.telegram(4001), match_id=match.id)  # Lisbon is not part of it
    view = await services.matching.decline(by=Actor.telegram(3001), match_id=match.id)
    assert view.match.status is MatchStatus.DECLINED and view.partner_of(ids["Ravenna"]).name == "Panjin"
    with pytest.raises(ConflictError):
        await services.matching.decline(by=Actor.telegram(2001), match_id=match.id)  # a second answer changes nothing
    ended = [(user, payload["why"]) for kind, user, payload in await _outbox(services) if kind == "match_ended"]
    assert ended == [(2001, "declined")]


async def test_withdrawing_an_interest_closes_its_matches_and_choosing_again_reopens_them(services: Services) -> None:
    ids = await _setup(services)
    wetlands = await _topic(services, "wetlands")
    await services.interests.choose(by=Actor.telegram(2001), city_id=ids["Panjin"], topic_id=wetlands, chosen=True)
    [match] = (await services.interests.choose(by=Actor.telegram(3001), city_id=ids["Ravenna"], topic_id=wetlands, chosen=True)).new_matches
    await services.interests.choose(by=Actor.telegram(3001), city_id=ids["Ravenna"], topic_id=wetlands, chosen=False)
    async with services.uow_factory() as uow:
        assert (await uow.matches.get(match.id)).status is MatchStatus.CANCELLED
    assert [(k, u) for k, u, _ in await _outbox(services) if k == "match_ended"] == [("match_ended", 2001)]
    again = await services.interests.choose(by=Actor.telegram(3001), city_id=ids["Ravenna"], topic_id=wetlands, chosen=True)
    assert [m.id for m in again.new_matches] == [match.id]
    assert again.new_matches[0].status is MatchStatus.OPEN


@pytest.mark.parametrize("email_enabled", [True, False])
async def test_an_email_only_contact_is_told_by_email_when_email_is_on(services: Services, email_enabled: bool) -> None:
    email = EmailConfig(enabled=email_enabled, sender="tandem@example.org")
    services = replace(services, config=replace(services.config, email=email))
    ids = await _setup(services)
    await services.cities.add_email_contact(by=Actor.telegram(COORDINATOR), city_name="Panjin", name="Song Yue", email="song@panjin.gov.cn")
    wetlands = await _topic(services, "wetlands")
    await services.interests.choose(by=Actor.telegram(COORDINATOR), city_id=ids["Panjin"], topic_id=wetlands, chosen=True)
    await services.interests.choose(by=Actor.telegram(3001), city_id=ids["Ravenna"], topic_id=wetlands, chosen=True)
    async with services.uow_factory() as uow:
        channels = sorted(m.channel.value for m in await uow.outbox.list())
    expected = [Channel.EMAIL.value] * email_enabled + [Channel.TELEGRAM.value, Channel.TELEGRAM.value]
    assert channels == expected


async def test_a_note_is_saved_only_when_the_bot_waits_for_it(services: Services) -> None:
    ids = await _setup(services)
    wetlands = await _topic(services, "wetlands")
    with pytest.raises(InvalidInputError):
        await services.interests.ask_note(by=Actor.telegram(2001), city_id=ids["Panjin"], topic_id=wetlands)  # not chosen yet
    await services.interests.choose(by=Actor.telegram(2001), city_id=ids["Panjin"], topic_id=wetlands, chosen=True)
    await services.interests.ask_note(by=Actor.telegram(2001), city_id=ids["Panjin"], topic_id=wetlands)
    assert (await services.people.who(Actor.telegram(2001))).waiting_for == "topic_note"
    view = await services.interests.set_note(by=Actor.telegram(2001), text="We run a 1,200 km² wetland reserve")
    assert [c.note for c in view.choices if c.chosen] == ["We run a 1,200 km² wetland reserve"]
    assert (await services.people.who(Actor.telegram(2001))).waiting_for is None


async def test_when_nobody_of_a_city_can_be_reached_the_coordinators_are_told_once(services: Services) -> None:
    coordinator = Actor.telegram(COORDINATOR)
    await services.people.greet(by=coordinator, chat_id=COORDINATOR, display_name="Ana", language_code="en")
    ids = {
        "Panjin": await add_city(services, "Panjin", "CN", "Asia/Shanghai", "China"),
        "Ravenna": await add_city(services, "Ravenna", "IT", "Europe/Rome", "EU"),
    }
    # Panjin's only contact reads e-mail, and e-mail is off: nobody of Panjin can be reached.
    await services.cities.add_email_contact(by=coordinator, city_name="Panjin", name="Wang Fang", email="wang.fang@panjin.example.cn")
    await join_city(services, "Ravenna", 3001, "it")
    await services.cities.act_for(by=coordinator, city_name="Panjin")
    for key in ("wetlands", "tourism"):  # two matches, two notices Panjin cannot receive
        topic = await _topic(services, key)
        await services.interests.choose(by=coordinator, city_id=ids["Panjin"], topic_id=topic, chosen=True)
        await services.interests.choose(by=Actor.telegram(3001), city_id=ids["Ravenna"], topic_id=topic, chosen=True)

    sent = await _outbox(services)
    assert sorted(kind for kind, _, _ in sent) == ["city_unreachable", "match_notice", "match_notice"]  # both to Ravenna
    [(_, told, payload)] = [s for s in sent if s[0] == "city_unreachable"]
    assert told == COORDINATOR and payload == {"city_id": ids["Panjin"]}

    telegram = TelegramBoundary()
    await delivery_service(services.uow_factory, services.clock, telegram).deliver_due()  # type: ignore[arg-type]
    [notice] = [d.text for d in telegram.delivered if "Panjin" in d.text and "reached" in d.text]
    assert notice.startswith("Nobody of Panjin can be reached") and "/act Panjin" in notice
