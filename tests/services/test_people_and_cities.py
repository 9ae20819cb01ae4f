"""Who is talking, their own data, and the coordinators' city management."""

from __future__ import annotations

import pytest

from bot.domain import Actor, ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError, Role
from bot.services import Services
from tests.services.conftest import COORDINATOR, add_city, join_city


async def test_a_coordinator_gets_a_contact_row_at_the_first_start(services: Services) -> None:
    before = await services.people.who(Actor.telegram(COORDINATOR))
    assert before.is_coordinator and before.contact is None
    person = await services.people.greet(by=Actor.telegram(COORDINATOR), chat_id=COORDINATOR, display_name="Ana", language_code="de")
    assert person.contact is not None
    assert person.contact.role is Role.COORDINATOR
    assert person.contact.chat_id == COORDINATOR
    assert person.contact.email == "team@example.org"
    assert person.language == "de"  # Telegram's language until they choose one


async def test_a_stranger_is_not_recorded_and_reads_their_telegram_language(services: Services) -> None:
    person = await services.people.greet(by=Actor.telegram(555), chat_id=555, display_name="Someone", language_code="zh-hans")
    assert person.is_stranger and person.contact is None
    assert person.language == "zh"
    assert (await services.people.who(Actor.telegram(555), language_code="pt-br")).language == "en"


async def test_language_choice_is_remembered_for_known_people_only(services: Services) -> None:
    await services.people.greet(by=Actor.telegram(COORDINATOR), chat_id=COORDINATOR, display_name="Ana", language_code="en")
    await services.people.set_language(by=Actor.telegram(COORDINATOR), language="zh")
    assert (await services.people.who(Actor.telegram(COORDINATOR), language_code="de")).language == "zh"
    with pytest.raises(PermissionDeniedError):
        await services.people.set_language(by=Actor.telegram(555), language="de")
    with pytest.raises(InvalidInputError):
        await services.people.set_language(by=Actor.telegram(COORDINATOR), language="fr")


async def test_forget_deletes_the_person_but_the_city_keeps_its_interests(services: Services) -> None:
    city_id = await add_city(services, "Ravenna", "IT", "Europe/Rome", "EU")
    await join_city(services, "Ravenna", 3001)
    topics = await services.interests.overview(by=Actor.telegram(3001))
    await services.interests.choose(by=Actor.telegram(3001), city_id=city_id, topic_id=topics.choices[0].topic.id, chosen=True)

    exported = await services.people.export(by=Actor.telegram(3001))
    assert exported["city"]["name"] == "Ravenna"
    assert exported["contact"]["display_name"] == "user 3001"

    assert await services.people.forget(by=Actor.telegram(3001)) is True
    assert (await services.people.who(Actor.telegram(3001))).is_stranger
    view = await services.interests.overview(by=Actor.telegram(COORDINATOR), city_id=city_id)
    assert [c.chosen for c in view.choices] == [True, False]
    assert await services.people.forget(by=Actor.telegram(3001)) is False  # nothing left to delete


async def test_cities_are_validated_field_by_field(services: Services) -> None:
    with pytest.raises(InvalidInputError, match="Europe/Rom"):
        await services.cities.add(by=Actor.telegram(COORDINATOR), name="Ravenna", country="IT", timezone="Europe/Rom", group="EU")
    with pytest.raises(InvalidInputError, match="XX"):
        await services.cities.add(by=Actor.telegram(COORDINATOR), name="Ravenna", country="xx", timezone="Europe/Rome", group="EU")
    with pytest.raises(InvalidInputError, match="Europe.*not a group"):
        await services.cities.add(by=Actor.telegram(COORDINATOR), name="Ravenna", country="IT", timezone="Europe/Rome", group="Europe")
    city = await services.cities.add(by=Actor.telegram(COORDINATOR), name=" Ravenna ", country="it", timezone="Europe/Rome", group="EU")
    assert (city.name, city.country) == ("Ravenna", "IT")
    with pytest.raises(ConflictError):
        await services.cities.add(by=Actor.telegram(COORDINATOR), name="ravenna", country="IT", timezone="Europe/Rome", group="EU")


