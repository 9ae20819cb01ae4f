"""/hours and /away through the real Application (the planner parses the hours and finds the overlaps).

The planner is imported, not skipped when missing: a broken import fails these tests."""

from __future__ import annotations

from bot.planner import parse_weekly_hours, weekly_overlap  # noqa: F401 - fail here, loudly, if the planner breaks
from handlers.offline import FakeUser
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
    assert len(listing.buttons) == 4  # three days and "add"
    await harness.tap(PAOLA, listing, listing.buttons[0][0].callback_data)
    await harness.tap(PAOLA, listing, listing.buttons[0][0].callback_data)  # the second tap removes nothing more
    assert len(harness.current(PAOLA, listing).buttons) == 3
    [past] = await harness.send(PAOLA, "/away 2027-01-01")
    assert past.text == "2027-01-01 liegt in der Vergangenheit; es wurde nichts gespeichert."
