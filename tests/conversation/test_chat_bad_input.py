"""Every kind of bad input gets a clear answer and changes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot import callback_data
from offline_bot_api import FakeUser
from tests.conversation.harness import Harness, invite_code, open_harness, start_harness, stop_harness

PAOLA = FakeUser(3001, "Paola", language_code="en")
LI = FakeUser(2001, "Li Wei", language_code="zh")
STRANGER = FakeUser(777, "Mallory", language_code="de")
NOT_VALID = "This button is not valid any more. Please use the latest message, or the menu."


async def setup_two_cities(h: Harness, coordinator: FakeUser) -> None:
    await h.send(coordinator, "/start")
    for line in ("/addcity Panjin; CN; Asia/Shanghai; China", "/addcity Ravenna; IT; Europe/Rome; EU"):
        await h.send(coordinator, line)
    for user, city in ((LI, "Panjin"), (PAOLA, "Ravenna")):
        [link] = await h.send(coordinator, f"/invite {city}")
        await h.send(user, f"/start {invite_code(link.text)}")


async def chosen_topics(h: Harness, user: FakeUser) -> list[str]:
    [keyboard] = await h.send(user, "/topics")
    return [text for text in keyboard.button_texts() if text.startswith("✅")]


@pytest.mark.parametrize(
    "forged",
    ["tp:1:1", "tp:x:1:1", "tp:1:1:1:1", "tp:-1:1:1", "zz:1", "lang:", "ar:2:20270231", "hp:2:nosuchpreset", "ma:99999"],
)
async def test_forged_button_data_is_answered_politely_and_changes_nothing(harness: Harness, coordinator: FakeUser, forged: str) -> None:
    await setup_two_cities(harness, coordinator)
    [keyboard] = await harness.send(PAOLA, "/topics")
    answer = await harness.tap(PAOLA, keyboard, forged)
    assert answer is not None and answer["show_alert"] is True and answer["text"]
    assert harness.current(PAOLA, keyboard).edited is False
    assert await chosen_topics(harness, PAOLA) == []


async def test_a_button_for_another_city_is_refused(harness: Harness, coordinator: FakeUser) -> None:
    await setup_two_cities(harness, coordinator)
    [li_keyboard] = await harness.send(LI, "/topics")
    someone_elses = li_keyboard.buttons[0][0].callback_data  # Panjin's city id inside
    [own_keyboard] = await harness.send(PAOLA, "/topics")
    answer = await harness.tap(PAOLA, own_keyboard, someone_elses)
    assert answer["text"] == "This button belongs to another city; it changes nothing for you."
    assert await chosen_topics(harness, LI) == []


async def test_a_double_tap_is_harmless(harness: Harness, coordinator: FakeUser) -> None:
    await setup_two_cities(harness, coordinator)
    [keyboard] = await harness.send(LI, "/topics")
    data = keyboard.buttons[0][0].callback_data
    assert await harness.tap(LI, keyboard, data) == {}
    assert await harness.tap(LI, keyboard, data) == {}  # same state asked again: no error, no change
    assert len(await chosen_topics(harness, LI)) == 1
    [paola_keyboard] = await harness.send(PAOLA, "/topics")
    await harness.tap(PAOLA, paola_keyboard, paola_keyboard.buttons[0][0].callback_data)
    await harness.tap(PAOLA, paola_keyboard, paola_keyboard.buttons[0][0].callback_data)
    assert await harness.deliver() == 2  # one match, one notice per side


async def test_a_stale_match_button_changes_nothing(harness: Harness, coordinator: FakeUser) -> None:
    await setup_two_cities(harness, coordinator)
    for user in (LI, PAOLA):
        [keyboard] = await harness.send(user, "/topics")
        await harness.tap(user, keyboard, keyboard.buttons[0][0].callback_data)
    await harness.deliver()
    notice_li, notice_paola = harness.api.last_sent_to(LI), harness.api.last_sent_to(PAOLA)
    await harness.tap(PAOLA, notice_paola, notice_paola.button("Decline").callback_data)
    answer = await harness.tap(LI, notice_li, notice_li.button("好的，会谈").callback_data)
    assert answer["text"] == "此配对已结束；未作任何更改。"
    answer = await harness.tap(PAOLA, notice_paola, notice_paola.button("Decline").callback_data)
    assert answer["text"] == "This match has ended already; nothing changed."


async def test_a_stranger_pressing_a_city_button_is_refused(harness: Harness, coordinator: FakeUser) -> None:
    await setup_two_cities(harness, coordinator)
    [paola_keyboard] = await harness.send(PAOLA, "/topics")
    [hello] = await harness.send(STRANGER, "/start")
    answer = await harness.tap(STRANGER, hello, paola_keyboard.buttons[0][0].callback_data)
    assert answer["text"] == "Sie sind noch nicht registriert: Öffnen Sie den Einladungslink, den Sie erhalten haben."
    assert await chosen_topics(harness, PAOLA) == []


@pytest.mark.parametrize(
    "command",
    ["/addcity Atlantis; GR; Europe/Athens; EU", "/invite Ravenna", "/cities", "/act Ravenna", "/editcity Ravenna; group; China"],
)
async def test_a_non_coordinator_is_refused_coordinator_commands(harness: Harness, coordinator: FakeUser, command: str) -> None:
    await setup_two_cities(harness, coordinator)
    [answer] = await harness.send(PAOLA, command)
    assert answer.text == "Only the programme's coordinators may do this."
    [listing] = await harness.send(coordinator, "/cities")
    assert "Atlantis" not in listing.text and "Ravenna (IT, Europe/Rome, EU)" in listing.text


async def test_a_non_coordinator_pressing_a_coordinators_button_is_refused(harness: Harness, coordinator: FakeUser) -> None:
    await setup_two_cities(harness, coordinator)
    [message] = await harness.send(PAOLA, "/help")
    slot = callback_data.CONFIRM_SLOT.build(1, datetime(2027, 3, 30, 8, 0, tzinfo=timezone.utc))
    answer = await harness.tap(PAOLA, message, slot)
    assert answer is not None and answer["show_alert"] is True and answer["text"]


@pytest.mark.parametrize("code", ["not-a-code-anyone-issued-xyz", "x", "ab<>cd"])
async def test_a_wrong_code_binds_nothing(harness: Harness, coordinator: FakeUser, code: str) -> None:
    await setup_two_cities(harness, coordinator)
    [answer] = await harness.send(STRANGER, f"/start {code}")
    assert answer.text == "Dieser Einladungslink ist ungültig. Bitte fragen Sie die Programmkoordination nach einem neuen."
    [help_text] = await harness.send(STRANGER, "/help")
    assert "/topics" not in help_text.text


async def test_a_used_code_binds_nobody_else(harness: Harness, coordinator: FakeUser) -> None:
    await harness.send(coordinator, "/addcity Ravenna; IT; Europe/Rome; EU")
    [link] = await harness.send(coordinator, "/invite Ravenna")
    await harness.send(PAOLA, f"/start {invite_code(link.text)}")
    [answer] = await harness.send(STRANGER, f"/start {invite_code(link.text)}")
    assert answer.text == "Dieser Einladungslink wurde bereits verwendet. Bitte fragen Sie die Programmkoordination nach einem neuen."


async def test_an_expired_code_binds_nothing(harness: Harness, coordinator: FakeUser) -> None:
    await harness.send(coordinator, "/addcity Ravenna; IT; Europe/Rome; EU")
    [link] = await harness.send(coordinator, "/invite Ravenna")
    harness.clock.advance(timedelta(days=7, seconds=1))
    [answer] = await harness.send(PAOLA, f"/start {invite_code(link.text)}")
    assert answer.text == "This invite link has expired. Please ask the programme coordinator for a new one."


async def test_a_contact_of_one_city_is_told_when_opening_anothers_link(harness: Harness, coordinator: FakeUser) -> None:
    await setup_two_cities(harness, coordinator)
    [link] = await harness.send(coordinator, "/invite Panjin")
    [answer] = await harness.send(PAOLA, f"/start {invite_code(link.text)}")
    assert answer.text.startswith("You already speak for Ravenna.")


async def test_an_unknown_command_gets_help(harness: Harness) -> None:
    [answer] = await harness.send(PAOLA, "/frobnicate")
    assert answer.text.startswith("I do not know the command /frobnicate.")
    assert "/help" in answer.text and "/start" in answer.text


async def test_free_text_outside_a_conversation_gets_help(harness: Harness) -> None:
    [answer] = await harness.send(LI, "你好")
    assert answer.text.startswith("我没有在等待消息。")
    assert "/language" in answer.text


async def test_bad_city_fields_are_named(harness: Harness, coordinator: FakeUser) -> None:
    [zone] = await harness.send(coordinator, "/addcity Ravenna; IT; Europe/Rom; EU")
    assert zone.text == '"Europe/Rom" is not a time zone; use an IANA name such as Europe/Rome.'
    [group] = await harness.send(coordinator, "/addcity Ravenna; IT; Europe/Rome; Europe")
    assert group.text == '"Europe" is not a group of this programme; use one of: China, EU.'
    [usage] = await harness.send(coordinator, "/addcity Ravenna")
    assert usage.text.startswith("Please write it like this: /addcity")


async def test_a_waiting_note_survives_a_restart(tmp_path: Path) -> None:
    first = await start_harness(tmp_path)
    try:
        coordinator = FakeUser(1001, "Ana")
        await setup_two_cities(first, coordinator)
        [keyboard] = await first.send(PAOLA, "/topics")
        await first.tap(PAOLA, keyboard, keyboard.buttons[0][0].callback_data)
        note_button = first.current(PAOLA, keyboard).buttons[0][1]
        assert note_button.text == "📝"
        await first.tap(PAOLA, keyboard, note_button.callback_data)
        assert first.api.last_sent_to(PAOLA).text.startswith("Send a short note on")
        url = first.services.config.database.url
    finally:
        await stop_harness(first)
    second = await open_harness(url, api=first.api, clock=first.clock)  # a new process, same database
    try:
        replies = await second.send(PAOLA, "We run a 1,200 km² wetland reserve")
        assert replies[0].text == "Note saved."
        assert "📝 Ecological protection of wetlands: We run a 1,200 km² wetland reserve" in replies[1].text
        [after] = await second.send(PAOLA, "more text")
        assert after.text.startswith("I did not expect a message here.")  # the step ended with the answer
    finally:
        await stop_harness(second)


async def test_cancel_ends_a_waiting_step(harness: Harness, coordinator: FakeUser) -> None:
    await setup_two_cities(harness, coordinator)
    [keyboard] = await harness.send(PAOLA, "/topics")
    await harness.tap(PAOLA, keyboard, keyboard.buttons[0][0].callback_data)
    await harness.tap(PAOLA, keyboard, harness.current(PAOLA, keyboard).buttons[0][1].callback_data)
    [cancelled] = await harness.send(PAOLA, "/cancel")
    assert cancelled.text.startswith("Cancelled.")
    [after] = await harness.send(PAOLA, "a note that is no longer expected")
    assert after.text.startswith("I did not expect a message here.")
