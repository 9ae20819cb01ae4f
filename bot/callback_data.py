"""Every button's data, built and parsed in one place.

Button data is ``<prefix>:<field>:<field>…`` — short, typed, at most 64 bytes (Telegram's limit).
Anyone can send any callback data to a bot, so ``parse`` trusts nothing: an unknown prefix, a
wrong number of fields or a field of the wrong type raises :class:`ForgedButtonError`; whether the
presser may do what the button says is checked later, by the service.

Instants travel as whole minutes since 1970-01-01 00:00 UTC (``29 million`` fits in 8 digits),
so a button names the exact slot it was drawn for and a re-plan cannot make it mean another one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timezone
from typing import Generic, NamedTuple, TypeVar, cast, get_type_hints

from bot.domain import InvalidInputError, utc

MAX_BYTES = 64


class ForgedButtonError(InvalidInputError):
    """The button data is not one Tandem made."""


Fields = TypeVar("Fields", bound=tuple[object, ...])


class ButtonAction(Generic[Fields]):
    """One kind of button: its prefix and the typed fields it carries (a NamedTuple).

    ``build`` writes the fields in order; ``parse`` reads them back as ``Fields``, each as its type
    says: ``int`` (digits), ``bool`` (0 or 1), ``datetime`` (whole minutes since 1970, UTC),
    ``date`` (YYYYMMDD) or ``str`` (a short word without ':').
    """

    def __init__(self, prefix: str, fields: type[Fields]) -> None:
        self.prefix = prefix
        self.fields = fields
        self._types: list[tuple[str, type]] = list(get_type_hints(fields).items())

    def build(self, *values: object) -> str:
        if len(values) != len(self._types):
            raise ValueError(f"{self.prefix} takes {[name for name, _ in self._types]}, got {values!r}")
        parts = [self.prefix]
        for (name, kind), value in zip(self._types, values):
            if kind is datetime:
                assert isinstance(value, datetime)
                text = str(int(utc(value).timestamp()) // 60)
            elif kind is date:
                assert isinstance(value, date)
                text = value.strftime("%Y%m%d")
            else:
                text = str(int(value)) if isinstance(value, bool) else str(value)
            if ":" in text:
                raise ValueError(f"{name} may not contain ':'")
            parts.append(text)
        data = ":".join(parts)
        if len(data.encode()) > MAX_BYTES:
            raise ValueError(f"button data {data!r} is longer than {MAX_BYTES} bytes")
        return data

    def parse(self, data: str | None) -> Fields:
        """The fields of ``data``; ForgedButtonError for anything Tandem did not build."""
        parts = (data or "").split(":")
        if parts[0] != self.prefix or len(parts) != len(self._types) + 1:
            raise ForgedButtonError(f"not a {self.prefix} button")
        make = cast(Callable[..., Fields], self.fields)  # a NamedTuple class: its fields in order
        return make(*(_parse(kind, name, raw) for (name, kind), raw in zip(self._types, parts[1:])))

    def matches(self, data: str | None) -> bool:
        return data is not None and data.split(":", 1)[0] == self.prefix

    @property
    def pattern(self) -> str:
        """A regex for ``CallbackQueryHandler(pattern=…)``."""
        return rf"^{self.prefix}:"


def _parse(kind: type, name: str, raw: str) -> object:
    if kind is datetime:
        return datetime.fromtimestamp(_int(raw) * 60, tz=timezone.utc)
    if kind is date:
        return _day(raw)
    if kind is bool:
        if raw not in ("0", "1"):
            raise ForgedButtonError(f"bad {name}")
        return raw == "1"
    if kind is int:
        return _int(raw)
    if not raw or len(raw) > 32:
        raise ForgedButtonError(f"bad {name}")
    return raw


def _int(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 12:
        raise ForgedButtonError("bad number")
    return int(raw)


def _day(raw: str) -> date:
    if len(raw) != 8 or not raw.isdigit():
        raise ForgedButtonError("bad day")
    try:
        return date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
    except ValueError:
        raise ForgedButtonError("bad day") from None


# The fields of each kind of button.
class MatchSlot(NamedTuple):
    match_id: int
    start_utc: datetime


class SessionVersion(NamedTuple):
    session_id: int
    sequence: int


class SessionMove(NamedTuple):
    session_id: int
    sequence: int
    start_utc: datetime


class SessionPerson(NamedTuple):
    session_id: int
    sequence: int
    contact_id: int


class SessionAnswer(NamedTuple):
    session_id: int
    yes: bool


class LanguageChoice(NamedTuple):
    code: str


class Confirmation(NamedTuple):
    yes: bool


class TopicChoice(NamedTuple):
    city_id: int
    topic_id: int
    chosen: bool  # the state wanted, so a double tap asks for the same state twice


class CityTopic(NamedTuple):
    city_id: int
    topic_id: int


class CityOnly(NamedTuple):
    city_id: int


class HoursPreset(NamedTuple):
    city_id: int
    preset: str


class CityDays(NamedTuple):
    city_id: int
    first: date
    last: date  # the same as first for a single day


class MatchOnly(NamedTuple):
    match_id: int


class PageOnly(NamedTuple):
    page: int


class DigestPage(NamedTuple):
    message_id: int  # the digest's outbox row
    page: int


class DigestMatch(NamedTuple):
    message_id: int  # the digest's outbox row
    match_id: int
    page: int  # the page the button was on, shown again after the tap


# Coordinators
CONFIRM_SLOT = ButtonAction("slot", MatchSlot)
RESCHEDULE_MENU = ButtonAction("mv", SessionVersion)
RESCHEDULE_TO = ButtonAction("mvto", SessionMove)
CANCEL_SESSION = ButtonAction("cx", SessionVersion)
DIGEST_PAGE = ButtonAction("dg", DigestPage)  # another page of a planning run's digest
PENDING_PAGE = ButtonAction("pp", PageOnly)  # another page of /pending
DECLINE_COUNTER = ButtonAction("dcx", SessionPerson)  # keep the time another's calendar proposed to change
# Participants
ATTEND = ButtonAction("att", SessionAnswer)  # yes: I'll attend; no: I can't
# City contacts, after a session
FOLLOW_UP = ButtonAction("fu", SessionAnswer)  # yes: it took place; no: it did not


# Everyone
CHOOSE_LANGUAGE = ButtonAction("lang", LanguageChoice)
FORGET_ME = ButtonAction("fg", Confirmation)  # yes: delete my data; no: keep it
# City contacts (and coordinators acting for a city). The city travels in every button, so a
# press is checked against the presser's city again, and a kept button cannot reach another city.
CHOOSE_TOPIC = ButtonAction("tp", TopicChoice)
TOPIC_NOTE = ButtonAction("tn", CityTopic)
TOPICS_DONE = ButtonAction("td", CityOnly)
HOURS_PRESET = ButtonAction("hp", HoursPreset)
HOURS_TYPE = ButtonAction("hf", CityOnly)
AWAY_ADD = ButtonAction("aa", CityOnly)
AWAY_REMOVE = ButtonAction("ar", CityDays)
ACCEPT_MATCH = ButtonAction("ma", MatchOnly)
DECLINE_MATCH = ButtonAction("md", MatchOnly)
PARTNERS_PAGE = ButtonAction("np", DigestPage)  # another page of a new-partners digest
DECLINE_PARTNER = ButtonAction("nd", DigestMatch)  # decline one partner of a new-partners digest
