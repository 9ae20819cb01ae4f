"""The board's matches page: every match with its status, filtered; confirm, move, cancel and end from the board.

The board calls the chat's services, so the first tap wins across both, and the cities hear of a
board change exactly as of the same change in the chat (the same notices, queued by the same code).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from bot.domain import Actor, MatchStatus, NoticeKind, SessionStatus
from tests.web.support import (
    COORDINATOR,
    HAMBURG_CONTACT,
    LISBON_CONTACT,
    OTHER_COORDINATOR,
    Programme,
    WebClient,
    sign_in_by_mini_app,
)


async def three_matches(programme: Programme) -> dict[str, int]:
    """Panjin–Hamburg on wetlands and on agriculture (both planned), Panjin–Lisbon on tourism (Lisbon has no hours: open)."""
    services = programme.services
    wang, hamburg, lisbon = Actor.contact(programme.wang_fang), Actor.telegram(HAMBURG_CONTACT), Actor.telegram(LISBON_CONTACT)
    await services.availability.set_hours(by=wang, text="Mon-Fri 14:00-18:00")
    await services.availability.set_hours(by=hamburg, text="Mon-Fri 09:00-17:00")
    topics = {c.topic.key: c.topic.id for c in (await services.interests.overview(by=wang)).choices}
    await services.interests.save_choices(by=hamburg, choices={topics["wetlands"]: "Elbe marshes", topics["agriculture"]: None})
    await services.interests.save_choices(by=lisbon, choices={topics["tourism"]: None})
    view = await services.interests.save_choices(by=wang, choices={t: None for t in topics.values()})
    await services.planning.plan_and_notify()
    found = {}
    for match in view.new_matches:
        key = next(k for k, v in topics.items() if v == match.topic_id)
        found[key] = match.id
    return found


async def proposals(programme: Programme, match_id: int) -> list[datetime]:
    async with programme.services.uow_factory() as uow:
        return [start for start, _ in await uow.matches.proposals(match_id)]


async def statuses(programme: Programme) -> dict[int, MatchStatus]:
    async with programme.services.uow_factory() as uow:
        return {v.match.id: v.match.status for v in await uow.matches.views()}


def article(html: str, match_id: int) -> str:
    found = re.search(rf'<article[^>]*id="match-{match_id}".*?</article>', html, re.S)
    assert found, f"match {match_id} is not on the page"
    return found.group(0)


async def test_the_board_shows_every_match_with_its_status_and_filters_by_city_topic_and_status(programme: Programme, client: WebClient) -> None:
    matches = await three_matches(programme)
    assert (await sign_in_by_mini_app(client, COORDINATOR, now=programme.clock.now())).headers["location"] == "/"
    assert (await client.get("/")).headers["location"] == "/board"
    page = await client.get("/board")
    assert page.status_code == 200
    wetlands = article(page.text, matches["wetlands"])
    assert "Panjin – Hamburg" in wetlands and "planned" in wetlands and "Elbe marshes" in wetlands
    assert len(re.findall(r'action="/board/matches/\d+/confirm"', wetlands)) == 3  # the planner's choice and two alternatives
    assert "Waiting for both cities&#39; hours." in article(page.text, matches["tourism"])
    # Filters: by status, by city, by topic.
    planned = await client.get("/board?status=planned")
    assert f'id="match-{matches["tourism"]}"' not in planned.text and f'id="match-{matches["agriculture"]}"' in planned.text
    lisbon = await client.get(f"/board?city={programme.lisbon}")
    assert re.findall(r'id="match-(\d+)"', lisbon.text) == [str(matches["tourism"])]
    topics = {c.topic.key: c.topic.id for c in (await programme.services.interests.overview(by=Actor.contact(programme.wang_fang))).choices}
    wetlands_only = await client.get(f"/board?topic={topics['wetlands']}")
    assert re.findall(r'id="match-(\d+)"', wetlands_only.text) == [str(matches["wetlands"])]
    assert "1 matches" in wetlands_only.text or "1 match" in wetlands_only.text


async def test_a_coordinator_confirms_an_alternative_moves_and_cancels_from_the_board(programme: Programme, client: WebClient) -> None:
    matches = await three_matches(programme)
    await sign_in_by_mini_app(client, COORDINATOR, now=programme.clock.now())
    first, second, _ = await proposals(programme, matches["wetlands"])
    answer = await client.post(f"/board/matches/{matches['wetlands']}/confirm", {"start": second.isoformat(), "back": "/board?status=planned"}, form_page="/board")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/board?status=planned&done=confirmed")
    async with programme.services.uow_factory() as uow:
        session = await uow.sessions.of_match(matches["wetlands"])
        assert session is not None and session.start_utc == second
        invited = {c.id for c, _ in await uow.sessions.participants(session.id)}
        invitations = [m for m in await uow.outbox.list() if m.kind == NoticeKind.INVITATION.value and m.session_id == session.id]
    assert {programme.wang_fang, programme.hamburg_contact} <= invited
    assert {m.contact_id for m in invitations} == invited  # as after a tap in the chat: every participant, every channel
    page = await client.get("/board?status=confirmed")
    assert "Cancel the session" in article(page.text, matches["wetlands"])
    # Move: the other common times, one tapped.
    move = await client.get(f"/board/sessions/{session.id}/move?back=/board")
    assert move.status_code == 200
    start = re.findall(r'name="start" value="([^"]+)"', move.text)[0]
    answer = await client.post(f"/board/sessions/{session.id}/move", {"start": start, "sequence": "0", "back": "/board"}, form_page=f"/board/sessions/{session.id}/move")
    assert answer.status_code == 303
    async with programme.services.uow_factory() as uow:
        moved = await uow.sessions.get(session.id)
        assert moved is not None and moved.sequence == 1 and moved.start_utc == datetime.fromisoformat(start)
        assert {m.contact_id for m in await uow.outbox.list() if m.kind == NoticeKind.UPDATE.value} == invited
    # Cancel, with a reason everyone reads.
    refused = await client.post(f"/board/sessions/{session.id}/cancel", {"reason": "  "}, form_page="/board")
    assert refused.status_code == 400
    answer = await client.post(f"/board/sessions/{session.id}/cancel", {"reason": "The mayor is travelling", "back": "/board"}, form_page="/board")
    assert answer.status_code == 303
    async with programme.services.uow_factory() as uow:
        cancelled = await uow.sessions.get(session.id)
        assert cancelled is not None and cancelled.status is SessionStatus.CANCELLED
        notices = [m for m in await uow.outbox.list() if m.kind == NoticeKind.CANCELLATION.value]
    assert {m.contact_id for m in notices} == invited and all(m.payload["reason"] == "The mayor is travelling" for m in notices)
    assert (await statuses(programme))[matches["wetlands"]] is MatchStatus.CANCELLED
    # End a live match: both cities are told, as after a decline.
    answer = await client.post(f"/board/matches/{matches['tourism']}/end", {"back": "/board"}, form_page="/board")
    assert answer.status_code == 303 and (await statuses(programme))[matches["tourism"]] is MatchStatus.DECLINED


async def test_the_first_tap_wins_between_the_board_and_the_chat_and_the_loser_reads_who_won(programme: Programme, client: WebClient) -> None:
    matches = await three_matches(programme)
    await sign_in_by_mini_app(client, COORDINATOR, now=programme.clock.now())
    board = await client.get("/board")  # the board shows the slots; meanwhile the other coordinator taps one in the chat
    [start, *_] = await proposals(programme, matches["agriculture"])
    await programme.services.sessions.confirm(matches["agriculture"], start, by=Actor.telegram(OTHER_COORDINATOR))
    token = re.search(r'name="csrf" value="([^"]+)"', board.text)
    assert token
    late = await client.http.post(f"/board/matches/{matches['agriculture']}/confirm", data={"csrf": token.group(1), "start": start.isoformat()})
    assert late.status_code == 409 and "Already confirmed by Other coordinator." in late.text
    async with programme.services.uow_factory() as uow:
        assert len(await uow.sessions.views(statuses=[SessionStatus.CONFIRMED])) == 1


async def test_a_time_that_was_never_offered_is_refused_and_changes_nothing(programme: Programme, client: WebClient) -> None:
    matches = await three_matches(programme)
    await sign_in_by_mini_app(client, COORDINATOR, now=programme.clock.now())
    before = await statuses(programme)
    for start in ["2027-03-30T03:00:00+00:00", "not a time", "2027-03-30T03:00:00"]:
        answer: Any = await client.post(f"/board/matches/{matches['wetlands']}/confirm", {"start": start}, form_page="/board")
        assert answer.status_code in (400, 409) and "That did not work" in answer.text, start
    assert await statuses(programme) == before
