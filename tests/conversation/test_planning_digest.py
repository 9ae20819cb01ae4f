"""A planning run over hundreds of matches sends each coordinator one message, not hundreds:
a summary they page through, each planned match with a button confirming its best slot."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from benchmarks.load.programme import fill
from bot import callback_data
from bot.domain import MatchStatus
from offline_bot_api import FakeUser
from tests.conversation.harness import COORDINATOR_ID, start_harness, stop_harness

ANA = FakeUser(COORDINATOR_ID, "Ana", language_code="en")
LONGEST_NAME = 120  # what /addcity and /editcity accept


async def test_450_planned_matches_are_one_digest_per_coordinator_paged_with_buttons_within_telegrams_limits(tmp_path: Path) -> None:
    h = await start_harness(tmp_path)
    try:
        await h.send(ANA, "/start")  # the coordinator's chat
        assert await fill(h.services.uow_factory, h.services.config) >= 400
        async with h.services.uow_factory() as uow:  # the worst names: as long as a city name may be
            for i, city in enumerate(await uow.cities.list()):
                await uow.cities.save(replace(city, name=f"{i:03d} " + "Ü" * (LONGEST_NAME - 4)))
            await uow.commit()
        while await h.deliver():  # the match notices first (fill's contacts never opened a chat: Ana hears of it)
            pass
        before = len(h.api.sent_to(ANA))
        report = await h.services.planning.plan_and_notify()
        assert report.planned + report.unschedulable >= 400
        await h.deliver()
        messages = h.api.sent_to(ANA)[before:]
        assert len(messages) <= 3  # the target per planning run (beside the digest: the once-a-year holiday warnings)
        [digest] = [m for m in messages if (m.text or "").startswith("Planning:")]  # one message for all its matches
        assert digest.text is not None and f"{report.planned} matches have a new proposed time" in digest.text

        confirmable: list[str] = []
        pages = 0
        current = digest
        while True:
            pages += 1
            assert len(current.text or "") <= 4096
            confirmable += [b.callback_data for row in current.buttons for b in row if b.callback_data.startswith("slot:")]
            forward = [b for row in current.buttons for b in row if b.text == "›"]
            if not forward:
                break
            await h.tap(ANA, current, forward[0].callback_data)
            current = h.current(ANA, digest)
        assert len(confirmable) == report.planned == len(set(confirmable))  # every planned match once, across the pages
        assert pages >= report.planned // 8

        # A confirm button on a later page confirms that match, as /pending's would.
        match_id, _ = callback_data.CONFIRM_SLOT.parse(confirmable[-1])
        await h.tap(ANA, current, confirmable[-1])
        async with h.services.uow_factory() as uow:
            confirmed = await uow.matches.get(match_id)
        assert confirmed is not None and confirmed.status is MatchStatus.CONFIRMED
    finally:
        await stop_harness(h)
