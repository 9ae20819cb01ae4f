"""`tandem run` serves the pages beside the bot on one port; /web and the menu button open them."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import time
from pathlib import Path

import httpx

from bot.config import Secret, WebConfig
from bot.domain import Actor
from offline_bot_api import FakeBotApi, FakeUser, serve_bot_api
from storage.db import upgrade_async
from tandem.server import listening_socket
from tests.conversation.harness import COORDINATOR_ID, invite_code, start_harness, stop_harness
from tests.web.support import SECRET, WebClient
from web.app import create_app

TOKEN = "987654321:AAH-real-looking-secret-token_xyz1234"


def reply_markup(api: FakeBotApi, chat_id: int) -> dict[str, object]:
    [*_, call] = [c for c in api.calls("sendMessage") if int(c.params["chat_id"]) == chat_id]
    markup = call.params["reply_markup"]
    return json.loads(markup) if isinstance(markup, str) else markup


async def test_over_https_web_and_the_menu_button_open_the_mini_app(tmp_path: Path) -> None:
    harness = await start_harness(tmp_path, web=WebConfig(enabled=True, secret=Secret(SECRET), base_url="https://tandem.example.org"))
    try:
        assert harness.api.menu_button() == {"type": "web_app", "text": "Tandem", "web_app": {"url": "https://tandem.example.org/app"}}
        coordinator = FakeUser(COORDINATOR_ID, "Coco")
        await harness.send(coordinator, "/start")
        [answer] = await harness.send(coordinator, "/web")
        [[button]] = reply_markup(harness.api, COORDINATOR_ID)["inline_keyboard"]
        assert button["web_app"] == {"url": "https://tandem.example.org/app"}
        assert "web" in [command for command, _ in harness.api.commands()]
    finally:
        await stop_harness(harness)


async def test_over_http_web_sends_a_personal_link_that_signs_in_as_the_telegram_user(tmp_path: Path) -> None:
    harness = await start_harness(tmp_path, web=WebConfig(enabled=True, secret=Secret(SECRET)))
    try:
        assert harness.api.menu_button() == {"type": "commands"}  # Telegram opens Mini Apps from https only
        coordinator, ana = FakeUser(COORDINATOR_ID, "Coco"), FakeUser(3001, "Ana", language_code="de")
        await harness.send(coordinator, "/start")
        await harness.send(coordinator, "/addcity Hamburg; DE; Europe/Berlin; EU")
        [link] = await harness.send(coordinator, "/invite Hamburg")
        await harness.send(ana, f"/start {invite_code(link.text or '')}")
        [answer] = await harness.send(ana, "/web")
        url = answer.buttons[0][0].url
        assert url is not None and url.startswith("http://127.0.0.1:8080/sign-in/")
        services = harness.services
        client = WebClient(create_app(services.config, lambda: services, bot_token=str(services.config.telegram.token)))
        try:
            await client.sign_in_with(url)
            home = await client.get("/")
            assert home.status_code == 200 and "Ana" in home.text
            person = await services.sign_in.visitor(by=Actor.telegram(3001))
            assert person is not None and person.city is not None and person.city.name == "Hamburg"
        finally:
            await client.aclose()
    finally:
        await stop_harness(harness)


async def test_web_without_the_web_app_says_so(tmp_path: Path) -> None:
    harness = await start_harness(tmp_path)
    try:
        [answer] = await harness.send(FakeUser(COORDINATOR_ID, "Coco"), "/web")
        assert answer.text == "The web pages are not switched on for this programme."
    finally:
        await stop_harness(harness)


async def test_tandem_run_serves_the_pages_and_the_health_check_beside_long_polling_and_stops_on_sigterm(tmp_path: Path) -> None:
    api = FakeBotApi(token=TOKEN)
    database = f"sqlite+aiosqlite:///{tmp_path}/tandem.sqlite3"
    await upgrade_async(database)
    probe = listening_socket("127.0.0.1", 0)
    port = probe.getsockname()[1]
    probe.close()
    ana = FakeUser(1001, "Ana", language_code="de")
    async with serve_bot_api(api) as base_url:
        config = tmp_path / "tandem.toml"
        config.write_text(
            f'[telegram]\napi_base_url = "{base_url}"\n[database]\nurl = "{database}"\n'
            f'[web]\nenabled = true\nport = {port}\n'
            '[[programme.coordinators]]\ntelegram_id = 1001\nlanguage = "de"\n',
            encoding="utf-8",
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tandem.cli", "run", "--config", str(config),
            env={"TANDEM_TELEGRAM_TOKEN": TOKEN, "TANDEM_WEB_SECRET": SECRET, "PATH": "/usr/bin:/bin"},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 30
            health = None
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                while health is None and time.monotonic() < deadline:
                    try:
                        health = await client.get("/healthz")
                    except httpx.TransportError:
                        await asyncio.sleep(0.1)
                assert health is not None and health.status_code == 200
                assert health.json()["database"] == "ok" and health.json()["sender"] == "ok"
                page = await client.get("/sign-in", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
                assert page.status_code == 200 and "登录" in page.text
            api.queue_update(api.user_sends(ana, "/start"))  # the updater polls beside the server
            while not [m for m in api.sent_to(ana) if m.sender == "bot"] and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
        finally:
            process.send_signal(signal.SIGTERM)
            out, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert [m for m in api.sent_to(ana) if m.sender == "bot"]
    assert process.returncode == 0, err.decode()[-2000:]
    assert TOKEN not in (out + err).decode() and SECRET not in (out + err).decode()
