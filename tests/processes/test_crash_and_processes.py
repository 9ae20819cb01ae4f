"""Exactly once for real: `tandem run` processes killed with -9 or stopped with SIGTERM in the
middle of a fan-out of reminders, on PostgreSQL (two processes behind a round-robin forwarder)
and on SQLite (one process); counted where Telegram would count them, at the Bot API.

The promise (README, "Reminders and delivery"): nothing is lost; after kill -9 a message goes
out twice only if it was handed over to Telegram when its sender died; after SIGTERM nothing goes
out twice.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from pathlib import Path

import pytest

from offline_bot_api import DEFAULT_TOKEN, FakeBotApi, FakeUser, FloodGuard, serve_bot_api
from storage.db import upgrade_async
from tests.conftest import _postgres_admin
from tests.processes.harness import (
    RoundRobinForwarder,
    TandemProcess,
    claims_of,
    deliveries,
    eventually,
    free_port,
    outbox_statuses,
    postgres_database,
    seed_reminders,
    write_config,
)

REMINDERS = 300
NINA = FakeUser(id=4242, first_name="Nina", language_code="en")


async def require_postgres() -> None:
    admin = await _postgres_admin()  # skips, or fails under TANDEM_REQUIRE_POSTGRES=1, without a server
    assert admin is not None
    await admin.dispose()


def lost_and_twice(api: FakeBotApi, chats: list[int]) -> tuple[int, int]:
    sent = deliveries(api, chats)
    per_chat = {chat: sum(n for (c, _), n in sent.items() if c == chat) for chat in chats}
    return sum(1 for n in per_chat.values() if n == 0), sum(n - 1 for n in per_chat.values() if n > 1)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "sigterm"])
async def test_two_processes_lose_nothing_when_one_dies_mid_fan_out_and_restarts(tmp_path: Path, sig: int) -> None:
    await require_postgres()
    async with postgres_database() as database:
        chats = await seed_reminders(database, REMINDERS)
        api = FakeBotApi(token=DEFAULT_TOKEN, require_known_chats=False, flood_guard=FloodGuard())
        async with serve_bot_api(api) as base_url:
            processes = []
            for name in ("a", "b"):
                port = free_port()
                # Two processes share the bot's 30/s; a short lease so that the test is quick.
                config = write_config(tmp_path / f"{name}.toml", database=database, api_base_url=base_url, port=port,
                                      messages_per_second=15, claim_lease="3s")
                processes.append(TandemProcess(config, port, tmp_path / f"{name}.log"))
            victim, survivor = processes
            forwarder = RoundRobinForwarder(processes)
            async with forwarder.running() as public_url:
                for process in processes:
                    await process.start()
                try:
                    await eventually(lambda: sum(deliveries(api, chats).values()) >= REMINDERS * 3 // 10, timeout=60,
                                     what="30 % of the reminders")
                    await eventually_async_claims(database, victim)
                    stopping = time.monotonic()
                    assert await victim.stop(sig) == (-signal.SIGKILL if sig == signal.SIGKILL else 0), victim.output()[-3000:]
                    stopped_in = time.monotonic() - stopping
                    handed_over = await claims_of(database, [victim.pids[-1]], handed_over=True)
                    sent_at_stop = sum(deliveries(api, chats).values())
                    assert sent_at_stop < REMINDERS, "the fan-out was over before the stop"

                    # A person writes while one process is down: the forwarder reaches the other.
                    assert await api.push_to_webhook(api.user_sends(NINA, "/help"), public_url) == 200
                    await victim.start()  # restarted at once, as a supervisor does
                    await victim.healthy()
                    await eventually(lambda: len(api.sent_to(NINA.id)) >= 1, timeout=30, what="the answer to /help")
                    await eventually(lambda: every_chat_reached(api, chats), timeout=60, what="every reminder")
                    statuses = await settled(database, REMINDERS)
                finally:
                    codes = [await p.stop(signal.SIGTERM) for p in processes if p.alive]
            lost, twice = lost_and_twice(api, chats)
            print(f"\n{signal.Signals(sig).name}: {REMINDERS} reminders, {sent_at_stop} sent at the stop, "
                  f"handed over by the stopped process at the stop: {handed_over}, lost: {lost}, twice: {twice}, "
                  f"webhook calls per process: {dict(forwarder.forwarded)}; stopped in {stopped_in:.1f} s")
            assert codes == [0, 0], survivor.output()[-3000:]
            assert lost == 0
            assert statuses == {"sent": REMINDERS}
            if sig == signal.SIGKILL:
                assert twice <= handed_over
            else:
                assert handed_over == 0 and twice == 0
            assert api.calls("sendMessage") and not [c for c in api.calls("sendMessage") if c.status_code == 429]
            for process in processes:
                assert "Traceback" not in process.output(), process.output()[-3000:]


def every_chat_reached(api: FakeBotApi, chats: list[int]) -> bool:
    return set(chats) <= {chat for chat, _ in deliveries(api, chats)}


async def settled(database: str, expected: int) -> Counter[str]:
    """The outbox once every row is sent (the last results are recorded just after Telegram's answer)."""
    deadline = time.monotonic() + 30
    while (statuses := await outbox_statuses(database)) != {"sent": expected} and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return statuses


async def eventually_async_claims(database: str, process: TandemProcess) -> None:
    """Wait until ``process`` holds claims (it is in the middle of the fan-out, not idle)."""
    deadline = time.monotonic() + 30
    while await claims_of(database, [process.pid]) == 0:
        assert time.monotonic() < deadline, "the process never held a claim"
        await asyncio.sleep(0.01)


async def test_two_processes_started_at_the_same_instant_on_a_fresh_database_both_run(tmp_path: Path) -> None:
    await require_postgres()
    async with postgres_database() as database:
        api = FakeBotApi(token=DEFAULT_TOKEN, require_known_chats=False)
        async with serve_bot_api(api) as base_url:
            processes = []
            for name in ("a", "b"):
                port = free_port()
                config = write_config(tmp_path / f"{name}.toml", database=database, api_base_url=base_url, port=port)
                processes.append(TandemProcess(config, port, tmp_path / f"{name}.log"))
            forwarder = RoundRobinForwarder(processes)
            async with forwarder.running() as public_url:
                await asyncio.gather(*(p.start() for p in processes))
                try:
                    await asyncio.gather(*(p.healthy() for p in processes))
                    for n in range(4):  # each process answers a person (round robin)
                        assert await api.push_to_webhook(api.user_sends(FakeUser(id=7000 + n, first_name="P"), "/help"), public_url) == 200
                    await eventually(lambda: all(api.sent_to(7000 + n) for n in range(4)), timeout=30, what="four answers")
                finally:
                    codes = [await p.stop(signal.SIGTERM) for p in processes if p.alive]
        assert codes == [0, 0], "\n".join(p.output()[-3000:] for p in processes)
        assert sorted(forwarder.forwarded.values()) == [2, 2]
        for process in processes:
            assert "Traceback" not in process.output() and "IntegrityError" not in process.output(), process.output()[-3000:]


async def test_one_process_on_sqlite_killed_with_minus_9_and_restarted_loses_nothing(tmp_path: Path) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path}/tandem.sqlite3"
    await upgrade_async(database)
    chats = await seed_reminders(database, 200)
    api = FakeBotApi(token=DEFAULT_TOKEN, require_known_chats=False, flood_guard=FloodGuard())
    async with serve_bot_api(api) as base_url:
        port = free_port()
        process = TandemProcess(write_config(tmp_path / "tandem.toml", database=database, api_base_url=base_url, port=port),
                                port, tmp_path / "tandem.log")
        await process.start()
        try:
            await eventually(lambda: sum(deliveries(api, chats).values()) >= 60, timeout=60, what="30 % of the reminders")
            assert await process.stop(signal.SIGKILL) == -signal.SIGKILL
            handed_over = await claims_of(database, [process.pids[-1]], handed_over=True)
            sent_at_kill = sum(deliveries(api, chats).values())
            assert sent_at_kill < len(chats), "the fan-out was over before the kill"
            await process.start()  # a new worker id; at start it takes back every claim (SQLite: one process)
            await eventually(lambda: every_chat_reached(api, chats), timeout=60, what="every reminder")
            statuses = await settled(database, len(chats))
        finally:
            code = await process.stop(signal.SIGTERM) if process.alive else None
    lost, twice = lost_and_twice(api, chats)
    print(f"\nSQLite, kill -9: {len(chats)} reminders, {sent_at_kill} sent at the kill, handed over at the kill: {handed_over}, "
          f"lost: {lost}, twice: {twice}")
    assert code == 0, process.output()[-3000:]
    assert lost == 0 and twice <= handed_over
    assert statuses == {"sent": len(chats)}
