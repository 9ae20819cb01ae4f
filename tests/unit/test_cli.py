"""The tandem command: help for everything, and one clear line for every expected failure."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tandem.cli import main

TOKEN = "123456789:AAHfake-token-for-tests_only_abcdefgh"


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def write_config(tmp_path: Path, database: Path, extra: str = "") -> Path:
    path = tmp_path / "tandem.toml"
    path.write_text(f'[database]\nurl = "sqlite+aiosqlite:///{database}"\n{extra}', encoding="utf-8")
    return path


def test_help_lists_every_command() -> None:
    result = subprocess.run([sys.executable, "-m", "tandem.cli", "--help"], capture_output=True, text=True, check=True)
    for command in ("run", "db", "holidays"):
        assert command in result.stdout
    upgrade = subprocess.run([sys.executable, "-m", "tandem.cli", "db", "upgrade", "--help"], capture_output=True, text=True, check=True)
    assert "--config" in upgrade.stdout
    holidays = subprocess.run([sys.executable, "-m", "tandem.cli", "holidays", "import", "--help"], capture_output=True, text=True, check=True)
    assert "--country" in holidays.stdout and "--config" in holidays.stdout


def test_run_without_a_token_says_how_to_get_one_and_points_to_the_demo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TANDEM_TELEGRAM_TOKEN", raising=False)
    code, _, err = run_cli(["run", "--config", str(write_config(tmp_path, tmp_path / "t.sqlite3"))], capsys)
    assert code != 0
    assert err.count("\n") == 1
    assert "@BotFather" in err and "tandem demo" in err


def test_run_on_a_missing_database_names_the_fix_and_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TANDEM_TELEGRAM_TOKEN", TOKEN)
    database = tmp_path / "t.sqlite3"
    code, _, err = run_cli(["run", "--config", str(write_config(tmp_path, database))], capsys)
    assert code != 0
    assert "tandem db upgrade" in err and err.count("\n") == 1
    assert not database.exists()
    assert TOKEN not in err


def test_run_refuses_a_database_whose_schema_is_behind(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    monkeypatch.setenv("TANDEM_TELEGRAM_TOKEN", TOKEN)
    database = tmp_path / "t.sqlite3"
    sqlite3.connect(database).close()  # exists, but has no schema
    code, _, err = run_cli(["run", "--config", str(write_config(tmp_path, database))], capsys)
    assert code != 0
    assert "schema is empty" in err and "`tandem db upgrade`" in err


def test_db_upgrade_creates_the_schema_and_then_run_gets_past_the_database_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from bot.config import load_config
    from tandem.cli import _preflight_database

    database = tmp_path / "t.sqlite3"
    config_path = write_config(tmp_path, database)
    code, out, _ = run_cli(["db", "upgrade", "--config", str(config_path)], capsys)
    assert code == 0 and "up to date" in out
    asyncio.run(_preflight_database(load_config(config_path, env={})))  # raises if behind


def test_an_unreachable_database_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TANDEM_TELEGRAM_TOKEN", TOKEN)
    monkeypatch.setenv("TANDEM_DATABASE_URL", "postgresql+asyncpg://nobody:pw-secret@127.0.0.1:1/none")
    code, _, err = run_cli(["run"], capsys)
    assert code != 0
    assert "cannot reach the database" in err and err.count("\n") == 1
    assert "pw-secret" not in err
    code, _, err = run_cli(["db", "upgrade"], capsys)
    assert code != 0 and "cannot upgrade the database" in err and err.count("\n") == 1


def test_a_bad_config_is_one_line_and_exit_code_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "tandem.toml"
    path.write_text("[scheduling]\nmin_notice = 'soon'\n", encoding="utf-8")
    code, _, err = run_cli(["run", "--config", str(path)], capsys)
    assert code == 2
    assert err == f'tandem: {path}: scheduling.min_notice: "soon" is not a duration such as "90m", "24h" or "7d"\n'


def test_a_wrong_driver_is_refused_before_anything_connects(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "tandem.toml"
    path.write_text('[database]\nurl = "sqlite:///t.sqlite3"\n', encoding="utf-8")
    code, _, err = run_cli(["db", "upgrade", "--config", str(path)], capsys)
    assert code == 2 and "database.url: must start with sqlite+aiosqlite://" in err
    assert not (tmp_path / "t.sqlite3").exists()


def test_export_writes_both_files_and_refuses_a_missing_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    database = tmp_path / "t.sqlite3"
    config_path = write_config(tmp_path, database)
    code, _, err = run_cli(["export", "--config", str(config_path), "--out", str(tmp_path / "out")], capsys)
    assert code != 0 and "tandem db upgrade" in err and not database.exists()
    assert run_cli(["db", "upgrade", "--config", str(config_path)], capsys)[0] == 0
    code, out, _ = run_cli(["export", "--config", str(config_path), "--out", str(tmp_path / "out")], capsys)
    assert code == 0 and "0 confirmed sessions" in out
    assert (tmp_path / "out" / "tandem-schedule.ics").read_bytes().startswith(b"BEGIN:VCALENDAR")
    assert (tmp_path / "out" / "tandem-schedule.csv").exists()
