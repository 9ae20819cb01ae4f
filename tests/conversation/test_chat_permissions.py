"""Permission first: a coordinator's command answers everyone else with one refusal, whatever follows it.

Every coordinator-only command × every other role (a stranger, a city's contact, a colleague who
takes part) × no arguments, valid arguments, wrong arguments and a huge field: the answer is the
same refusal (in the sender's language), so arguments never reveal anything (a validation error
like "use one of: China, EU" told a stranger the programme's groups), and nothing changes. The
coordinator, for contrast, gets usage lines and validation errors from the same inputs.
"""

from __future__ import annotations

import pytest

from offline_bot_api import FakeUser
from tests.conversation.harness import Harness, invite_code

PAOLA = FakeUser(3001, "Paola", language_code="en")  # Ravenna's contact
LI = FakeUser(2001, "Li Wei", language_code="zh")  # Panjin's contact
MARCO = FakeUser(3002, "Marco", language_code="zh")  # Ravenna's colleague (a participant), reading Chinese
STRANGER = FakeUser(777, "Mallory", language_code="de")

# The refusal, written out per language (not rebuilt from the catalogs under test).
REFUSAL = {
    "en": "Only the programme's coordinators may do this.",
    "zh": "只有项目协调人可以执行此操作。",
    "de": "Das dürfen nur die Koordinatorinnen und Koordinatoren des Programms.",
}
HUGE = "x" * 4000

# Each coordinator-only command with: nothing, a valid argument line, a wrong one, a huge field.
COMMANDS = {
    "/cities": ["", " Ravenna"],
    "/addcity": ["", " Atlantis; GR; Europe/Athens; EU", " Atlantis; GR; Mars/Olympus; Nowhere", f" {HUGE}; GR; Europe/Athens; EU"],
    "/editcity": ["", " Ravenna; group; China", " Ravenna; population; 5", f" Ravenna; name; {HUGE}"],
    "/invite": ["", " Ravenna", " Atlantis", f" {HUGE}"],
    "/act": ["", " Ravenna", " Atlantis; too; many", f" {HUGE}"],
    "/addemail": ["", " Ravenna; Eve; eve@example.org", " Ravenna; Eve; not-an-address", f" Ravenna; {HUGE}; eve@example.org"],
    "/pending": ["", " anything"],
    "/schedule": ["", " anything"],
    "/roadmap": ["", " anything"],
}
CASES = [(command + arguments) for command, argument_lines in COMMANDS.items() for arguments in argument_lines]


async def setup_roles(h: Harness, coordinator: FakeUser) -> None:
    await h.send(coordinator, "/start")
    for line in ("/addcity Panjin; CN; Asia/Shanghai; China", "/addcity Ravenna; IT; Europe/Rome; EU"):
        await h.send(coordinator, line)
    for user, city in ((LI, "Panjin"), (PAOLA, "Ravenna")):
        [link] = await h.send(coordinator, f"/invite {city}")
        await h.send(user, f"/start {invite_code(link.text)}")
    [link] = await h.send(PAOLA, "/colleague")
    [welcome] = await h.send(MARCO, f"/start {invite_code(link.text)}")
    assert welcome.text.startswith("欢迎")  # Marco takes part for Ravenna now
    await h.send(STRANGER, "/start")


async def city_listing(h: Harness, coordinator: FakeUser) -> str:
    [listing] = await h.send(coordinator, "/cities")
    return listing.text


@pytest.mark.parametrize("line", CASES)
async def test_every_other_role_gets_the_same_refusal_whatever_the_arguments(harness: Harness, coordinator: FakeUser, line: str) -> None:
    await setup_roles(harness, coordinator)
    before = await city_listing(harness, coordinator)
    for user, language in ((STRANGER, "de"), (PAOLA, "en"), (MARCO, "zh"), (LI, "zh")):
        answers = await harness.send(user, line)
        assert [a.text for a in answers] == [REFUSAL[language]], (user.first_name, line[:60])
    assert await city_listing(harness, coordinator) == before  # nothing added, edited or acted on
    assert "Atlantis" not in before and "Eve" not in before


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/addcity", "Please write it like this: /addcity Ravenna; IT; Europe/Rome; EU"),
        ("/addcity Atlantis; GR; Mars/Olympus; EU", '"Mars/Olympus" is not a time zone; use an IANA name such as Europe/Rome.'),
        ("/editcity Ravenna; population; 5", '"population" cannot be changed; choose one of: name, country, timezone, group, subdivision, link.'),
        ("/invite", "Please write it like this: /invite Ravenna"),
        ("/act Atlantis", 'There is no city called "Atlantis"; /cities lists them.'),
        ("/addemail Ravenna; Eve; not-an-address", '"not-an-address" is not an e-mail address.'),
    ],
)
async def test_the_coordinator_is_not_refused_but_told_what_is_wrong(harness: Harness, coordinator: FakeUser, line: str, expected: str) -> None:
    await setup_roles(harness, coordinator)
    [answer] = await harness.send(coordinator, line)
    assert answer.text == expected


async def test_the_group_names_are_not_revealed_to_a_stranger(harness: Harness, coordinator: FakeUser) -> None:
    await setup_roles(harness, coordinator)
    [answer] = await harness.send(STRANGER, "/addcity Atlantis; GR; Europe/Athens; Nowhere")
    assert "China" not in answer.text and "EU" not in answer.text
    [told] = await harness.send(coordinator, "/addcity Atlantis; GR; Europe/Athens; Nowhere")
    assert told.text == '"Nowhere" is not a group of this programme; use one of: China, EU.'
