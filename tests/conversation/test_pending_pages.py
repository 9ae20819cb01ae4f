"""/pending is one message a coordinator pages through, not one message per match (200 pending
matches were 200 messages, drained at one a second), and every page keeps Telegram's 4,096 limit."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path

from bot import callback_data
from bot.domain import MatchStatus, NoTimeExplanation, NoTimeReason, WeeklyWindow
from offline_bot_api import FakeUser
from tests.conversation.harness import COORDINATOR_ID, NOW, Harness, start_harness, stop_harness

ANA = FakeUser(COORDINATOR_ID, "Ana", language_code="en")
LONGEST_NAME = 120  # what /addcity and /editcity accept
PLANNED, UNSCHEDULABLE = 200, 20


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


async def add_pending(h: Harness) -> set[int]:
    """``PLANNED`` planned matches (three slots each) and ``UNSCHEDULABLE`` without a common time,
    between cities whose names are as long as a name may be, in characters Telegram counts twice
    (outside the BMP). Returns the planned matches' ids."""
    planned: set[int] = set()
    async with h.services.uow_factory() as uow:
        topic = (await uow.topics.list())[0]
        for n in range(PLANNED + UNSCHEDULABLE):
            names = [f"{n:03d}{side} " + "🏙" * (LONGEST_NAME - 5) for side in "ab"]
            china = await uow.cities.add(name=names[0], country="CN", timezone="Asia/Shanghai", group="China", now_utc=NOW)
            europe = await uow.cities.add(name=names[1], country="PT", timezone="Europe/Lisbon", group="EU", now_utc=NOW)
            for city in (china, europe):  # free all day, so that any offered slot can be confirmed
                await uow.cities.set_weekly_hours(city.id, [WeeklyWindow(day, time(0), time(0)) for day in range(7)])
            match = await uow.matches.create(china.id, europe.id, topic.id, NOW)
            assert match is not None
            if n < PLANNED:
                await uow.matches.transition(match.id, [MatchStatus.OPEN], MatchStatus.PLANNED, NOW)
                await uow.matches.set_proposals(match.id, [(NOW + timedelta(days=7, hours=hour), 1.0) for hour in range(3)])  # a week on: 26 March 2027 is Good Friday in Portugal
                planned.add(match.id)
            else:
                no_time = NoTimeExplanation(NoTimeReason.WINDOWS_NEVER_OVERLAP, match.id)
                await uow.matches.transition(match.id, [MatchStatus.OPEN], MatchStatus.UNSCHEDULABLE, NOW, no_time=no_time)
        await uow.commit()
    return planned


async def test_two_hundred_pending_matches_are_one_message_paged_within_telegrams_limit(tmp_path: Path) -> None:
    h = await start_harness(tmp_path)
    try:
        await h.send(ANA, "/start")
        planned = await add_pending(h)
        [listing] = await h.send(ANA, "/pending")  # one message (the offline Bot API refuses one over 4,096)
        assert listing.text is not None
        assert listing.text.startswith(f"Waiting for confirmation: {PLANNED + UNSCHEDULABLE}. Page 1 of ")

        listed: set[int] = set()
        no_time = 0
        pages = 0
        current = listing
        while True:
            pages += 1
            text = current.text or ""
            assert utf16_units(text) <= 4096
            on_page = {callback_data.CONFIRM_SLOT.parse(b.callback_data)[0] for row in current.buttons for b in row if callback_data.CONFIRM_SLOT.matches(b.callback_data)}
            assert not on_page & listed, "a match on two pages"
            listed |= on_page
            no_time += text.count("Their meeting hours never overlap.")
            forward = [b for row in current.buttons for b in row if b.text == "›"]
            if not forward:
                break
            await h.tap(ANA, current, forward[0].callback_data)
            current = h.current(ANA, listing)
        assert listed == planned  # every planned match once, with its slots as buttons
        assert no_time == UNSCHEDULABLE  # and every match without a time, with why
        assert f"Page {pages} of {pages}:" in (current.text or "")

        # Back a page (and on, past the matches without a time), and a confirm button there confirms that match.
        slots: list[str] = []
        while not slots:
            [back] = [b for row in current.buttons for b in row if b.text == "‹"]
            await h.tap(ANA, current, back.callback_data)
            current = h.current(ANA, listing)
            slots = [b.callback_data for row in current.buttons for b in row if callback_data.CONFIRM_SLOT.matches(b.callback_data)]
        assert f"of {pages}:" in (current.text or "") and f"Page {pages} of" not in (current.text or "")
        slot = slots[0]
        match_id, _ = callback_data.CONFIRM_SLOT.parse(slot)
        await h.tap(ANA, current, slot)
        async with h.services.uow_factory() as uow:
            confirmed = await uow.matches.get(match_id)
        assert confirmed is not None and confirmed.status is MatchStatus.CONFIRMED
        [again] = await h.send(ANA, "/pending")
        assert (again.text or "").startswith(f"Waiting for confirmation: {PLANNED + UNSCHEDULABLE - 1}. Page 1 of ")
    finally:
        await stop_harness(h)


async def test_a_few_pending_matches_are_one_page_without_page_buttons(tmp_path: Path) -> None:
    h = await start_harness(tmp_path)
    try:
        await h.send(ANA, "/start")
        [nothing] = await h.send(ANA, "/pending")
        assert nothing.text == "Nothing is waiting for confirmation."
        async with h.services.uow_factory() as uow:
            topic = (await uow.topics.list())[0]
            a = await uow.cities.add(name="Panjin", country="CN", timezone="Asia/Shanghai", group="China", now_utc=NOW)
            b = await uow.cities.add(name="Ravenna", country="IT", timezone="Europe/Rome", group="EU", now_utc=NOW)
            match = await uow.matches.create(a.id, b.id, topic.id, NOW)
            assert match is not None
            await uow.matches.transition(match.id, [MatchStatus.OPEN], MatchStatus.PLANNED, NOW)
            await uow.matches.set_proposals(match.id, [(NOW + timedelta(days=4), 1.0)])
            await uow.commit()
        [listing] = await h.send(ANA, "/pending")
        assert (listing.text or "").startswith("Waiting for confirmation: 1.\n\nPanjin and Ravenna on “Ecological protection of wetlands”\nTap a time to confirm it:\n• ")
        assert [b.text for row in listing.buttons for b in row if b.text in ("‹", "›")] == []
        assert len(listing.buttons) == 1
    finally:
        await stop_harness(h)
