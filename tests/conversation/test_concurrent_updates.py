"""Updates run concurrently (``[telegram] concurrent_updates``), one chat's in order.

Driven as ``tandem run`` runs in polling mode: the updater fetches the updates from the offline Bot
API (``getUpdates``) and python-telegram-bot hands them to Tandem's update processor
(``handlers.ordering.OneChatInOrder``); nothing of ours is replaced.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from telegram.request import RequestData

from bot.config import TelegramConfig
from bot.domain import MatchStatus, NoticeKind
from handlers.ordering import OneChatInOrder
from offline_bot_api import FakeBotApi, FakeUser, OfflineRequest
from storage.db import upgrade_async
from storage.models import OutboxRow
from tandem.app import ENGINE_KEY
from tests.conversation.harness import Harness, invite_code, open_harness, stop_harness

PAOLA = FakeUser(3001, "Paola", language_code="en")
LI = FakeUser(2001, "Li Wei", language_code="en")


async def register(h: Harness, coordinator: FakeUser, contact: FakeUser, city: str, country: str, zone: str, group: str) -> None:
    await h.send(coordinator, f"/addcity {city}; {country}; {zone}; {group}")
    [link] = await h.send(coordinator, f"/invite {city}")
    [welcome] = await h.send(contact, f"/start {invite_code(link.text)}")
    assert welcome.text.startswith("Welcome! You now speak for")


async def test_one_persons_rapid_updates_are_handled_and_answered_in_the_order_sent(harness: Harness, coordinator: FakeUser) -> None:
    await harness.send(coordinator, "/start")
    await register(harness, coordinator, PAOLA, "Ravenna", "IT", "Europe/Rome", "EU")
    before = len(harness.api.sent_to(PAOLA))
    settings = [f"/hours Mon 09:00-{hour:02}:00" for hour in range(10, 22)]
    async with harness.polling():
        for text in [*settings, "/hours"]:  # all at once: one getUpdates answer brings them together
            harness.queue(harness.api.user_sends(PAOLA, text))
        await harness.eventually(lambda: len(harness.api.sent_to(PAOLA)) - before == len(settings) + 1)
    processor = harness.application.update_processor  # stopped: every update has run to its end
    assert isinstance(processor, OneChatInOrder)
    assert processor.busy_chats == 0, "the chat's line outlived its last update"
    answers = [message.text for message in harness.api.sent_to(PAOLA)[before:]]
    expected = [f"Meeting hours of Ravenna (Europe/Rome): Mon 09:00-{hour:02}:00" for hour in range(10, 22)]
    assert answers == [*expected, expected[-1]]  # each answer in turn, and the last setting is the one kept


class HoldingRequest(OfflineRequest):
    """The offline Bot API, except that what is sent to one chat waits until released: a slow
    network to that person (the request layer, python-telegram-bot's boundary, is all it changes)."""

    def __init__(self, api: FakeBotApi, chat_id: int) -> None:
        super().__init__(api)
        self.chat_id = chat_id
        self.holding = asyncio.Event()
        self.released = asyncio.Event()

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        if request_data is not None and request_data.parameters.get("chat_id") == self.chat_id and url.endswith(("/sendMessage", "/editMessageText")):
            self.holding.set()
            await self.released.wait()
        return await super().do_request(url, method, request_data, *args, **kwargs)


@pytest.fixture
async def held(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[tuple[Harness, HoldingRequest]]:
    """A running Tandem whose answers to Paola wait; ``request.param``: ``[telegram] concurrent_updates``."""
    url = f"sqlite+aiosqlite:///{tmp_path}/tandem.sqlite3"
    await upgrade_async(url)
    api = FakeBotApi()
    slow = HoldingRequest(api, PAOLA.id)
    running = await open_harness(url, api=api, request=slow, concurrent_updates=request.param)
    try:
        yield running, slow
    finally:
        slow.released.set()
        await stop_harness(running)


@pytest.mark.parametrize("held", [TelegramConfig.concurrent_updates], indirect=True)
async def test_a_slow_answer_to_one_person_does_not_hold_up_another(held: tuple[Harness, HoldingRequest]) -> None:
    harness, slow = held
    async with harness.polling():
        try:
            harness.queue(harness.api.user_sends(PAOLA, "/help"))
            await asyncio.wait_for(slow.holding.wait(), 30)  # Paola's answer is on its way, and stays there
            harness.queue(harness.api.user_sends(LI, "/help"))
            await harness.eventually(lambda: bool(harness.api.sent_to(LI)), ceiling=10)
            assert harness.api.sent_to(PAOLA) == [], "Li was answered while Paola's answer was still held"
        finally:
            slow.released.set()  # else stopping would wait for Paola's update for ever
        await harness.eventually(lambda: bool(harness.api.sent_to(PAOLA)))
    assert harness.api.sent_to(LI)[0].text == harness.api.sent_to(PAOLA)[0].text  # both got /help's answer


@pytest.mark.parametrize("held", [1], indirect=True)
async def test_with_one_update_at_a_time_everyone_waits_for_the_slow_answer(held: tuple[Harness, HoldingRequest]) -> None:
    harness, slow = held
    async with harness.polling():
        try:
            harness.queue(harness.api.user_sends(PAOLA, "/help"))
            await asyncio.wait_for(slow.holding.wait(), 30)
            harness.queue(harness.api.user_sends(LI, "/help"))
            await asyncio.sleep(1)  # far longer than answering /help takes
            assert harness.api.sent_to(LI) == []
        finally:
            slow.released.set()
        await harness.eventually(lambda: bool(harness.api.sent_to(LI)))
    assert harness.application.update_processor.max_concurrent_updates == 1


CITIES = 10  # per group: 10 x 10 pairs x 2 topics = 200 matches from 40 taps at once


@pytest.fixture
async def on_each_database(database_url: str) -> AsyncIterator[Harness]:
    running = await open_harness(database_url)
    try:
        yield running
    finally:
        await stop_harness(running)


async def test_many_contacts_choosing_the_same_topics_at_once_get_every_match_once(on_each_database: Harness, coordinator: FakeUser) -> None:
    harness = on_each_database
    await harness.send(coordinator, "/start")
    contacts = {}
    for n in range(CITIES):
        for group, country, zone, first_id in (("China", "CN", "Asia/Shanghai", 20_000), ("EU", "IT", "Europe/Rome", 30_000)):
            contact = FakeUser(first_id + n, f"Contact {group} {n}", language_code="en")
            await register(harness, coordinator, contact, f"{group} city {n}", country, zone, group)
            contacts[contact] = group
    keyboards = {contact: (await harness.send(contact, "/topics"))[0] for contact in contacts}
    processor = harness.application.update_processor
    taps = []
    peak = 0
    async with harness.polling():
        for contact, keyboard in keyboards.items():
            for row in keyboard.buttons[:2]:  # both topics, two taps in a row by each contact
                taps.append(harness.queue(harness.api.user_taps(contact, keyboard.message_id, row[0].callback_data)))

        def all_answered() -> bool:
            nonlocal peak
            peak = max(peak, processor.current_concurrent_updates)
            return all(harness.api.callback_answer(tap) is not None for tap in taps)

        await harness.eventually(all_answered, ceiling=120)
    assert peak > 1, "the taps were handled one at a time: this test did not race them"
    async with harness.services.uow_factory() as uow:
        topics = {topic.id for topic in await uow.topics.list()}
        cities = {city.name: city.id for city in await uow.cities.list()}
        matches = await uow.matches.with_status(*MatchStatus)
    expected = {
        (*sorted((cities[f"China city {a}"], cities[f"EU city {b}"])), topic)
        for a in range(CITIES) for b in range(CITIES) for topic in topics
    }
    assert len(expected) == 2 * CITIES * CITIES
    assert sorted((*m.city_ids, m.topic_id) for m in matches) == sorted(expected), "a match lost or made twice"
    assert all(m.is_live for m in matches)
    # Both sides heard of each match once: one notice per contact and match, none lost, none twice.
    async with harness.application.bot_data[ENGINE_KEY].connect() as connection:
        notices = (await connection.execute(
            select(OutboxRow.contact_id, OutboxRow.payload).where(OutboxRow.kind == NoticeKind.MATCH_NOTICE.value)
        )).all()
    told = sorted((contact_id, payload["match_id"]) for contact_id, payload in notices)
    assert len(told) == len(set(told)) == 2 * len(expected)
    for contact, keyboard in keyboards.items():  # each keyboard shows both topics chosen, in the end
        chosen = [text for text in harness.current(contact, keyboard).button_texts() if text.startswith("✅")]
        assert chosen == ["✅ Ecological protection of wetlands", "✅ Tourism planning"]