async def test_only_coordinators_manage_cities(services: Services) -> None:
    with pytest.raises(PermissionDeniedError):
        await services.cities.add(by=Actor.telegram(42), name="Ravenna", country="IT", timezone="Europe/Rome", group="EU")
    with pytest.raises(PermissionDeniedError):
        await services.cities.list(by=Actor.telegram(42))
    with pytest.raises(PermissionDeniedError):
        await services.onboarding.contact_link(by=Actor.telegram(42), city_name="Ravenna")


async def test_editing_a_city_validates_the_new_value(services: Services) -> None:
    await add_city(services, "Ravenna", "IT", "Europe/Rome", "EU")
    edited = await services.cities.edit(by=Actor.telegram(COORDINATOR), city_name="Ravenna", field="timezone", value="Europe/Berlin")
    assert edited.timezone == "Europe/Berlin"
    with pytest.raises(InvalidInputError):
        await services.cities.edit(by=Actor.telegram(COORDINATOR), city_name="Ravenna", field="timezone", value="Mars/Olympus")
    with pytest.raises(InvalidInputError):
        await services.cities.edit(by=Actor.telegram(COORDINATOR), city_name="Ravenna", field="population", value="1")
    with pytest.raises(NotFoundError):
        await services.cities.edit(by=Actor.telegram(COORDINATOR), city_name="Atlantis", field="group", value="EU")


CSV_GOOD = "name,country,timezone,group\nPanjin,CN,Asia/Shanghai,China\nLisbon,PT,Europe/Lisbon,EU\n"


async def test_csv_import_adds_every_city_of_a_good_file(services: Services) -> None:
    cities = await services.cities.import_csv(CSV_GOOD, by=None)
    assert [c.name for c in cities] == ["Panjin", "Lisbon"]
    assert [c.name for c in (listing.city for listing in await services.cities.list(by=Actor.telegram(COORDINATOR)))] == ["Lisbon", "Panjin"]


async def test_csv_import_names_every_bad_line_and_imports_nothing(services: Services) -> None:
    await add_city(services, "Ravenna", "IT", "Europe/Rome", "EU")
    text = (
        "name,country,timezone,group\n"
        "Panjin,CN,Asia/Shanghai,China\n"
        "Lisbon,PT,Europe/Lisbn,EU\n"
        "Ravenna,IT,Europe/Rome,EU\n"
        "Hamburg,DE,Europe/Berlin\n"
        "Panjin,CN,Asia/Shanghai,China\n"
    )
    with pytest.raises(InvalidInputError) as caught:
        await services.cities.import_csv(text, by=None)
    lines = str(caught.value).splitlines()
    assert lines[0] == "nothing imported:"
    assert [line.split(":")[0] for line in lines[1:]] == ["line 3", "line 4", "line 5", "line 6"]
    assert "Europe/Lisbn" in lines[1] and "already a city called Ravenna" in lines[2]
    assert "expected 4 columns, found 3" in lines[3] and "line 2" in lines[4]
    assert [listing.city.name for listing in await services.cities.list(by=Actor.telegram(COORDINATOR))] == ["Ravenna"]


async def test_csv_import_refuses_a_file_without_the_header(services: Services) -> None:
    with pytest.raises(InvalidInputError, match="line 1"):
        await services.cities.import_csv("Panjin,CN,Asia/Shanghai,China\n", by=None)


async def test_an_email_contact_can_be_added_for_a_city_without_telegram(services: Services) -> None:
    city_id = await add_city(services, "Panjin", "CN", "Asia/Shanghai", "China")
    contact = await services.cities.add_email_contact(by=Actor.telegram(COORDINATOR), city_name="Panjin", name="Li Wei", email="li@panjin.gov.cn")
    assert (contact.city_id, contact.telegram_user_id, contact.role) == (city_id, None, Role.CONTACT)
    with pytest.raises(InvalidInputError):
        await services.cities.add_email_contact(by=Actor.telegram(COORDINATOR), city_name="Panjin", name="Li", email="not-an-address")
    [listing] = await services.cities.list(by=Actor.telegram(COORDINATOR))
    assert (listing.telegram_contacts, listing.email_contacts) == (0, 1)
