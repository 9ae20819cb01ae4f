"""Tandem's domain: plain values with behaviour, standard library only.

Instants are aware UTC datetimes (names end in ``_utc``); zones are IANA names; local rules are
``datetime.time`` values read in a city's zone. Storage turns rows into these objects before they
leave a repository, so nothing above ``storage/`` ever sees a database row.
"""

from __future__ import annotations

import enum
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone


class TandemError(Exception):
    """A failure the user caused or can fix; handlers turn it into a message."""


class NotFoundError(TandemError):
    """The thing asked for does not exist (or no longer does)."""


class PermissionDeniedError(TandemError):
    """The actor may not do this."""


class ConflictError(TandemError):
    """Someone else changed the thing first (a second tap, a concurrent writer)."""


class InvalidInputError(TandemError):
    """The user's input cannot be understood; the message says what was expected."""


class Role(str, enum.Enum):
    COORDINATOR = "coordinator"
    CONTACT = "contact"  # speaks for one city
    PARTICIPANT = "participant"  # a contact's colleague


class Pairing(str, enum.Enum):
    ACROSS = "across"  # only cities of different groups meet
    ANY = "any"


class MatchStatus(str, enum.Enum):
    OPEN = "open"  # mutual interest found, not planned yet
    PLANNED = "planned"  # the planner proposed slots; waiting for a coordinator
    UNSCHEDULABLE = "unschedulable"  # no common time; ``reason`` says why
    CONFIRMED = "confirmed"  # a session exists
    DECLINED = "declined"  # one side declined the partner
    CANCELLED = "cancelled"


class SessionStatus(str, enum.Enum):
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


class Attendance(str, enum.Enum):
    PENDING = "pending"
    YES = "yes"
    NO = "no"


class OutboxStatus(str, enum.Enum):
    PENDING = "pending"  # due at ``due_utc``
    CLAIMED = "claimed"  # one sender owns it now
    SENT = "sent"
    FAILED = "failed"  # permanent failure (blocked bot, bad request)
    DROPPED = "dropped"  # no longer wanted (session moved or cancelled, or came too late)


class Channel(str, enum.Enum):
    TELEGRAM = "telegram"
    EMAIL = "email"


@dataclass(frozen=True)
class Actor:
    """Who does something: every service call names its actor, and the service checks what it may do.

    Either a Telegram user (``Actor.telegram``: the chat, and the Mini App inside Telegram) or a
    contact signed in on the web by a personal link (``Actor.contact``: an e-mail-only person, who
    has no Telegram id). Coordinators are always Telegram users, identified by the ``telegram_id``
    of the configuration, also when they sign in on the web by e-mail; a contact actor is never a
    coordinator. Only Telegram users have a chat conversation (the "waiting for free text" step).
    """

    telegram_user_id: int | None = None
    contact_id: int | None = None

    def __post_init__(self) -> None:
        if (self.telegram_user_id is None) == (self.contact_id is None):
            raise ValueError("an actor is either a Telegram user or a contact, exactly one of them")

    @classmethod
    def telegram(cls, user_id: int) -> Actor:
        return cls(telegram_user_id=user_id)

    @classmethod
    def contact(cls, contact_id: int) -> Actor:
        return cls(contact_id=contact_id)


