"""Text no database can keep (a NUL character, a lone surrogate) gets a clear answer and changes
nothing, on SQLite and PostgreSQL, through the real Application."""

from __future__ import annotations

import logging

import pytest

from offline_bot_api import FakeUser
from tests.conversation.harness import COORDINATOR_ID, Harness, invite_code, open_harness, stop_harness

REFUSED = "Your message contains a character that cannot be saved (U+0000 or a broken character). Nothing was changed; please send it again without it."
PAOLA = FakeUser(3001, "Paola", language_code="en")


async def test_a_nul_in_a_city_name_a_note_or_a_name_is_refused_clearly_on_both_backends(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    h: Harness = await open_harness(database_url)
    coordinator = FakeUser(COORDINATOR_ID, "Ana", language_code="en")
    try:
        await h.send(coordinator, "/start")
        [answer] = await h.send(coordinator, "/addcity Pan\x00jin; CN; Asia/Shanghai; China")
        assert answer.text == REFUSED
        [answer] = await h.send(coordinator, "/addcity Ravenna; IT; Europe/Rome; EU\ud800")
        assert answer.text == REFUSED
        [listing] = await h.send(coordinator, "/cities")
        assert "Panjin" not in (listing.text or "") and "Ravenna" not in (listing.text or "")

        await h.send(coordinator, "/addcity Ravenna; IT; Europe/Rome; EU")
        [link] = await h.send(coordinator, "/invite Ravenna")
        nul_name = FakeUser(3002, "Pa\x00ola", language_code="de")
        [answer] = await h.send(nul_name, f"/start {invite_code(link.text)}")
        assert answer.text.startswith("Ihre Nachricht enthält ein Zeichen")  # in Telegram's language of the sender
        await h.send(PAOLA, f"/start {invite_code(link.text)}")  # the link was not used up
        [keyboard] = await h.send(PAOLA, "/topics")
        await h.tap(PAOLA, keyboard, keyboard.buttons[0][0].callback_data)
        await h.tap(PAOLA, keyboard, h.current(PAOLA, keyboard).buttons[0][1].callback_data)  # 📝
        [answer] = await h.send(PAOLA, "wet\x00lands")
        assert answer.text == REFUSED
        saved, topics = await h.send(PAOLA, "wetlands")  # still waiting for the note: the refused one lost nothing
        assert saved.text == "Note saved." and "wetlands" in (topics.text or "")
    finally:
        await stop_harness(h)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # an answer, never an exception
