"""Stale buttons say what happened: the session moved (to when), was cancelled (and why), or was confirmed by someone else.

Issue 12: a coordinator who moved a session and then tapped a time offered before the move was
told "Someone changed this session first". Each case below taps a button drawn before the change
and reads the answer, written out here in full (not rebuilt from the catalogs), and checks that
nothing changed.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from bot import callback_data
from bot.domain import SessionStatus
from offline_bot_api import FakeUser
from tests.conversation.harness import COORDINATOR_ID, Harness, start_harness, stop_harness
from tests.conversation.test_session_flow import panjin_and_lisbon_join, proposal

FIRST_SLOT = datetime(2027, 3, 29, 8, 30, tzinfo=timezone.utc)


async def planned(h: Harness, language: str) -> FakeUser:
    coordinator = FakeUser(COORDINATOR_ID, "Ana", language_code=language)
    await panjin_and_lisbon_join(h, coordinator, FakeUser(2001, "Li Wei", language_code="zh"), FakeUser(7001, "Miguel", language_code="en"))
    await h.services.planning.plan_and_notify()
    await h.deliver()
    return coordinator


async def session_start(h: Harness) -> tuple[datetime, SessionStatus]:
    async with h.services.uow_factory() as uow:
        [view] = await uow.sessions.views()
    return view.session.start_utc, view.session.status


async def test_a_time_offered_before_a_move_says_where_the_session_went(tmp_path: Path) -> None:
    h = await start_harness(tmp_path, coordinator_language="de")
    try:
        coordinator = await planned(h, "de")
        offer = proposal(h, coordinator)
        await h.tap(coordinator, offer, offer.buttons[0][0].callback_data)
        [listed] = await h.send(coordinator, "/schedule")
        await h.tap(coordinator, listed, listed.button("Verschieben").callback_data)
        options = h.current(coordinator, listed)
        first, second = options.buttons[0][0].callback_data, options.buttons[1][0].callback_data
        await h.tap(coordinator, options, first)
        moved_to, _ = await session_start(h)
        assert moved_to == callback_data.RESCHEDULE_TO.parse(first)[2] != FIRST_SLOT

        answer = await h.tap(coordinator, options, second)  # offered before the move
        expected = (
            "Diese Zeit wurde angeboten, bevor die Sitzung auf Di., 30. März 2027, 10:30 Berlin (UTC+2) · 16:30 Panjin (UTC+8) · "
            "09:30 Lisbon (UTC+1) verschoben wurde; es wurde nichts geändert."
        )
        assert answer == {"text": expected, "show_alert": True}
        assert h.current(coordinator, options).text.startswith(expected + "\n\n#1 Panjin – Lisbon: Tourismusplanung\n")
        assert (await session_start(h))[0] == moved_to  # not moved again
    finally:
        await stop_harness(h)


async def test_buttons_from_before_a_cancellation_say_it_was_cancelled_and_why(tmp_path: Path) -> None:
    h = await start_harness(tmp_path)
    try:
        coordinator = await planned(h, "en")
        offer = proposal(h, coordinator)
        await h.tap(coordinator, offer, offer.buttons[0][0].callback_data)
        [listed] = await h.send(coordinator, "/schedule")
        await h.tap(coordinator, listed, listed.button("Move").callback_data)
        options = h.current(coordinator, listed)
        [again] = await h.send(coordinator, "/schedule")
        await h.tap(coordinator, again, again.button("Cancel").callback_data)
        await h.send(coordinator, "Typhoon warning in Panjin")

        expected = "This button is from before the session was cancelled; nothing changed.\nReason: Typhoon warning in Panjin"
        answer = await h.tap(coordinator, options, options.buttons[0][0].callback_data)  # a time offered for the move
        assert answer == {"text": expected, "show_alert": True}
        assert h.current(coordinator, options).text.startswith(expected + "\n\n#1 Panjin – Lisbon: Tourism planning\nMon 29 Mar 2027, 10:30 Berlin")
        assert h.current(coordinator, options).buttons == []
        for stale in (again.history[0].buttons[0][0].callback_data, again.history[0].buttons[0][1].callback_data):  # Move, Cancel
            assert (await h.tap(coordinator, again, stale))["text"] == expected
        assert await session_start(h) == (FIRST_SLOT, SessionStatus.CANCELLED)
    finally:
        await stop_harness(h)


async def test_a_slot_tapped_after_someone_else_confirmed_says_who(tmp_path: Path) -> None:
    h = await start_harness(tmp_path, coordinator_language="zh")
    try:
        coordinator = await planned(h, "zh")
        offer = proposal(h, coordinator)
        match_id, _ = callback_data.CONFIRM_SLOT.parse(offer.buttons[0][0].callback_data)
        assert await h.services.sessions.confirm_best(match_id)  # Tandem confirms on its own ([scheduling] auto_confirm)
        await h.tap(coordinator, offer, offer.buttons[1][0].callback_data)  # another time of the same offer
        assert h.current(coordinator, offer).text.startswith("已由 Tandem 确认。\n#1 Panjin – Lisbon：旅游规划\n")
        assert await session_start(h) == (FIRST_SLOT, SessionStatus.CONFIRMED)
    finally:
        await stop_harness(h)
