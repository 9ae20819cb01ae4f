"""The board's cities and interest matrix: upload cities.csv, add and edit cities, invite links,
e-mail contacts, who is unreachable; the matrix filling as contacts choose topics, with the to-dos."""

from __future__ import annotations

import re

from bot.domain import Actor
from tests.web.support import COORDINATOR, HAMBURG_CONTACT, LISBON_CONTACT, Programme, WebClient, csrf_of, sign_in_by_mini_app

ZONES = [("DE", "Europe/Berlin"), ("IT", "Europe/Rome"), ("FR", "Europe/Paris"), ("ES", "Europe/Madrid"), ("PL", "Europe/Warsaw")]


def cities_csv(count: int, bad_line: int | None = None) -> str:
    """``count`` European cities; the city on ``bad_line`` (1 is the header) gets a zone that does not exist."""
    lines = ["name,country,timezone,group"]
    for n in range(count):
        country, zone = ZONES[n % len(ZONES)]
        lines.append(f"Pilot city {n + 1:02d},{country},{'Europe/Atlantis' if n + 2 == bad_line else zone},EU")
    return "\n".join(lines) + "\n"


async def upload(client: WebClient, text: str) -> object:
    token = csrf_of((await client.get("/board/cities")).text)
    return await client.http.post("/board/cities/import", data={"csrf": token}, files={"file": ("cities.csv", text.encode(), "text/csv")})


async def city_names(programme: Programme) -> list[str]:
    async with programme.services.uow_factory() as uow:
        return sorted(c.name for c in await uow.cities.list())


async def test_an_upload_with_one_bad_row_writes_nothing_and_names_the_line_then_the_fixed_file_imports_30(programme: Programme, client: WebClient) -> None:
    await sign_in_by_mini_app(client, COORDINATOR, now=programme.clock.now())
    before = await city_names(programme)
    refused = await upload(client, cities_csv(30, bad_line=17))
    assert refused.status_code == 400  # type: ignore[attr-defined]
    assert "Nothing was imported" in refused.text  # type: ignore[attr-defined]
    assert re.findall(r"line \d+: [^\n<]+", refused.text) == ['line 17: &#34;Europe/Atlantis&#34; is not a time zone; use an IANA name such as Europe/Rome.']  # type: ignore[attr-defined]
    assert await city_names(programme) == before
    imported = await upload(client, cities_csv(30))
    assert imported.status_code == 303 and imported.headers["location"] == "/board/cities?imported=30"  # type: ignore[attr-defined]
    assert len(await city_names(programme)) == len(before) + 30
    again = await upload(client, cities_csv(2))  # the same names again: refused, one line each
    assert again.status_code == 400 and "there is already a city called Pilot city 01" in again.text  # type: ignore[attr-defined]
    not_csv = await upload(client, "")
    assert not_csv.status_code == 400 and "The file is empty" in not_csv.text  # type: ignore[attr-defined]


async def test_a_city_is_added_edited_given_an_invite_link_and_an_e_mail_contact(programme: Programme, client: WebClient) -> None:
    await sign_in_by_mini_app(client, COORDINATOR, now=programme.clock.now())
    added = await client.post("/board/cities", {"name": "Ravenna", "country": "it", "timezone": "Europe/Rome", "group": "EU"}, form_page="/board/cities")
    assert added.status_code == 303
    path = added.headers["location"].split("?")[0]
    page = await client.get(added.headers["location"])
    assert "The city is added" in page.text and "no contact yet" in page.text
    wrong = await client.post(path, {"name": "Ravenna", "country": "IT", "timezone": "Mars/Olympus", "group": "EU"}, form_page=path)
    assert wrong.status_code == 400 and "is not a time zone" in wrong.text
    saved = await client.post(path, {"name": "Ravenna", "country": "IT", "timezone": "Europe/Rome", "group": "EU", "subdivision": "", "link": "https://meet.example.org/ravenna"}, form_page=path)
    assert saved.status_code == 303
    async with programme.services.uow_factory() as uow:
        city = await uow.cities.by_name("Ravenna")
    assert city is not None and city.country == "IT" and city.meeting_link == "https://meet.example.org/ravenna"
    invite = await client.post(f"{path}/invite", {}, form_page=path)
    code = re.search(r"/start ([A-Za-z0-9_-]+)", invite.text)
    assert invite.status_code == 200 and code
    person = await programme.services.onboarding.join(by=Actor.telegram(5001), chat_id=5001, display_name="Giulia", language_code="it", code=code.group(1))
    assert person.city is not None and person.city.name == "Ravenna"
    contact = await client.post(f"{path}/email", {"name": "Marco Rossi", "email": "marco@ravenna.example.it"}, form_page=path)
    assert contact.status_code == 303
    page = await client.get(path)
    assert "Giulia" in page.text and "marco@ravenna.example.it" in page.text


