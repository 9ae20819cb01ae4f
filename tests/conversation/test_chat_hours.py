"""/hours and /away through the real Application (the planner parses the hours and finds the overlaps).

The planner is imported, not skipped when missing: a broken import fails these tests."""

from __future__ import annotations

from bot.planner import parse_weekly_hours, weekly_overlap  # noqa: F401 - fail here, loudly, if the planner breaks
from offline_bot_api import FakeUser
from tests.conversation.harness import Harness, invite_code

LI = FakeUser(2001, "Li Wei", language_code="zh")
PAOLA = FakeUser(3001, "Paola", language_code="de")


async def setup(h: Harness, coordinator: FakeUser) -> None:
    await h.send(coordinator, "/start")
    for line in ("/addcity Panjin; CN; Asia/Shanghai; China", "/addcity Ravenna; IT; Europe/Rome; EU"):
        await h.send(coordinator, line)
    for user, city in ((LI, "Panjin"), (PAOLA, "Ravenna")):
        [link] = await h.send(coordinator, f"/invite {city}")
        await h.send(user, f"/start {invite_code(link.text)}")


async def test_hours_from_a_preset_and_free_text_answer_with_the_overlap_in_own_time(harness: Harness, coordinator: FakeUser) -> None:
    await setup(harness, coordinator)
    [li_hours] = await harness.send(LI, "/hours")
    await harness.tap(LI, li_hours, li_hours.buttons[0][0].callback_data)  # Mon-Fri 09:00-17:00
    assert harness.current(LI, li_hours).text.startswith("Panjin 的会议时间")
    [paola_hours] = await harness.send(PAOLA, "/hours")
    await harness.tap(PAOLA, paola_hours, paola_hours.button("Eigene Zeiten eingeben").callback_data)
    [answer] = await harness.send(PAOLA, "Mon-Fri 08:00-12:00")
    # 2027-03-22: Rome is UTC+1, Shanghai UTC+8; Panjin's 09:00-17:00 is 02:00-10:00 in Rome.
    assert "Mit Panjin (Asia/Shanghai) überschneiden Sie sich Mo.-Fr. 08:00-10:00 Ihrer Zeit." in answer.text


async def test_malformed_hours_are_explained_and_nothing_is_saved(harness: Harness, coordinator: FakeUser) -> None:
    await setup(harness, coordinator)
    [answer] = await harness.send(PAOLA, "/hours Mon-Fri 09:00-25:00")
    assert "25" in answer.text
    [shown] = await harness.send(PAOLA, "/hours")
    assert shown.text.startswith("Ravenna hat noch keine Besprechungszeiten")


async def test_days_away_are_added_listed_and_removed(harness: Harness, coordinator: FakeUser) -> None:
    await setup(harness, coordinator)
    [listing] = await harness.send(PAOLA, "/away 2027-04-01, 2027-04-06..2027-04-07")
    assert listing.text == "Abwesenheiten von Ravenna: 1. Apr. 2027, 6.–7. Apr. 2027 (2 Tage). Tippen Sie auf eine, um sie zu entfernen."
    assert listing.button_texts() == ["🗑 1. Apr. 2027", "🗑 6.–7. Apr. 2027", "Abwesenheitstage hinzufügen"]
    await harness.tap(PAOLA, listing, listing.buttons[1][0].callback_data)  # the two days of April 6-7
    await harness.tap(PAOLA, listing, listing.buttons[1][0].callback_data)  # the second tap removes nothing more
    assert harness.current(PAOLA, listing).button_texts() == ["🗑 1. Apr. 2027", "Abwesenheitstage hinzufügen"]
    [past] = await harness.send(PAOLA, "/away 2027-01-01")
    assert past.text == "2027-01-01 liegt in der Vergangenheit; es wurde nichts gespeichert."


async def test_a_long_absence_is_one_period_not_a_list_of_every_day(harness: Harness, coordinator: FakeUser) -> None:
    await setup(harness, coordinator)
    [listing] = await harness.send(LI, "/away 2027-04-05..2027-12-31")
    # CLDR's interval pattern puts thin spaces (U+2009) around the dash.
    assert listing.text == "Panjin 的不在日期：2027年4月5日\u2009–\u200912月31日（共 271 天）。点击其中一项即可删除。"
    assert listing.button_texts()[0] == "🗑 2027年4月5日\u2009–\u200912月31日"
    await harness.tap(LI, listing, listing.buttons[0][0].callback_data)
    assert harness.current(LI, listing).text == "Panjin 没有不在日期。公共假日会自动排除。"
