"""Every button's data, built and parsed in one place.

Button data is ``<prefix>:<field>:<field>…`` — short, typed, at most 64 bytes (Telegram's limit).
Anyone can send any callback data to a bot, so ``parse`` trusts nothing: an unknown prefix, a
wrong number of fields or a field of the wrong type raises :class:`ForgedButtonError`; whether the
presser may do what the button says is checked later, by the service.

Instants travel as whole minutes since 1970-01-01 00:00 UTC (``29 million`` fits in 8 digits),
so a button names the exact slot it was drawn for and a re-plan cannot make it mean another one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

from bot.domain import InvalidInputError, utc

MAX_BYTES = 64


class ForgedButtonError(InvalidInputError):
    """The button data is not one Tandem made."""


@dataclass(frozen=True)
class ButtonAction:
    prefix: str
    fields: tuple[str, ...]  # names; each field is an int, a minute instant ("@") or a short word

    def build(self, *values: object) -> str:
        if len(values) != len(self.fields):
            raise ValueError(f"{self.prefix} takes {self.fields}, got {values!r}")
        parts = [self.prefix]
        for name, value in zip(self.fields, values):
            if name.endswith("_utc"):
                assert isinstance(value, datetime)
                parts.append(str(int(utc(value).timestamp()) // 60))
            else:
                text = str(int(value)) if isinstance(value, bool) else str(value)
                if ":" in text:
                    raise ValueError(f"{name} may not contain ':'")
                parts.append(text)
        data = ":".join(parts)
        if len(data.encode()) > MAX_BYTES:
            raise ValueError(f"button data {data!r} is longer than {MAX_BYTES} bytes")
        return data

    def parse(self, data: str) -> tuple[object, ...]:
        parts = data.split(":")
        if parts[0] != self.prefix or len(parts) != len(self.fields) + 1:
            raise ForgedButtonError(f"not a {self.prefix} button")
        values: list[object] = []
        for name, raw in zip(self.fields, parts[1:]):
            if name.endswith("_utc"):
                values.append(datetime.fromtimestamp(_int(raw) * 60, tz=timezone.utc))
            elif name.endswith("_id") or name in ("sequence", "index", "flag"):
                values.append(_int(raw))
            else:
                if not raw or len(raw) > 32:
                    raise ForgedButtonError(f"bad {name}")
                values.append(raw)
        return tuple(values)

    def matches(self, data: str | None) -> bool:
        return bool(data) and data.split(":", 1)[0] == self.prefix  # type: ignore[union-attr]

    @property
    def pattern(self) -> str:
        """A regex for ``CallbackQueryHandler(pattern=…)``."""
        return rf"^{self.prefix}:"


def _int(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 12:
        raise ForgedButtonError("bad number")
    return int(raw)


# Coordinators
CONFIRM_SLOT = ButtonAction("slot", ("match_id", "start_utc"))
RESCHEDULE_MENU = ButtonAction("mv", ("session_id", "sequence"))
RESCHEDULE_TO = ButtonAction("mvto", ("session_id", "sequence", "start_utc"))
CANCEL_SESSION = ButtonAction("cx", ("session_id", "sequence"))
# Participants
ATTEND = ButtonAction("att", ("session_id", "flag"))  # flag 1: I'll attend, 0: I can't
# City contacts, after a session
FOLLOW_UP = ButtonAction("fu", ("session_id", "flag"))  # flag 1: it took place, 0: it did not


# Everyone
CHOOSE_LANGUAGE = ButtonAction("lang", ("code",))
FORGET_ME = ButtonAction("fg", ("flag",))  # flag 1: delete my data, 0: keep it
# City contacts (and coordinators acting for a city). The city travels in every button, so a
# press is checked against the presser's city again, and a kept button cannot reach another city.
CHOOSE_TOPIC = ButtonAction("tp", ("city_id", "topic_id", "flag"))  # flag: the state wanted, so a double tap repeats it
TOPIC_NOTE = ButtonAction("tn", ("city_id", "topic_id"))
TOPICS_DONE = ButtonAction("td", ("city_id",))
HOURS_PRESET = ButtonAction("hp", ("city_id", "preset"))
HOURS_TYPE = ButtonAction("hf", ("city_id",))
AWAY_ADD = ButtonAction("aa", ("city_id",))
AWAY_REMOVE = ButtonAction("ar", ("city_id", "day"))  # day as YYYYMMDD
ACCEPT_MATCH = ButtonAction("ma", ("match_id",))
DECLINE_MATCH = ButtonAction("md", ("match_id",))


def day_field(value: date) -> str:
    return value.strftime("%Y%m%d")


def parse_day(raw: object) -> date:
    """A ``day`` field back as a date; ForgedButtonError for anything that is not one."""
    text = str(raw)
    if len(text) != 8 or not text.isdigit():
        raise ForgedButtonError("bad day")
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise ForgedButtonError("bad day") from None


def parse_any(data: str | None, *actions: ButtonAction) -> tuple[ButtonAction, tuple[object, ...]]:
    """Which of ``actions`` this data is, and its fields; ForgedButtonError if none."""
    for action in actions:
        if action.matches(data):
            return action, action.parse(data or "")
    raise ForgedButtonError("unknown button")
