"""How a session went is told only after it ended: a follow-up answer before then changes nothing and says why.

Issue 12 saw a forged "it took place" button accepted on 1 Dec for a session on 3 Dec, and
/roadmap showed it. Here a contact forges the follow-up button (there is no real one yet) before
the session, during it, and after it; only the last is recorded.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot import callback_data
from offline_bot_api import FakeUser
from tests.conversation.harness import COORDINATOR_ID, Harness, start_harness, stop_harness
from tests.conversation.test_session_flow import panjin_and_lisbon_join, proposal

NOT_YET = {
    "en": "Session #1 has not ended yet, so there is nothing to report; nothing was recorded. Tell how it went once it is over.",
    "zh": "会议 #1 尚未结束，因此还没有可报告的内容；未记录任何内容。请在会议结束后再告诉我们会议情况。",
}
NO_REPORT_YET = "No city has reported on a session yet."


async def confirmed(h: Harness, coordinator: FakeUser, li: FakeUser, miguel: FakeUser) -> tuple[int, object]:
    await panjin_and_lisbon_join(h, coordinator, li, miguel)
    await h.services.planning.plan_and_notify()
    await h.deliver()
    offer = proposal(h, coordinator)
    start = callback_data.CONFIRM_SLOT.parse(offer.buttons[0][0].callback_data)[1]
    await h.tap(coordinator, offer, offer.buttons[0][0].callback_data)
    await h.deliver()
    [view] = await h.services.sessions.schedule(by=None)  # type: ignore[arg-type]
    return view.session.id, start


async def test_a_forged_follow_up_before_the_end_changes_nothing_and_says_why(tmp_path: Path) -> None:
    h = await start_harness(tmp_path)
    try:
        coordinator = FakeUser(COORDINATOR_ID, "Ana", language_code="en")
        li = FakeUser(2001, "Li Wei", language_code="zh")
        miguel = FakeUser(7001, "Miguel", language_code="en")
        session_id, start = await confirmed(h, coordinator, li, miguel)
        took_place = callback_data.FOLLOW_UP.build(session_id, 1)
        for moment in (timedelta(days=-2), timedelta(minutes=30), timedelta(minutes=59)):  # before it, during it
            h.clock.set(start + moment)  # type: ignore[operator]
            [own] = await h.send(miguel, "/help")
            answer = await h.tap(miguel, own, took_place)
            assert answer == {"text": NOT_YET["en"], "show_alert": True}
            assert h.api.last_sent_to(miguel).message_id == own.message_id  # no question for next steps
            [zh_own] = await h.send(li, "/help")
            assert (await h.tap(li, zh_own, took_place))["text"] == NOT_YET["zh"]
            [roadmap] = await h.send(coordinator, "/roadmap")
            assert roadmap.text == NO_REPORT_YET
            [after] = await h.send(miguel, "a study visit")  # the bot did not start waiting for next steps
            assert after.text.startswith("I did not expect a message here.")

        h.clock.set(start + timedelta(minutes=60))  # type: ignore[operator]
        [own] = await h.send(miguel, "/help")
        assert await h.tap(miguel, own, took_place) == {}
        assert h.api.last_sent_to(miguel).text == "Thank you. What are the next steps? Send them in one message (or /cancel)."
        [noted] = await h.send(miguel, "A study visit in May")
        assert noted.text == "Noted for the programme's roadmap. Thank you!"
        [roadmap] = await h.send(coordinator, "/roadmap")
        assert "• Lisbon (Miguel): took place\n  Next steps: A study visit in May" in roadmap.text
    finally:
        await stop_harness(h)
