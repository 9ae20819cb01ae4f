"""Configuration: every class of bad config is one clear line naming the key; secrets stay secret."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import Config, ConfigError, config_from_mapping, load_config, parse_duration

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456789:AAHfake-token-for-tests_only_abcdefgh"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tandem.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_config_loads_and_equals_the_defaults() -> None:
    config = load_config(ROOT / "config.example.toml", env={})
    assert dataclasses.replace(config, source="x") == dataclasses.replace(Config(), source="x")


def test_the_example_documents_every_key_the_loader_knows() -> None:
    example = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    sections = {f.name: f.type for f in dataclasses.fields(Config) if f.name != "source"}
    for section in sections:
        assert f"[{section}]" in example, section
        section_class = type(getattr(Config(), section))
        for field in dataclasses.fields(section_class):
            key = {"topics": "[[programme.topics]]", "coordinators": "[[programme.coordinators]]"}.get(field.name, field.name)
            if field.name == "admin_chat_id":
                key = "admin_chat_id ="
            assert re.search(rf"(^|\n)#? ?{re.escape(key)}", example), f"{section}.{field.name} is not documented"


def test_the_commented_examples_in_the_example_are_valid_too(tmp_path: Path) -> None:
    example = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    uncommented = re.sub(r"(?m)^# ((?:\[\[|[a-z_]+ = ).*)$", r"\1", example)
    config = load_config(write(tmp_path, uncommented), env={})
    assert config.programme.coordinators[0].telegram_id == 123456789
    assert config.programme.topics[0].titles["zh"] == "湿地生态保护"
    assert config.telegram.admin_chat_id == -1001234567890


def test_a_scenario_like_config_is_read_whole(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path,
            """
[programme]
name = "Panjin – EU pilot cities cooperation"
pairing = "across"
groups = ["China", "EU"]
[[programme.topics]]
key = "wetlands"
en = "Ecological protection of wetlands"
zh = "湿地生态保护"
[[programme.coordinators]]
telegram_id = 1001
language = "de"
[scheduling]
horizon = "21d"
min_notice = "48h"
[reminders]
offsets = ["1h", "24h"]
""",
        ),
        env={},
    )
    assert [c.telegram_id for c in config.programme.coordinators] == [1001]
    assert config.scheduling.min_notice == timedelta(hours=48)
    assert config.reminders.offsets == (timedelta(hours=24), timedelta(hours=1))


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ("[telegram]\ntokn = 'x'\n", r"tandem\.toml: telegram\.tokn: unknown key"),
        ("[telgram]\n", r"tandem\.toml: telgram: unknown key"),
        ("[scheduling]\nmax_sessions_per_city_per_day = 'two'\n", r"scheduling\.max_sessions_per_city_per_day: expected integer, got str"),
        ("[scheduling]\nauto_confirm = 1\n", r"scheduling\.auto_confirm: expected bool, got int"),
        ("[programme]\ntimezone = 'Europe/Berln'\n", r'programme\.timezone: unknown time zone "Europe/Berln"'),
        ("[scheduling]\nmin_notice = '48 hours'\n", r'scheduling\.min_notice: "48 hours" is not a duration'),
        ("[reminders]\noffsets = ['24h', 'soon']\n", r'reminders\.offsets\[1\]: "soon" is not a duration'),
        ("[[programme.coordinators]]\ntelegram_id = '@maria'\n", r"programme\.coordinators\[0\]\.telegram_id: expected integer, got str"),
        ("[[programme.coordinators]]\nname = 'x'\n", r"programme\.coordinators\[0\]\.telegram_id: is required"),
        ("[database]\nurl = 'postgresql://u@h/db'\n", r"database\.url: must start with sqlite\+aiosqlite:// or postgresql\+asyncpg://"),
        ("[programme]\npairing = 'sometimes'\n", r'programme\.pairing: "sometimes" is not one of across, any'),
        ("[meeting]\nlink_template = 'https://meet.jit.si/fixed'\n", r"meeting\.link_template: must contain"),
        ("[scheduling]\ngranularity = '7m'\n", r"scheduling\.granularity: must divide an hour"),
        ("[telegram]\nmode = 'webhook'\nwebhook_url = 'https://x.example/hook'\n", r"telegram\.webhook_secret: is required in webhook mode"),
        ("[[programme.topics]]\nkey = 'wetlands'\nzh = '湿地'\n", r"programme\.topics\[0\]\.en: every topic needs an English title"),
        ("[telegram]\nconcurrent_updates = 0\n", r"telegram\.concurrent_updates: must be a positive whole number, got 0"),
        ("[telegram\n", r"tandem\.toml: not valid TOML"),
        (
            "[email]\nimap_host = 'imap.example.org'\nimap_port = 143\nimap_security = 'none'\nimap_username = 'p'\nimap_password = 'x'\n",
            r'email\.imap_security: "none" sends the password unencrypted; .* not imap\.example\.org: use "tls" or "starttls"',
        ),
        (
            "[email]\nimap_host = '192.0.2.7'\nimap_security = 'none'\nimap_username = 'p'\nimap_password = 'x'\n",
            r'email\.imap_security: "none" .* not 192\.0\.2\.7',
        ),
    ],
)
def test_each_class_of_bad_config_is_one_line_naming_the_key(tmp_path: Path, toml: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, toml), env={})
    message = str(caught.value)
    assert re.search(expected, message), message
    assert "\n" not in message


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "127.0.1.1", "::1", "[::1]"])
def test_imap_without_tls_is_allowed_to_a_server_on_this_machine(tmp_path: Path, host: str) -> None:
    toml = f"[email]\nimap_host = '{host}'\nimap_port = 143\nimap_security = 'none'\nimap_username = 'p'\nimap_password = 'x'\n"
    assert load_config(write(tmp_path, toml), env={}).email.imap_security == "none"


def test_a_missing_file_says_how_to_start_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file.*config.example.toml"):
        load_config(tmp_path / "missing.toml", env={})


def test_environment_overrides_secrets_and_database(tmp_path: Path) -> None:
    config = load_config(
        write(tmp_path, "[telegram]\ntoken = ''\n"),
        env={"TANDEM_TELEGRAM_TOKEN": TOKEN, "TANDEM_DATABASE_URL": "postgresql+asyncpg://u@h/db"},
    )
    assert config.telegram.token == TOKEN
    assert config.database.url == "postgresql+asyncpg://u@h/db"


def test_a_bad_token_is_refused_without_echoing_it() -> None:
    bad = "not-a-token-but-a-secret-nonetheless"
    with pytest.raises(ConfigError) as caught:
        config_from_mapping({}, env={"TANDEM_TELEGRAM_TOKEN": bad})
    assert "telegram.token" in str(caught.value)
    assert bad not in str(caught.value)


def test_the_token_never_shows_in_a_repr_or_str_of_the_config() -> None:
    config = config_from_mapping({}, env={"TANDEM_TELEGRAM_TOKEN": TOKEN, "TANDEM_SMTP_PASSWORD": "hunter2-smtp"})
    for text in (repr(config), str(config), repr(config.telegram), repr(config.telegram.token), repr(config.email)):
        assert TOKEN not in text
        assert "hunter2-smtp" not in text


@pytest.mark.parametrize(("text", "expected"), [("90m", timedelta(minutes=90)), ("24h", timedelta(hours=24)), ("7d", timedelta(days=7)), ("30s", timedelta(seconds=30)), ("2w", timedelta(weeks=2))])
def test_durations_are_read(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "h", "1.5h", "-1h", "24", "24 hours", "1y"])
def test_malformed_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)
