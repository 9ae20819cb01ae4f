"""Starting the bot: a revoked token is one clear line, and the token never reaches a log."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.app import build_application
from bot.config import config_from_mapping
from bot.logging_setup import install_redaction
from handlers.offline import FakeBotApi, serve_bot_api
from storage.db import upgrade_async
from tests.tandem_command import tandem_command

TOKEN = "987654321:AAH-real-looking-secret-token_xyz1234"


async def wait_until(condition: Callable[[], bool], process: asyncio.subprocess.Process, ceiling: float = 60) -> bool:
    """True as soon as ``condition()`` holds; False at once if the process ends first, or after
    ``ceiling`` seconds (far above the second or two an answer takes on a busy machine)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + ceiling
    while not condition():
        if process.returncode is not None or loop.time() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def migrated_sqlite(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path}/tandem.sqlite3"
    await upgrade_async(url)
    return url


async def test_a_revoked_token_stops_tandem_run_with_one_line_that_does_not_show_it(tmp_path: Path) -> None:
    api = FakeBotApi(token=TOKEN)
    api.revoke_token()
    database = await migrated_sqlite(tmp_path)
    async with serve_bot_api(api) as base_url:
        config = tmp_path / "tandem.toml"
        config.write_text(f'[telegram]\napi_base_url = "{base_url}"\n[database]\nurl = "{database}"\n', encoding="utf-8")
        process = await asyncio.create_subprocess_exec(
            *tandem_command(), "run", "--config", str(config),
            env={"TANDEM_TELEGRAM_TOKEN": TOKEN, "PATH": "/usr/bin:/bin"},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    text = (out + err).decode()
    assert process.returncode == 1
    assert err.decode().strip().splitlines()[-1] == (
        "tandem: Telegram rejected the bot token (mistyped or revoked): copy the current one from @BotFather"
    )
    assert "Traceback" not in text
    assert TOKEN not in text and TOKEN.split(":")[1] not in text


@pytest.mark.parametrize("http_log_level", [logging.WARNING, logging.DEBUG])
async def test_the_token_never_appears_in_any_log_line_even_from_httpx_and_telegram(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, http_log_level: int
) -> None:
    """httpx logs request URLs, which contain the token; the redaction filter must catch them all."""
    api = FakeBotApi(token=TOKEN)
    database = await migrated_sqlite(tmp_path)
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(http_log_level)
    redactor = install_redaction([TOKEN])
    caplog.handler.addFilter(redactor)
    try:
        async with serve_bot_api(api) as base_url:
            config = config_from_mapping(
                {"telegram": {"api_base_url": base_url}, "database": {"url": database}},
                env={"TANDEM_TELEGRAM_TOKEN": TOKEN},
            )
            application = build_application(config)
            async with application:
                me = await application.bot.get_me()
                assert me.username == api.username
                with pytest.raises(Exception):
                    await application.bot.send_message(chat_id=42, text="nobody is there")
    finally:
        caplog.handler.removeFilter(redactor)
        for name in ("httpx", "httpcore"):
            logging.getLogger(name).setLevel(logging.NOTSET)
    assert caplog.records, "nothing was logged, so nothing was checked"
    if http_log_level == logging.DEBUG:
        assert any("[REDACTED]" in r.getMessage() for r in caplog.records)  # the URL was logged, redacted
    assert all(TOKEN not in (r.getMessage() + (r.exc_text or "")) for r in caplog.records)
    assert TOKEN not in caplog.text


async def test_tandem_run_polls_answers_a_person_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    """The main job for real: `tandem run` against a Bot API on loopback, long polling."""
    import signal

    from handlers.offline import FakeUser

    api = FakeBotApi(token=TOKEN)
    database = await migrated_sqlite(tmp_path)
    ana = FakeUser(1001, "Ana", language_code="de")
    async with serve_bot_api(api) as base_url:
        config = tmp_path / "tandem.toml"
        config.write_text(
            f'[telegram]\napi_base_url = "{base_url}"\n[database]\nurl = "{database}"\n'
            '[[programme.coordinators]]\ntelegram_id = 1001\nlanguage = "de"\n',
            encoding="utf-8",
        )
        process = await asyncio.create_subprocess_exec(
            *tandem_command(), "run", "--config", str(config),
            env={"TANDEM_TELEGRAM_TOKEN": TOKEN, "PATH": "/usr/bin:/bin"},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        try:
            api.queue_update(api.user_sends(ana, "/start"))
            answered = await wait_until(lambda: any(m.sender == "bot" for m in api.sent_to(ana)), process)
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    answers = [m for m in api.sent_to(ana) if m.sender == "bot"]
    assert answered, f"no answer from tandem run (exit code {process.returncode}): {err.decode()[-2000:]}"
    assert answers[0].text.startswith("Sie koordinieren")
    assert process.returncode == 0, err.decode()[-2000:]
    assert TOKEN not in (out + err).decode()
    assert any(c.method == "getUpdates" for c in api.calls())