async def test_the_cities_page_shows_who_cannot_be_reached(programme: Programme, client: WebClient) -> None:
    async with programme.services.uow_factory() as uow:
        await uow.contacts.mark_unreachable(programme.lisbon_contact)  # blocked the bot, and has no address
        await uow.commit()
    await sign_in_by_mini_app(client, COORDINATOR, now=programme.clock.now())
    page = await client.get("/board/cities?unreachable=1")
    assert "1 cities cannot be reached by anyone." in page.text
    assert re.findall(r'<tr id="city-(\d+)"', page.text) == [str(programme.lisbon)]
    city = await client.get(f"/board/cities/{programme.lisbon}")
    assert "cannot be reached: blocked the bot and has no e-mail address" in city.text


async def ravenna_id(programme: Programme) -> int:
    async with programme.services.uow_factory() as uow:
        city = await uow.cities.by_name("Ravenna")
    assert city is not None
    return city.id


async def test_the_matrix_fills_as_contacts_choose_topics_and_shows_the_to_dos(programme: Programme, client: WebClient) -> None:
    services = programme.services
    await sign_in_by_mini_app(client, COORDINATOR, now=programme.clock.now())
    await services.cities.add(by=Actor.telegram(COORDINATOR), name="Ravenna", country="IT", timezone="Europe/Rome", group="EU")
    empty = await client.get("/board/matrix")
    assert empty.status_code == 200 and 'class="chosen"' not in empty.text
    assert "no contact: 1" in empty.text and "no hours: 4" in empty.text and "no topic: 4" in empty.text
    topics = {c.topic.key: c.topic.id for c in (await services.interests.overview(by=Actor.telegram(HAMBURG_CONTACT))).choices}
    await services.interests.save_choices(by=Actor.telegram(HAMBURG_CONTACT), choices={topics["wetlands"]: "Elbe marshes"})
    await services.interests.save_choices(by=Actor.contact(programme.wang_fang), choices={topics["wetlands"]: None, topics["tourism"]: None})
    await services.availability.set_hours(by=Actor.telegram(LISBON_CONTACT), text="Mon-Fri 09:00-12:00")
    full = await client.get("/board/matrix")
    hamburg = re.search(rf'<tr id="city-{programme.hamburg}".*?</tr>', full.text, re.S)
    assert hamburg and hamburg.group(0).count('class="chosen"') == 1 and "Elbe marshes" in hamburg.group(0)
    assert "2 cities · 1 pairs" in full.text  # wetlands: Panjin and Hamburg, one pair
    assert "no topic: 2" in full.text and "no hours: 3" in full.text
    china, eu = full.text.index(">China<"), full.text.index(">EU<")
    assert china < full.text.index(f'id="city-{programme.panjin}"') < eu < full.text.index(f'id="city-{programme.hamburg}"')
    await services.availability.set_hours(by=Actor.telegram(HAMBURG_CONTACT), text="Mon-Fri 09:00-17:00")
    todos = await client.get("/board/matrix?todo=1")
    listed = set(re.findall(r'<tr id="city-(\d+)"', todos.text))
    assert listed == {str(programme.panjin), str(programme.lisbon), str(await ravenna_id(programme))}  # Hamburg has everything
