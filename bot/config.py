"""Configuration: one TOML file, validated whole, with secrets from the environment.

``load_config(path)`` reads the file once and returns a frozen :class:`Config`; each part of the
bot then receives only its own section. Every problem is reported as one :class:`ConfigError`
line naming the file and the key, so the bot never starts half-configured.

Environment variables override deployment values and carry the secrets, which should not sit in
a file under version control:

=========================  ==================================
``TANDEM_TELEGRAM_TOKEN``  ``[telegram] token``
``TANDEM_DATABASE_URL``    ``[database] url``
``TANDEM_WEBHOOK_SECRET``  ``[telegram] webhook_secret``
``TANDEM_WEBHOOK_URL``     ``[telegram] webhook_url``
``TANDEM_SMTP_USERNAME``   ``[email] username``
``TANDEM_SMTP_PASSWORD``   ``[email] password``
``TANDEM_IMAP_PASSWORD``   ``[email] imap_password``
``TANDEM_WEB_SECRET``      ``[web] secret``
``TANDEM_WEB_BASE_URL``    ``[web] base_url``
=========================  ==================================
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain import Actor, Pairing, utc
from bot.i18n import SUPPORTED_LANGUAGES

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///tandem.sqlite3"
DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_FILE_BASE_URL = "https://api.telegram.org/file/bot"
ASYNC_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")


class ConfigError(Exception):
    """The configuration cannot be used; the message is one line naming the key."""


class Secret(str):
    """A string that never shows itself in a repr, a log line or an error message."""

    def __repr__(self) -> str:
        return "Secret('***')" if self else "Secret('')"


@dataclass(frozen=True)
class TelegramConfig:
    token: Secret = field(default=Secret(""), repr=False)
    mode: str = "polling"  # or "webhook"
    api_base_url: str = DEFAULT_API_BASE_URL
    file_base_url: str = DEFAULT_FILE_BASE_URL
    webhook_url: str = ""
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_secret: Secret = field(default=Secret(""), repr=False)
    admin_chat_id: int | None = None  # where unexpected errors are reported
    messages_per_second: float = 30.0  # this process's share of Telegram's 30/s (30 / processes)
    concurrent_updates: int = 16  # updates handled at once (one chat's always one at a time, in order)


@dataclass(frozen=True)
class DatabaseConfig:
    url: str = DEFAULT_DATABASE_URL
    echo: bool = False


@dataclass(frozen=True)
class TopicConfig:
    key: str
    titles: Mapping[str, str]  # language -> title; "en" is required


@dataclass(frozen=True)
class CoordinatorConfig:
    telegram_id: int
    name: str = ""
    language: str = "en"
    email: str = ""


@dataclass(frozen=True)
class ProgrammeConfig:
    name: str = "Tandem programme"
    pairing: Pairing = Pairing.ACROSS
    groups: tuple[str, ...] = ()
    default_language: str = "en"
    timezone: str = "UTC"  # the coordinators' zone, for schedules and exports
    organizer_name: str = "Tandem"
    organizer_email: str = "tandem@example.org"
    topics: tuple[TopicConfig, ...] = ()
    coordinators: tuple[CoordinatorConfig, ...] = ()

    def coordinator(self, actor: Actor) -> CoordinatorConfig | None:
        """The coordinator ``actor`` is, if any: the configuration is the one list of coordinators."""
        if actor.telegram_user_id is None:
            return None  # a contact signed in on the web; coordinators act as their Telegram id
        return next((c for c in self.coordinators if c.telegram_id == actor.telegram_user_id), None)


@dataclass(frozen=True)
class SchedulingConfig:
    horizon: timedelta = timedelta(days=21)
    duration: timedelta = timedelta(minutes=60)
    granularity: timedelta = timedelta(minutes=15)
    min_notice: timedelta = timedelta(hours=48)
    max_sessions_per_city_per_day: int = 2
    planning_interval: timedelta = timedelta(minutes=30)
    planning_debounce: timedelta = timedelta(seconds=30)
    slots_offered: int = 3
    auto_confirm: bool = False


@dataclass(frozen=True)
class RemindersConfig:
    offsets: tuple[timedelta, ...] = (timedelta(hours=24), timedelta(hours=1))


@dataclass(frozen=True)
class MeetingConfig:
    link: str = ""  # a fixed link for the whole programme (Tencent Meeting, Zoom, Teams)
    link_template: str = "https://meet.jit.si/{room}"


@dataclass(frozen=True)
class InvitesConfig:
    code_ttl: timedelta = timedelta(days=7)


@dataclass(frozen=True)
class EmailConfig:
    enabled: bool = False
    host: str = "localhost"
    port: int = 587
    security: str = "starttls"  # "starttls", "tls" or "none"
    username: str = ""
    password: Secret = field(default=Secret(""), repr=False)
    sender: str = ""
    timeout: timedelta = timedelta(seconds=30)
    # Reading replies (accept/decline/propose from calendars, replies in words) by IMAP.
    imap_host: str = ""  # empty: replies are not read
    imap_port: int = 993
    imap_security: str = "tls"  # "tls", "starttls" or "none"
    imap_username: str = ""
    imap_password: Secret = field(default=Secret(""), repr=False)
    imap_folder: str = "INBOX"
    imap_processed_folder: str = "Tandem-Processed"
    imap_unmatched_folder: str = "Tandem-Unmatched"
    imap_poll_interval: timedelta = timedelta(seconds=60)

    @property
    def reads_replies(self) -> bool:
        return bool(self.imap_host)


@dataclass(frozen=True)
class WebConfig:
    """The web app (``web/``): the same pages in a browser (by an e-mailed link) and as a Mini App."""

    enabled: bool = False
    listen: str = "127.0.0.1"
    port: int = 8080
    base_url: str = ""  # the public address people open; empty: http://<listen>:<port>
    secret: Secret = field(default=Secret(""), repr=False)  # signs session cookies
    link_ttl: timedelta = timedelta(hours=72)  # a sign-in link in an e-mail works this long, once
    session_ttl: timedelta = timedelta(days=30)  # a signed-in browser stays signed in this long
    mini_app_max_age: timedelta = timedelta(hours=1)  # the freshness of Telegram's initData (auth_date)
    links_per_address_per_hour: int = 5  # sign-in links one address may be sent in an hour
    sign_in_attempts_per_minute: int = 10  # sign-in requests one client address may make in a minute

    @property
    def public_url(self) -> str:
        """``base_url`` without its trailing slash, or the local address when it is not set."""
        return (self.base_url or f"http://{self.listen}:{self.port}").rstrip("/")

    @property
    def https(self) -> bool:
        return self.public_url.startswith("https://")


@dataclass(frozen=True)
class DeliveryConfig:
    # How long a claimed outgoing message stays with its sender without a heartbeat: a sender
    # that dies (kill -9, power cut) loses its claims this long after its last heartbeat.
    claim_lease: timedelta = timedelta(seconds=15)


@dataclass(frozen=True)
class Config:
    telegram: TelegramConfig = field(default_factory=TelegramConfig)
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    programme: ProgrammeConfig = field(default_factory=ProgrammeConfig)
    scheduling: SchedulingConfig = field(default_factory=SchedulingConfig)
    reminders: RemindersConfig = field(default_factory=RemindersConfig)
    meeting: MeetingConfig = field(default_factory=MeetingConfig)
    invites: InvitesConfig = field(default_factory=InvitesConfig)
    email: EmailConfig = field(default_factory=EmailConfig)
    web: WebConfig = field(default_factory=WebConfig)
    delivery: DeliveryConfig = field(default_factory=DeliveryConfig)
    source: str = "<defaults>"  # where it was read from, for messages


_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|min|h|d|w)\s*$")
_DURATION_UNITS = {"s": "seconds", "m": "minutes", "min": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    """``"90m"``, ``"24h"``, ``"7d"`` → timedelta; anything else raises ValueError."""
    found = _DURATION.match(text)
    if not found:
        raise ValueError(f'"{text}" is not a duration such as "90m", "24h" or "7d"')
    amount, unit = found.groups()
    return timedelta(**{_DURATION_UNITS[unit]: int(amount)})


class _Reader:
    """Reads one table of the TOML document, remembering which keys were used."""

    def __init__(self, table: Mapping[str, Any], where: str, source: str) -> None:
        if not isinstance(table, Mapping):
            raise ConfigError(f"{source}: [{where}] must be a table")
        self.table, self.where, self.source = table, where, source
        self.used: set[str] = set()

    def _name(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def fail(self, key: str, message: str) -> ConfigError:
        return ConfigError(f"{self.source}: {self._name(key)}: {message}")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any) -> Any:
        self.used.add(key)
        if key not in self.table:
            return default
        value = self.table[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        # TOML booleans are ints in Python; never accept one for the other.
        if isinstance(value, bool) and bool not in kinds or not isinstance(value, kinds):
            names = " or ".join(k.__name__.replace("str", "string").replace("int", "integer") for k in kinds)
            raise self.fail(key, f"expected {names}, got {type(value).__name__} {value!r}")
        return value

    def duration(self, key: str, default: timedelta) -> timedelta:
        value = self.get(key, str, None)
        if value is None:
            return default
        try:
            parsed = parse_duration(value)
        except ValueError as exc:
            raise self.fail(key, str(exc)) from None
        if parsed <= timedelta(0):
            raise self.fail(key, "must be longer than zero")
        return parsed

    def positive_int(self, key: str, default: int) -> int:
        value: int = self.get(key, int, default)
        if value <= 0:
            raise self.fail(key, f"must be a positive whole number, got {value}")
        return value

    def zone(self, key: str, default: str) -> str:
        value: str = self.get(key, str, default)
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise self.fail(key, f'unknown time zone "{value}" (use an IANA name such as "Europe/Berlin")') from None
        return value

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value: str = self.get(key, str, default)
        if value not in choices:
            raise self.fail(key, f'"{value}" is not one of {", ".join(choices)}')
        return value

    def overridable(self, key: str, env: Mapping[str, str], variable: str, default: str = "") -> str:
        """A string that the environment variable ``variable`` overrides when it is set."""
        value = self.get(key, str, default)
        return env.get(variable) or value

    def sub(self, key: str) -> _Reader:
        self.used.add(key)
        return _Reader(self.table.get(key, {}), self._name(key), self.source)

    def finish(self) -> None:
        unknown = sorted(set(self.table) - self.used)
        if unknown:
            raise self.fail(unknown[0], "unknown key (see config.example.toml for the keys there are)")


def _telegram(r: _Reader, env: Mapping[str, str]) -> TelegramConfig:
    admin = r.get("admin_chat_id", int, None)
    config = TelegramConfig(
        token=Secret(r.overridable("token", env, "TANDEM_TELEGRAM_TOKEN", "")),
        mode=r.choice("mode", ("polling", "webhook"), "polling"),
        api_base_url=r.get("api_base_url", str, DEFAULT_API_BASE_URL),
        file_base_url=r.get("file_base_url", str, DEFAULT_FILE_BASE_URL),
        webhook_url=r.overridable("webhook_url", env, "TANDEM_WEBHOOK_URL", ""),
        webhook_listen=r.get("webhook_listen", str, "127.0.0.1"),
        webhook_port=r.positive_int("webhook_port", 8443),
        webhook_secret=Secret(r.overridable("webhook_secret", env, "TANDEM_WEBHOOK_SECRET", "")),
        admin_chat_id=admin,
        messages_per_second=float(r.get("messages_per_second", (int, float), 30.0)),
        concurrent_updates=r.positive_int("concurrent_updates", 16),
    )
    r.finish()
    if not 0 < config.messages_per_second <= 30:
        raise r.fail("messages_per_second", "must be more than 0 and at most 30 (Telegram's limit for a bot)")
    if config.token and not re.fullmatch(r"\d+:[A-Za-z0-9_-]{20,}", config.token):
        raise r.fail("token", "does not look like a token from @BotFather (digits, a colon, then letters)")
    if config.mode == "webhook":
        if not config.webhook_url:
            raise r.fail("webhook_url", 'is required when mode = "webhook" (the public https URL Telegram calls)')
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", config.webhook_secret):
            raise r.fail("webhook_secret", "is required in webhook mode: 1-256 characters A-Z, a-z, 0-9, _ or -")
    return config


def _database(r: _Reader, env: Mapping[str, str]) -> DatabaseConfig:
    url = r.overridable("url", env, "TANDEM_DATABASE_URL", DEFAULT_DATABASE_URL)
    config = DatabaseConfig(url=url, echo=r.get("echo", bool, False))
    r.finish()
    if not url.startswith(tuple(d + "://" for d in ASYNC_DRIVERS)):
        raise r.fail("url", f"must start with {' or '.join(d + '://' for d in ASYNC_DRIVERS)} (an async driver)")
    return config


def _programme(r: _Reader) -> ProgrammeConfig:
    pairing = r.choice("pairing", tuple(p.value for p in Pairing), Pairing.ACROSS.value)
    groups = r.get("groups", list, [])
    if not all(isinstance(g, str) for g in groups):
        raise r.fail("groups", "expected a list of strings")
    language = r.choice("default_language", SUPPORTED_LANGUAGES, "en")
    config = ProgrammeConfig(
        name=r.get("name", str, ProgrammeConfig.name),
        pairing=Pairing(pairing),
        groups=tuple(groups),
        default_language=language,
        timezone=r.zone("timezone", "UTC"),
        organizer_name=r.get("organizer_name", str, ProgrammeConfig.organizer_name),
        organizer_email=r.get("organizer_email", str, ProgrammeConfig.organizer_email),
        topics=_topics(r),
        coordinators=_coordinators(r),
    )
    r.finish()
    if "@" not in config.organizer_email:
        raise r.fail("organizer_email", f'"{config.organizer_email}" is not an e-mail address')
    return config


def _topics(r: _Reader) -> tuple[TopicConfig, ...]:
    items = r.get("topics", list, [])
    topics, seen = [], set()
    for i, item in enumerate(items):
        t = _Reader(item, f"{r._name('topics')}[{i}]", r.source)
        key = t.get("key", str, "")
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,31}", key):
            raise t.fail("key", "expected a short key of lower-case letters, digits and dashes")
        if key in seen:
            raise t.fail("key", f'"{key}" appears twice')
        seen.add(key)
        titles = {}
        for language in SUPPORTED_LANGUAGES:
            title = t.get(language, str, "")
            if title:
                titles[language] = title
        t.finish()
        if "en" not in titles:
            raise t.fail("en", "every topic needs an English title")
        topics.append(TopicConfig(key=key, titles=titles))
    return tuple(topics)


def _coordinators(r: _Reader) -> tuple[CoordinatorConfig, ...]:
    items = r.get("coordinators", list, [])
    result = []
    for i, item in enumerate(items):
        c = _Reader(item, f"{r._name('coordinators')}[{i}]", r.source)
        telegram_id = c.get("telegram_id", int, None)
        if telegram_id is None:
            raise c.fail("telegram_id", "is required (the coordinator's numeric Telegram user id)")
        if telegram_id <= 0:
            raise c.fail("telegram_id", f"{telegram_id} is not a Telegram user id")
        result.append(
            CoordinatorConfig(
                telegram_id=telegram_id,
                name=c.get("name", str, ""),
                language=c.choice("language", SUPPORTED_LANGUAGES, "en"),
                email=c.get("email", str, ""),
            )
        )
        c.finish()
    return tuple(result)


def _scheduling(r: _Reader) -> SchedulingConfig:
    d = SchedulingConfig()
    config = SchedulingConfig(
        horizon=r.duration("horizon", d.horizon),
        duration=r.duration("duration", d.duration),
        granularity=r.duration("granularity", d.granularity),
        min_notice=r.duration("min_notice", d.min_notice),
        max_sessions_per_city_per_day=r.positive_int("max_sessions_per_city_per_day", d.max_sessions_per_city_per_day),
        planning_interval=r.duration("planning_interval", d.planning_interval),
        planning_debounce=r.duration("planning_debounce", d.planning_debounce),
        slots_offered=r.positive_int("slots_offered", d.slots_offered),
        auto_confirm=r.get("auto_confirm", bool, d.auto_confirm),
    )
    r.finish()
    if timedelta(hours=1) % config.granularity and config.granularity % timedelta(hours=1):
        raise r.fail("granularity", "must divide an hour (e.g. 5m, 15m, 30m) or be whole hours")
    return config


def _reminders(r: _Reader) -> RemindersConfig:
    offsets = r.get("offsets", list, None)
    if offsets is None:
        r.finish()
        return RemindersConfig()
    parsed = []
    for i, text in enumerate(offsets):
        if not isinstance(text, str):
            raise r.fail(f"offsets[{i}]", f"expected a string such as \"24h\", got {text!r}")
        try:
            parsed.append(parse_duration(text))
        except ValueError as exc:
            raise r.fail(f"offsets[{i}]", str(exc)) from None
    r.finish()
    return RemindersConfig(offsets=tuple(sorted(set(parsed), reverse=True)))


def _meeting(r: _Reader) -> MeetingConfig:
    config = MeetingConfig(
        link=r.get("link", str, ""),
        link_template=r.get("link_template", str, MeetingConfig.link_template),
    )
    r.finish()
    if "{room}" not in config.link_template:
        raise r.fail("link_template", 'must contain "{room}", where the unguessable room name goes')
    return config


def _invites(r: _Reader) -> InvitesConfig:
    config = InvitesConfig(code_ttl=r.duration("code_ttl", InvitesConfig.code_ttl))
    r.finish()
    return config


def _email(r: _Reader, env: Mapping[str, str]) -> EmailConfig:
    d = EmailConfig()
    config = EmailConfig(
        enabled=r.get("enabled", bool, False),
        host=r.get("host", str, d.host),
        port=r.positive_int("port", d.port),
        security=r.choice("security", ("starttls", "tls", "none"), d.security),
        username=r.overridable("username", env, "TANDEM_SMTP_USERNAME", ""),
        password=Secret(r.overridable("password", env, "TANDEM_SMTP_PASSWORD", "")),
        sender=r.get("sender", str, ""),
        timeout=r.duration("timeout", d.timeout),
        imap_host=r.get("imap_host", str, d.imap_host),
        imap_port=r.positive_int("imap_port", d.imap_port),
        imap_security=r.choice("imap_security", ("tls", "starttls", "none"), d.imap_security),
        imap_username=r.get("imap_username", str, d.imap_username),
        imap_password=Secret(r.overridable("imap_password", env, "TANDEM_IMAP_PASSWORD", "")),
        imap_folder=r.get("imap_folder", str, d.imap_folder),
        imap_processed_folder=r.get("imap_processed_folder", str, d.imap_processed_folder),
        imap_unmatched_folder=r.get("imap_unmatched_folder", str, d.imap_unmatched_folder),
        imap_poll_interval=r.duration("imap_poll_interval", d.imap_poll_interval),
    )
    r.finish()
    if config.enabled and "@" not in config.sender:
        raise r.fail("sender", "is required when e-mail is enabled (the From address)")
    if config.imap_port > 65535:
        raise r.fail("imap_port", f"{config.imap_port} is not a TCP port (1-65535)")
    if config.reads_replies:
        if not config.imap_username or not config.imap_password:
            raise r.fail("imap_username", "and imap_password (or TANDEM_IMAP_PASSWORD) are required when imap_host is set")
        folders = {"imap_folder": config.imap_folder, "imap_processed_folder": config.imap_processed_folder,
                   "imap_unmatched_folder": config.imap_unmatched_folder}
        for key, folder in folders.items():
            if not folder.strip():
                raise r.fail(key, "must name a folder")
        if len(set(folders.values())) < 3:
            raise r.fail("imap_processed_folder", "the folder read, the processed and the unmatched folder must be three different folders")
        if config.imap_security == "none" and not _is_loopback(config.imap_host):
            # The password would cross the network in clear text: only to a server on this machine.
            raise r.fail(
                "imap_security", f'"none" sends the password unencrypted; it is allowed only for a server on this machine '
                f'(localhost, 127.0.0.1, ::1), not {config.imap_host}: use "tls" or "starttls"',
            )
    return config


def _is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address (127.0.0.0/8, ::1), as written: no name is looked up."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def _web(r: _Reader, env: Mapping[str, str]) -> WebConfig:
    d = WebConfig()
    config = WebConfig(
        enabled=r.get("enabled", bool, d.enabled),
        listen=r.get("listen", str, d.listen),
        port=r.positive_int("port", d.port),
        base_url=r.overridable("base_url", env, "TANDEM_WEB_BASE_URL", ""),
        secret=Secret(r.overridable("secret", env, "TANDEM_WEB_SECRET", "")),
        link_ttl=r.duration("link_ttl", d.link_ttl),
        session_ttl=r.duration("session_ttl", d.session_ttl),
        mini_app_max_age=r.duration("mini_app_max_age", d.mini_app_max_age),
        links_per_address_per_hour=r.positive_int("links_per_address_per_hour", d.links_per_address_per_hour),
        sign_in_attempts_per_minute=r.positive_int("sign_in_attempts_per_minute", d.sign_in_attempts_per_minute),
    )
    r.finish()
    if config.port > 65535:
        raise r.fail("port", f"{config.port} is not a TCP port (1-65535)")
    if config.base_url and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", config.base_url):
        raise r.fail("base_url", f'"{config.base_url}" is not an http(s) address such as "https://tandem.example.org"')
    if config.enabled and len(config.secret) < 32:
        raise r.fail(
            "secret",
            "is required when the web app is enabled: at least 32 random characters, best in TANDEM_WEB_SECRET "
            "(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')",
        )
    return config


def _delivery(r: _Reader) -> DeliveryConfig:
    config = DeliveryConfig(claim_lease=r.duration("claim_lease", DeliveryConfig.claim_lease))
    r.finish()
    if config.claim_lease < timedelta(seconds=3):
        raise r.fail("claim_lease", "must be at least 3s (the heartbeat renews it every third of it)")
    return config


def config_from_mapping(data: Mapping[str, Any], source: str = "<config>", env: Mapping[str, str] | None = None) -> Config:
    """Validate a parsed TOML document; raises ConfigError naming the first bad key."""
    env = os.environ if env is None else env
    top = _Reader(data, "", source)
    config = Config(
        telegram=_telegram(top.sub("telegram"), env),
        database=_database(top.sub("database"), env),
        programme=_programme(top.sub("programme")),
        scheduling=_scheduling(top.sub("scheduling")),
        reminders=_reminders(top.sub("reminders")),
        meeting=_meeting(top.sub("meeting")),
        invites=_invites(top.sub("invites")),
        email=_email(top.sub("email"), env),
        web=_web(top.sub("web"), env),
        delivery=_delivery(top.sub("delivery")),
        source=source,
    )
    top.finish()
    return config


def load_config(path: str | Path | None, env: Mapping[str, str] | None = None) -> Config:
    """Read and validate the TOML file at ``path`` (``None``: defaults plus the environment)."""
    if path is None:
        return config_from_mapping({}, "<defaults>", env)
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file (copy config.example.toml to start one)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}") from None
    return config_from_mapping(data, str(path), env)


def parse_instant(text: str) -> datetime:
    """An ISO 8601 instant with an offset (``2027-03-22T08:00:00Z``) as aware UTC."""
    return utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
