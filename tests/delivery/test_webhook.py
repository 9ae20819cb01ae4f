"""Webhook mode on a real local server: the secret token is checked, and `tandem run` delivers."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
from telegram import Update
from telegram.ext import TypeHandler

from bot.config import config_from_mapping
from bot.domain import OutboxStatus
from bot.notices.reminders import queue_reminders
from offline_bot_api import DEFAULT_TOKEN, FakeBotApi, FakeUser, OfflineRequest, serve_bot_api
from storage.db import create_engine, create_session_factory, upgrade_async
from storage.uow import UnitOfWorkFactory
from tandem.app import build_application
from tandem.server import listening_socket, serve
from tests.delivery.conftest import make_programme
from tests.delivery.test_telegram_delivery import eventually

SECRET = "s3cret-Token_1"
HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALICE = FakeUser(id=1002, first_name="Ana", language_code="de")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def post(port: int, update: dict[str, Any], headers: dict[str, str]) -> int:
    async with httpx.AsyncClient() as client:
        answer = await client.post(f"http://127.0.0.1:{port}/", content=json.dumps(update),
                                   headers={"Content-Type": "application/json", **headers})
    return answer.status_code


async def test_the_webhook_processes_an_update_with_the_secret_token_and_refuses_others_with_403(tmp_path: Path) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path}/tandem.sqlite3"
    await upgrade_async(database)
    api = FakeBotApi(require_known_chats=False)
    from bot.clock import ManualClock

    config = config_from_mapping(
        {"database": {"url": database}, "telegram": {"mode": "webhook", "webhook_url": "https://bot.example.org/", "webhook_secret": SECRET}},
        env={"TANDEM_TELEGRAM_TOKEN": DEFAULT_TOKEN},
    )
    application = build_application(config, request=OfflineRequest(api), clock=ManualClock(datetime(2027, 3, 22, 8, tzinfo=timezone.utc)))
    assert application.updater is None  # no tornado: the webhook route is ours (tandem/server.py)
    seen: list[int] = []

    async def record(update: Update, context: Any) -> None:
        seen.append(update.update_id)

    application.add_handler(TypeHandler(Update, record), group=-100)  # before every handler of the bot
    sock = listening_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    stop = asyncio.Event()
    # What `tandem run` does in webhook mode.
    running = asyncio.create_task(serve(application, config, stop=stop, sock=sock))
    try:
        await eventually(lambda: api.webhook() is not None)
        assert api.webhook()["secret_token"] == SECRET and api.webhook()["url"] == "https://bot.example.org/"
        wrong, missing, right, after = (api.user_sends(ALICE, f"/start {n}") for n in range(4))
        await eventually(lambda: application.running)
        assert await post(port, wrong, {HEADER: "guessed"}) == 403
        assert await post(port, missing, {}) == 403
        assert await post(port, right, {HEADER: SECRET}) == 200
        assert await post(port, after, {HEADER: SECRET}) == 200
        # Both accepted updates arrive; a refused one that slipped through would have arrived by
        # then too (each is queued before its answer), so nothing is left to wait for.
        await eventually(lambda: len(seen) >= 2)
        assert sorted(seen) == sorted([right["update_id"], after["update_id"]])
        async with httpx.AsyncClient() as client:  # the same port answers the health check
            health = await client.get(f"http://127.0.0.1:{port}/healthz")
        assert health.status_code == 200 and health.json()["database"] == "ok"
    finally:
        stop.set()
        await asyncio.wait_for(running, timeout=30)


async def test_tandem_run_in_webhook_mode_checks_the_secret_delivers_due_reminders_and_stops_on_sigterm(tmp_path: Path) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path}/tandem.sqlite3"
    await upgrade_async(database)
    engine = create_engine(database)
    uow_factory = UnitOfWorkFactory(create_session_factory(engine))
    real_now = datetime.now(timezone.utc)  # the subprocess runs on the system clock
    programme = await make_programme(uow_factory, start_utc=real_now + timedelta(hours=3))
    async with uow_factory() as uow:  # the 1 h reminders are not due yet; make one due now
        queued = await queue_reminders(uow, programme.session, [programme.lisbon_contact], [timedelta(hours=3)], real_now, email_enabled=False)
        assert len(queued) == 1
        await uow.commit()

    api = FakeBotApi(token=DEFAULT_TOKEN, require_known_chats=False)
    port = free_port()
    async with serve_bot_api(api) as base_url:
        config = tmp_path / "tandem.toml"
        config.write_text(
            "[telegram]\n"
            f'mode = "webhook"\napi_base_url = "{base_url}"\nwebhook_url = "https://bot.example.org/"\n'
            f'webhook_listen = "127.0.0.1"\nwebhook_port = {port}\nwebhook_secret = "{SECRET}"\n'
            f'[database]\nurl = "{database}"\n',
            encoding="utf-8",
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tandem.cli", "run", "--config", str(config),
            env={"TANDEM_TELEGRAM_TOKEN": DEFAULT_TOKEN, "PATH": "/usr/bin:/bin"},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        try:
            await eventually(lambda: api.webhook() is not None, timeout=30)
            assert api.webhook()["secret_token"] == SECRET and api.webhook()["url"] == "https://bot.example.org/"
            await eventually(lambda: len(api.sent_to(programme.lisbon_contact.chat_id)) == 1, timeout=30)  # the reminder
            assert await post(port, api.user_sends(ALICE, "/help"), {HEADER: "guessed"}) == 403
            assert await post(port, api.user_sends(ALICE, "/help"), {}) == 403
            assert await post(port, api.user_sends(ALICE, "/help"), {HEADER: SECRET}) == 200
            await eventually(lambda: len(api.sent_to(programme.lisbon_contact.chat_id)) == 2, timeout=30)
        finally:
            process.send_signal(signal.SIGTERM)
            out, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, err.decode()[-2000:]
    sent = api.sent_to(programme.lisbon_contact.chat_id)
    reminders = [m for m in sent if (m.text or "").startswith("Erinnerung: Ihr Gespräch mit Panjin")]
    assert len(reminders) == 1
    assert len(sent) == 2, [m.text for m in sent]  # and one answer: to the /help that carried the secret
    async with uow_factory() as uow:
        assert [m.status for m in await uow.outbox.list()] == [OutboxStatus.SENT]
    await engine.dispose()
