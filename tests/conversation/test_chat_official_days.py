"""/holiday and /holidays in the chat: coordinators only, a clear answer for bad input in each language."""

from __future__ import annotations

from offline_bot_api import FakeUser
from tests.conversation.harness import COORDINATOR_ID, Harness, invite_code

LI = FakeUser(2001, "Li Wei", language_code="zh")


async def test_a_coordinator_enters_lists_and_removes_official_days(harness: Harness, coordinator: FakeUser) -> None:
    await harness.send(coordinator, "/start")
    [empty] = await harness.send(coordinator, "/holidays")
    assert empty.text.startswith("No official days are entered.")
    [saved] = await harness.send(coordinator, "/holiday CN 2027-02-10..2027-02-11 off Spring Festival")
    assert saved.text.splitlines()[0] == "Saved. Planning takes it into account from now on:"
    assert saved.text.splitlines()[1].startswith("2027-02-10 CN: day off – Spring Festival (entered by ")
    [work] = await harness.send(coordinator, "/holiday CN 2027-02-20 work Fri 调休")
    assert work.text.splitlines()[1].startswith("2027-02-20 CN: working day with Fri's hours – 调休")
    [listed] = await harness.send(coordinator, "/holidays CN")
    assert [line[:10] for line in listed.text.splitlines()[1:]] == ["2027-02-10", "2027-02-11", "2027-02-20"]
    [removed] = await harness.send(coordinator, "/holiday CN 2027-02-11 remove")
    assert removed.text.splitlines()[0] == "Removed; the holiday calendar's own word counts again for:"
    [listed] = await harness.send(coordinator, "/holidays")
    assert len(listed.text.splitlines()) == 3


async def test_bad_input_gets_an_answer_in_the_readers_language_and_others_are_refused(harness: Harness) -> None:
    german = FakeUser(COORDINATOR_ID, "Ana", language_code="de")
    await harness.send(german, "/start")
    [answer] = await harness.send(german, "/holiday CN 2027-02-30 off Kaputt")
    assert answer.text == "„2027-02-30“ ist kein Datum; schreiben Sie 2027-02-10, oder 2027-02-10..2027-02-17 für mehrere Tage."
    [answer] = await harness.send(german, "/holiday CN morgen")
    assert answer.text.startswith("Bitte schreiben Sie es so: /holiday CN 2027-02-10 off")
    await harness.send(german, "/addcity Panjin; CN; Asia/Shanghai; China")
    [link] = await harness.send(german, "/invite Panjin")
    await harness.send(LI, f"/start {invite_code(link.text)}")
    [refused] = await harness.send(LI, "/holiday CN 2027-02-10 off 春节")
    assert refused.text == "只有项目协调人可以执行此操作。"
    [unknown] = await harness.send(LI, "/holiday XX 2027-02-10 off 春节")
    assert unknown.text == refused.text  # the permission is checked before anything is parsed for others
    [listed] = await harness.send(german, "/holidays")
    assert listed.text.startswith("Es sind keine offiziellen Tage eingetragen.")


async def test_hours_show_the_official_days_ahead_of_the_city_and_its_partners(harness: Harness, coordinator: FakeUser) -> None:
    paola = FakeUser(3001, "Paola", language_code="en")
    await harness.send(coordinator, "/start")
    for line in ("/addcity Panjin; CN; Asia/Shanghai; China", "/addcity Ravenna; IT; Europe/Rome; EU"):
        await harness.send(coordinator, line)
    for user, city in ((LI, "Panjin"), (paola, "Ravenna")):
        [link] = await harness.send(coordinator, f"/invite {city}")
        await harness.send(user, f"/start {invite_code(link.text)}")
    await harness.send(LI, "/hours Mon-Fri 09:00-17:00")
    # Within the 21-day horizon from 2027-03-22; the third is beyond it and not shown.
    await harness.send(coordinator, "/holiday CN 2027-03-31 off National mourning day")
    await harness.send(coordinator, "/holiday CN 2027-04-10 work Mon")
    await harness.send(coordinator, "/holiday CN 2027-05-20 off Later")
    [answer] = await harness.send(paola, "/hours Mon-Fri 08:00-12:00")
    lines = answer.text.splitlines()
    assert lines[-3:] == [
        "Official days ahead, entered by the coordinators:",
        "2027-03-31, Panjin: day off – National mourning day",
        "2027-04-10, Panjin: working day with Mon's hours",
    ]