def utc(value: datetime) -> datetime:
    """Return ``value`` in UTC; refuse naive datetimes, which are ambiguous by construction."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: Tandem stores aware instants only")
    return value.astimezone(timezone.utc)


@dataclass(frozen=True)
class City:
    id: int
    name: str
    country: str  # ISO 3166-1 alpha-2, e.g. "CN"
    timezone: str  # IANA name, e.g. "Asia/Shanghai"
    group: str  # e.g. "EU", "China"
    subdivision: str | None = None  # for regional holidays, e.g. "HH"
    meeting_link: str | None = None  # a fixed link for every session of this city


@dataclass(frozen=True)
class Contact:
    id: int
    display_name: str
    role: Role
    language: str
    city_id: int | None = None
    telegram_user_id: int | None = None
    chat_id: int | None = None
    email: str | None = None
    reachable: bool = True


@dataclass(frozen=True)
class Topic:
    id: int
    key: str
    titles: dict[str, str] = field(default_factory=dict)  # language -> title

    def title(self, language: str) -> str:
        return self.titles.get(language) or self.titles.get("en") or self.key


@dataclass(frozen=True)
class Interest:
    city_id: int
    topic_id: int
    note: str | None = None


@dataclass(frozen=True)
class WeeklyWindow:
    """One window of a city's usual meeting hours, in its local wall-clock time."""

    weekday: int  # 0 = Monday
    start: time
    end: time  # time(0) means 24:00: the window runs to the end of the day


class NoTimeReason(str, enum.Enum):
    """Why a match (a planner request) got no time, from the most basic cause to the most circumstantial."""

    WINDOWS_NEVER_OVERLAP = "windows_never_overlap"
    OVERLAP_TOO_SHORT = "overlap_too_short"  # overlaps exist, none fits the duration on the grid
    NOT_AFTER_NOTICE = "not_after_notice"  # every common time lies before now + minimum notice
    CLOSED_DAYS = "closed_days"  # every remaining common time is on a holiday or day away
    ALL_TAKEN = "all_taken"  # other sessions or daily caps take every remaining common time


@dataclass(frozen=True)
class ClosedDay:
    city_id: Hashable  # a city's id (the planner also plans for ids of other kinds)
    local_date: date
    kind: str  # "holiday" or "away"
    name: str | None = None  # the holiday's name as ``holidays`` gives it


@dataclass(frozen=True)
class NoTimeExplanation:
    """Why a match has no common time, with the details a coordinator needs; the chat translates it.

    The planner answers with it; an unschedulable match keeps it (``Match.no_time``).
    """

    reason: NoTimeReason
    request_id: Hashable  # the match's id
    longest_overlap_minutes: int = 0  # OVERLAP_TOO_SHORT: the best the windows offer
    duration_minutes: int = 0
    earliest_start_utc: datetime | None = None  # NOT_AFTER_NOTICE (moves with the clock: not kept with the match)
    closed_days: tuple[ClosedDay, ...] = ()  # CLOSED_DAYS: which side is off on which date
    blocking_city_ids: tuple[Hashable, ...] = ()  # ALL_TAKEN: the cities whose time is used up


@dataclass(frozen=True)
class Match:
    id: int
    city_a_id: int
    city_b_id: int
    topic_id: int
    status: MatchStatus
    reason: str | None = None  # in words: why it was declined, cancelled or is waiting
    no_time: NoTimeExplanation | None = None  # UNSCHEDULABLE: why the planner found no time


@dataclass(frozen=True)
class Session:
    """A confirmed meeting of a match."""

    id: int
    match_id: int
    start_utc: datetime
    duration_minutes: int
    meeting_link: str
    ical_uid: str
    sequence: int
    status: SessionStatus
    confirmed_by: int | None = None  # Telegram user id; None for automatic confirmation

    @property
    def end_utc(self) -> datetime:
        return self.start_utc + timedelta(minutes=self.duration_minutes)


@dataclass(frozen=True)
class RoadmapEntry:
    """What one city's contact said after a session: whether it took place, and the next steps."""

    match_id: int
    session_id: int
    city_id: int
    reported_by: str  # the contact's name when they reported
    took_place: bool
    next_steps: str | None
    reported_at_utc: datetime


@dataclass(frozen=True)
class OutgoingMessage:
    id: int
    kind: str  # invite, update, cancel, reminder, notice
    channel: Channel
    contact_id: int
    due_utc: datetime
    status: OutboxStatus
    payload: dict[str, object]
    session_id: int | None = None
    attempts: int = 0


@dataclass(frozen=True)
class DayAway:
    city_id: int
    day: date
