"""When something of ours fails (the database, a bug), the person is told, and nothing is half-done.

The failures are real: a table of the running bot's SQLite database is renamed away underneath
it by another connection, so the bot's own queries fail as they would with a broken database.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from offline_bot_api import FakeUser
from tandem.app import DELIVERY_CONCURRENCY, ENGINE_KEY
from tests.conversation.harness import Harness, invite_code

FAULT_EN = "Sorry, Tandem could not handle that just now (a fault on our side, and it is logged). Nothing was changed; please try again in a minute."
FAULT_ZH = "抱歉，Tandem 刚才未能处理您的请求（我们这边出了故障，已记录）。未做任何更改；请一分钟后再试。"
LI = FakeUser(2001, "Li Wei", language_code="zh")


def rename_table(tmp_path: Path, old: str, new: str) -> None:
    with sqlite3.connect(tmp_path / "tandem.sqlite3") as db:
        db.execute(f"ALTER TABLE {old} RENAME TO {new}")


async def test_a_person_whose_sender_cannot_be_identified_is_told_to_try_again(
    harness: Harness, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rename_table(tmp_path, "contacts", "contacts_away")
    answers = await harness.send(LI, "/help")
    # In the language Telegram says they use (the database that knows their choice is the broken
    # part), one answer, and no later handler ran without knowing who wrote.
    assert [a.text for a in answers] == [FAULT_ZH]
    assert "could not identify the sender" in caplog.text
    assert "has no attribute 'person'" not in caplog.text
    rename_table(tmp_path, "contacts_away", "contacts")
    [help_text] = await harness.send(LI, "/help")
    assert help_text.text != FAULT_ZH and "/help" in help_text.text  # the usual answer again


async def test_a_handler_failing_halfway_tells_the_person_and_the_log(
    harness: Harness, coordinator: FakeUser, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await harness.send(coordinator, "/start")
    await harness.send(coordinator, "/addcity Panjin; CN; Asia/Shanghai; China")
    [link] = await harness.send(coordinator, "/invite Panjin")
    await harness.send(LI, f"/start {invite_code(link.text)}")
    rename_table(tmp_path, "topics", "topics_away")
    answers = await harness.send(LI, "/topics")
    assert [a.text for a in answers] == [FAULT_ZH]
    assert "unexpected error while handling an update" in caplog.text
    rename_table(tmp_path, "topics_away", "topics")
    [keyboard] = await harness.send(LI, "/topics")
    assert keyboard.buttons  # the topics, as before


async def test_the_database_pool_has_a_connection_for_every_update_handled_at_once(harness: Harness) -> None:
    concurrent = harness.application.bot_data["config"].telegram.concurrent_updates
    pool = harness.application.bot_data[ENGINE_KEY].pool
    assert pool.size() == concurrent + DELIVERY_CONCURRENCY + 8 > 15  # SQLAlchemy's default: 5 (+10)
    assert harness.application.update_processor.max_concurrent_updates == concurrent
