"""The whole chat, in each language: invite link → contact joins → topics → a match, both sides told."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot import callback_data
from offline_bot_api import FakeUser, SentMessage
from tests.conversation.harness import COORDINATOR_ID, Harness, invite_code, start_harness, stop_harness

WETLANDS = {"en": "Ecological protection of wetlands", "zh": "湿地生态保护", "de": "Ökologischer Schutz von Feuchtgebieten"}
# A word each language's welcome must contain: proof the catalog, not the English fallback, answered.
WELCOME_WORD = {"en": "Welcome", "zh": "欢迎", "de": "Willkommen"}
# The expected texts, written out per language (not rebuilt with the catalogs under test).
COORDINATE = {"en": "You coordinate Panjin – EU pilot cities.", "zh": "您是 Panjin – EU pilot cities 的协调人。", "de": "Sie koordinieren Panjin – EU pilot cities."}
NEW_PARTNER = {  # (own city, partner): the notice's first line
    "en": {
        "Panjin": "New partner for Panjin: Ravenna (IT) is also interested in “Ecological protection of wetlands”.",
        "Ravenna": "New partner for Ravenna: Panjin (CN) is also interested in “Ecological protection of wetlands”.",
    },
    "zh": {
        "Panjin": "Panjin 有新的合作伙伴：Ravenna（IT）也对“湿地生态保护”感兴趣。",
        "Ravenna": "Ravenna 有新的合作伙伴：Panjin（CN）也对“湿地生态保护”感兴趣。",
    },
    "de": {
        "Panjin": "Neue Partnerstadt für Panjin: Ravenna (IT) interessiert sich ebenfalls für „Ökologischer Schutz von Feuchtgebieten“.",
        "Ravenna": "Neue Partnerstadt für Ravenna: Panjin (CN) interessiert sich ebenfalls für „Ökologischer Schutz von Feuchtgebieten“.",
    },
}
YES, DECLINE = {"en": "Yes, let's meet", "zh": "好的，会谈", "de": "Ja, treffen wir uns"}, {"en": "Decline", "zh": "谢绝", "de": "Ablehnen"}
DECLINED = {
    "en": "Ravenna has declined the meeting on “Ecological protection of wetlands”. Nothing more is planned for this pair.",
    "zh": "Ravenna 已谢绝关于“湿地生态保护”的会谈。此配对不再安排会议。",
    "de": "Ravenna hat das Treffen zu „Ökologischer Schutz von Feuchtgebieten“ abgelehnt. Für dieses Paar wird nichts weiter geplant.",
}


async def add_city_and_invite(h: Harness, coordinator: FakeUser, city: str) -> str:
    [added] = await h.send(coordinator, city)
    assert "/invite" in added.text
    name = city.split(" ", 1)[1].split(";")[0]
    [link] = await h.send(coordinator, f"/invite {name}")
    return invite_code(link.text)


async def choose(h: Harness, user: FakeUser, title: str) -> SentMessage:
    [keyboard] = await h.send(user, "/topics")
    button = next(b for row in keyboard.buttons for b in row if b.text.endswith(title))
    answer = await h.tap(user, keyboard, button.callback_data)
    assert answer == {}  # answered, without an alert
    return h.current(user, keyboard)


@pytest.mark.parametrize("language", ["en", "zh", "de"])
async def test_invite_link_to_match_notice_in_each_language(tmp_path: Path, language: str) -> None:
    h = await start_harness(tmp_path)
    try:
        coordinator = FakeUser(COORDINATOR_ID, "Ana", language_code=language)
        li = FakeUser(2001, "Li Wei", language_code=language)
        paola = FakeUser(3001, "Paola", language_code=language)

        [hello] = await h.send(coordinator, "/start")
        assert COORDINATE[language] in hello.text
        panjin_code = await add_city_and_invite(h, coordinator, "/addcity Panjin; CN; Asia/Shanghai; China")
        ravenna_code = await add_city_and_invite(h, coordinator, "/addcity Ravenna; IT; Europe/Rome; EU")

        [welcome] = await h.send(li, f"/start {panjin_code}")
        assert WELCOME_WORD[language] in welcome.text and "Panjin" in welcome.text
        [welcome] = await h.send(paola, f"/start {ravenna_code}")
        assert WELCOME_WORD[language] in welcome.text and "Ravenna" in welcome.text

        keyboard = await choose(h, li, WETLANDS[language])
        assert f"✅ {WETLANDS[language]}" in keyboard.button_texts() and keyboard.edited
        assert await h.deliver() == 0  # one city alone is no match
        await choose(h, paola, WETLANDS[language])

        assert await h.deliver() == 2
        [notice_li] = [m for m in h.api.sent_to(li) if "Ravenna" in (m.text or "")]
        [notice_paola] = [m for m in h.api.sent_to(paola) if "Panjin" in (m.text or "")]
        for notice, own in ((notice_li, "Panjin"), (notice_paola, "Ravenna")):
            assert notice.text.splitlines()[0] == NEW_PARTNER[language][own]
            assert notice.button_texts() == [YES[language], DECLINE[language]]

        await h.tap(li, notice_li, notice_li.button(YES[language]).callback_data)
        assert h.current(li, notice_li).buttons == []
        await h.tap(paola, notice_paola, notice_paola.button(DECLINE[language]).callback_data)
        assert "Panjin" in h.current(paola, notice_paola).text
        assert await h.deliver() == 1
        told = h.api.last_sent_to(li).text
        assert told == DECLINED[language]
    finally:
        await stop_harness(h)


async def test_language_choice_changes_every_following_answer(harness: Harness, coordinator: FakeUser) -> None:
    await harness.send(coordinator, "/start")
    [question] = await harness.send(coordinator, "/language")
    assert question.button_texts() == ["English", "中文", "Deutsch"]
    await harness.tap(coordinator, question, question.button("Deutsch").callback_data)
    assert harness.current(coordinator, question).text == "Ich schreibe Ihnen ab jetzt auf Deutsch."
    [help_text] = await harness.send(coordinator, "/help")
    assert help_text.text.startswith("Sie koordinieren")


async def test_help_lists_only_what_this_person_may_do(harness: Harness, coordinator: FakeUser) -> None:
    [stranger_help] = await harness.send(FakeUser(777, "Stranger"), "/help")
    [coordinator_help] = await harness.send(coordinator, "/help")
    assert "/invite" in coordinator_help.text and "/addcity" in coordinator_help.text
    assert "/invite" not in stranger_help.text and "/topics" not in stranger_help.text
    assert "/mydata" in stranger_help.text and "invite link" in stranger_help.text


async def test_command_menus_are_localized_and_coordinator_commands_stay_in_coordinator_chats(harness: Harness) -> None:
    default_de = dict(harness.api.commands(None, "de"))
    assert default_de["topics"] == "Themen Ihrer Stadt wählen"
    assert "invite" not in default_de and "invite" not in dict(harness.api.commands(None, "zh"))
    assert dict(harness.api.commands(None, "zh"))["help"] == "我能为您做什么"
    coordinator_menu = dict(harness.api.commands({"type": "chat", "chat_id": COORDINATOR_ID}, "en"))
    assert coordinator_menu["invite"] == "Invite link for a city's contact"
    assert dict(harness.api.commands({"type": "chat", "chat_id": COORDINATOR_ID}, "de"))["cities"] == "Städte auflisten"


async def test_mydata_exports_and_forget_deletes_only_the_person(harness: Harness, coordinator: FakeUser) -> None:
    await harness.send(coordinator, "/start")
    code = await add_city_and_invite(harness, coordinator, "/addcity Ravenna; IT; Europe/Rome; EU")
    paola = FakeUser(3001, "Paola", language_code="en")
    await harness.send(paola, f"/start {code}")
    await choose(harness, paola, WETLANDS["en"])

    [export] = await harness.send(paola, "/mydata")
    data = json.loads(export.document.content)
    assert data["city"]["name"] == "Ravenna" and data["contact"]["display_name"] == "Paola"

    [question] = await harness.send(paola, "/forget")
    await harness.tap(paola, question, callback_data.FORGET_ME.build(1))
    assert harness.current(paola, question).text == "Your personal data has been deleted. Goodbye!"
    await harness.tap(paola, question, callback_data.FORGET_ME.build(1))  # a second tap deletes nothing more
    [after] = await harness.send(paola, "/mydata")
    assert json.loads(after.document.content)["contact"] is None
    await harness.send(coordinator, "/act Ravenna")
    [topics] = await harness.send(coordinator, "/topics")
    assert f"✅ {WETLANDS['en']}" in topics.button_texts()  # the city's interest stayed


async def test_a_coordinator_acts_for_a_city_without_telegram(harness: Harness, coordinator: FakeUser) -> None:
    await harness.send(coordinator, "/start")
    await harness.send(coordinator, "/addcity Panjin; CN; Asia/Shanghai; China")
    [refused] = await harness.send(coordinator, "/topics")
    assert refused.text == "Choose the city you act for first: /act <city>."
    [acting] = await harness.send(coordinator, "/act panjin")
    assert acting.text.startswith("You now act for Panjin")
    keyboard = await choose(harness, coordinator, WETLANDS["en"])
    assert f"✅ {WETLANDS['en']}" in keyboard.button_texts()
    [added] = await harness.send(coordinator, "/addemail Panjin; Li Wei; li.wei@panjin.example.cn")
    assert "li.wei@panjin.example.cn" in added.text
    [listing] = await harness.send(coordinator, "/cities")
    assert "Panjin (CN, Asia/Shanghai, China): 0 on Telegram, 1 by e-mail" in listing.text
