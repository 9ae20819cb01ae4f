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
    """A failure the user caused or can fix; handlers turn it into a message.

    ``msgid`` and ``values`` are the untranslated text and its placeholders, when the message is
    meant for the person (``bot.services.errors.user_error``); the handler translates them.
    """

    msgid: str | None = None
    values: dict[str, object] = {}  # read only here: each error that has values sets its own


class NotFoundError(TandemError):
    """The thing asked for does not exist (or no longer does)."""


class PermissionDeniedError(TandemError):
    """The actor may not do this."""


class ConflictError(TandemError):
    """Someone else changed the thing first (a second tap, a concurrent writer)."""


class InvalidInputError(TandemError):
    """The user's input cannot be understood; the message says what was expected."""


QUOTE_LIMIT = 40


def excerpt(text: str, limit: int = QUOTE_LIMIT) -> str:
    """What someone typed, as an answer may quote it: at most ``limit`` characters, "…" where cut.

    An answer that repeated a whole input could not be sent (a 4,000-character ``/away`` came back
    twice in its error: 8,222 characters, over Telegram's 4,096), and says no more than an excerpt.
    """
    return text if len(text) <= limit else text[: limit - 1] + "…"


def storable(text: str) -> bool:
    """Whether a database can keep ``text`` as it is.

    PostgreSQL refuses the NUL character in text ("invalid byte sequence for encoding UTF8:
    0x00"); a lone surrogate (a forged update can carry one) has no UTF-8 form, so both backends
    refuse it. SQLite would keep a NUL, but the two backends must answer alike, so neither does.
    """
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def excerpt_at(text: str, column: int, limit: int = QUOTE_LIMIT) -> str:
    """An excerpt of ``text`` around ``column`` (1-based), where a parser found the mistake."""
    if len(text) <= limit:
        return text
    start = min(max(0, column - 1 - limit // 2), len(text) - limit)
    piece = text[start : start + limit]
    return ("…" if start > 0 else "") + piece + ("…" if start + limit < len(text) else "")


class Role(str, enum.Enum):
    COORDINATOR = "coordinator"
    CONTACT = "contact"  # speaks for one city
    PARTICIPANT = "participant"  # a contact's colleague


class Pairing(str, enum.Enum):
    ACROSS = "across"  # only cities of different groups meet
    ANY = "any"

    def allows(self, one: City, other: City) -> bool:
        """Whether the programme lets these two cities meet (never a city with itself)."""
        if one.id == other.id:
            return False
        return self is Pairing.ANY or one.group != other.group


class MatchStatus(str, enum.Enum):
    OPEN = "open"  # mutual interest found, not planned yet
    PLANNED = "planned"  # the planner proposed slots; waiting for a coordinator
    UNSCHEDULABLE = "unschedulable"  # no common time; ``reason`` says why
    CONFIRMED = "confirmed"  # a session exists
    DECLINED = "declined"  # one side declined the partner
    CANCELLED = "cancelled"


# A match the partner or the programme can still act on (and the planner plans); declining,
# withdrawing an interest, confirming or cancelling moves it out.
LIVE_MATCH_STATUSES = frozenset({MatchStatus.OPEN, MatchStatus.PLANNED, MatchStatus.UNSCHEDULABLE})


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


class NoticeKind(str, enum.Enum):
    """Every kind of outgoing message (``bot.notices`` renders each; the outbox keeps the value)."""

    MATCH_NOTICE = "match_notice"  # a new partner city, to both cities' contacts
    MATCH_ENDED = "match_ended"  # the partner declined or dropped the topic
    PLANNED_MATCH = "planned_match"  # the planner's proposal, to coordinators
    UNSCHEDULABLE_MATCH = "unschedulable_match"  # no common time, with the reason, to coordinators
    PLANNING_DIGEST = "planning_digest"  # many of the above from one planning run, in one message, to coordinators
    INVITATION = "invitation"  # a confirmed session, with its calendar file, to every participant
    UPDATE = "update"  # the session moved (same UID, higher SEQUENCE)
    CANCELLATION = "cancellation"  # the session is cancelled (METHOD:CANCEL)
    ATTENDANCE = "attendance"  # a participant will attend or not, to coordinators and the partner city
    REMINDER = "reminder"  # before a session, at the configured offsets
    FOLLOW_UP = "follow_up"  # after a session: did it take place, and what next
    CONTACT_UNREACHABLE = "contact_unreachable"  # a contact blocked the bot, to coordinators
    CITY_UNREACHABLE = "city_unreachable"  # nobody of a city can be reached at all, to coordinators
    SIGN_IN_LINK = "sign_in_link"  # a personal link to the web pages, asked for by address on the sign-in page
    COUNTER_PROPOSAL = "counter_proposal"  # a participant's calendar proposed another time, to coordinators
    COUNTER_DECLINED = "counter_declined"  # the coordinators keep the time: iTIP DECLINECOUNTER to the proposer
    MAIL_FORWARDED = "mail_forwarded"  # a reply in words to Tandem's mailbox, to coordinators
    SESSION_ON_DAY_OFF = "session_on_day_off"  # a new official day off falls on a confirmed session, to coordinators
    CALENDAR_GUESS = "calendar_guess"  # the holiday calendar of a country and year is not official yet, to coordinators

    @property
    def carries_calendar(self) -> bool:
        """Whether the message is a calendar file (an invitation, update or cancellation)."""
        return self in (NoticeKind.INVITATION, NoticeKind.UPDATE, NoticeKind.CANCELLATION)


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


# The little JSON Tandem keeps with an outgoing message or a chat step: flat, scalar values only.
Scalar = str | int | float | bool | None
Payload = dict[str, Scalar]


def whole_number(payload: Payload, key: str) -> int:
    """``payload[key]`` as the whole number it must be (an id); ValueError for anything else."""
    value = payload.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{key!r} is not a whole number in {payload!r}")
    return value


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
    reachable: bool = True  # False once the person blocked the bot on Telegram

    @property
    def on_telegram(self) -> bool:
        """Whether the person has a chat with the bot that reaches them (a private chat's id is the user's)."""
        return (self.chat_id is not None or self.telegram_user_id is not None) and self.reachable

    def channels_for(self, kind: NoticeKind, *, email_enabled: bool) -> tuple[Channel, ...]:
        """The one channel rule: which channels a message of ``kind`` goes to this person on.

        Telegram when they have a reachable chat; e-mail when they have an address and e-mail is
        on (``[email] enabled``). A calendar file (invitation, update, cancellation) goes on every
        channel they have, so it lands in their calendar whichever they read; a sign-in link goes
        by e-mail only (it was asked for by address; Telegram users open the pages from the chat), and
        so does the answer to a time proposed from a calendar (iTIP, which only the calendar reads);
        everything else on Telegram when reachable, else by e-mail. None: they cannot be reached
        at all (the coordinators are then told, once per city: ``bot.notices.outbox``).
        """
        telegram, email = self.on_telegram, bool(self.email) and email_enabled
        if kind in (NoticeKind.SIGN_IN_LINK, NoticeKind.COUNTER_DECLINED):
            return (Channel.EMAIL,) if email else ()
        if kind.carries_calendar:
            return tuple(channel for channel, has in ((Channel.TELEGRAM, telegram), (Channel.EMAIL, email)) if has)
        if telegram:
            return (Channel.TELEGRAM,)
        return (Channel.EMAIL,) if email else ()


@dataclass(frozen=True)
class JoinLink:
    """A one-time link (a code in a Telegram deep link) that makes its opener a city's contact, or a
    contact's colleague. Only the code's hash is kept; "invite" in Tandem means a calendar invitation."""

    id: int
    city_id: int
    role: Role
    expires_at_utc: datetime
    used_at_utc: datetime | None


@dataclass(frozen=True)
class SignInLink:
    """A personal link that signs a person in to the web app once, until it expires. Only the hash
    of its random token is kept, so reading the database signs nobody in."""

    id: int
    contact_id: int
    expires_utc: datetime
    used_utc: datetime | None


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


class DayOverrideKind(str, enum.Enum):
    DAY_OFF = "off"  # an official day off the ``holidays`` package may not know (yet)
    WORKING_DAY = "work"  # an official working day, e.g. a weekend make-up day (调休)


@dataclass(frozen=True)
class DayOverride:
    """An official day off or working day of a country (or one subdivision), entered by a coordinator.

    It takes precedence over the ``holidays`` package in both directions for every city of that
    country (and subdivision). A working day uses the hours of ``works_as_weekday`` (0 = Monday)
    when the city has none on that day's own weekday, as a make-up Saturday uses the hours of the
    weekday it pays back.
    """

    country: str  # ISO 3166-1 alpha-2, upper case
    day: date
    kind: DayOverrideKind
    name: str  # what the government calls it, or why it was added
    subdivision: str | None = None  # None: the whole country
    works_as_weekday: int | None = None  # WORKING_DAY only
    id: int | None = None
    added_by: str | None = None  # who entered it (a coordinator's name, or the file it came from)
    added_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.kind is DayOverrideKind.WORKING_DAY:
            if self.works_as_weekday is None or not 0 <= self.works_as_weekday <= 6:
                raise InvalidInputError("a working day needs the weekday whose hours apply (Mon to Sun)")
        elif self.works_as_weekday is not None:
            raise InvalidInputError("a day off has no weekday hours")

    def applies_to(self, country: str | None, subdivision: str | None) -> bool:
        """Whether this override concerns a city of ``country`` and ``subdivision``."""
        return country is not None and country.upper() == self.country and (
            self.subdivision is None or self.subdivision == subdivision
        )


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

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_MATCH_STATUSES

    @property
    def city_ids(self) -> tuple[int, int]:
        return (self.city_a_id, self.city_b_id)

    def involves(self, city_id: int | None) -> bool:
        return city_id is not None and city_id in self.city_ids

    def partner_of(self, city_id: int) -> int:
        """The other city of the pair; ValueError for a city that is not part of the match."""
        if city_id == self.city_a_id:
            return self.city_b_id
        if city_id == self.city_b_id:
            return self.city_a_id
        raise ValueError(f"city {city_id} is not part of match {self.id}")


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


# ---- The read model: what screens, notices, the export and the demo read, one query each ------


@dataclass(frozen=True)
class MatchView:
    """A match with its two cities and topic, and each city's note on the topic."""

    match: Match
    city_a: City
    city_b: City
    topic: Topic
    note_a: str | None = None
    note_b: str | None = None

    def city(self, city_id: int) -> City:
        """One of the two cities; ValueError for a city that is not part of the match."""
        if city_id == self.city_a.id:
            return self.city_a
        if city_id == self.city_b.id:
            return self.city_b
        raise ValueError(f"city {city_id} is not part of match {self.match.id}")

    def partner_of(self, city_id: int) -> City:
        return self.city(self.match.partner_of(city_id))

    def note_of(self, city_id: int) -> str | None:
        return self.note_a if city_id == self.city_a.id else self.note_b if city_id == self.city_b.id else None

    def seen_from(self, city_id: int | None) -> tuple[City, City]:
        """(own city, partner) as a city of the match sees it; from outside, (city a, city b)."""
        if city_id is not None and self.match.involves(city_id):
            return self.city(city_id), self.partner_of(city_id)
        return self.city_a, self.city_b


@dataclass(frozen=True)
class SessionView:
    """A session with its match, the match's two cities and topic."""

    session: Session
    match: Match
    city_a: City
    city_b: City
    topic: Topic

    def zone_of(self, city_id: int | None) -> str | None:
        """The zone of one of the session's cities (None for a city that is not part of it)."""
        return self.city_a.timezone if city_id == self.city_a.id else self.city_b.timezone if city_id == self.city_b.id else None

    def partner_of(self, city_id: int) -> City:
        """The other city of the session; ValueError for a city that is not part of it."""
        return self.city_a if self.match.partner_of(city_id) == self.city_a.id else self.city_b


@dataclass(frozen=True)
class Conversation:
    """Where one Telegram user's chat stands: the step whose free text the bot waits for (and what
    it noted when it asked), and the city a coordinator acts for. Empty when it waits for nothing."""

    telegram_user_id: int
    step: str | None = None
    payload: Payload | None = None
    acting_city_id: int | None = None


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
class OutgoingRequest:
    """A message to queue (``OutboxRepository.enqueue_many``): queued once per ``dedupe_key``."""

    dedupe_key: str
    kind: str
    channel: Channel
    contact_id: int
    due_utc: datetime
    payload: Payload
    session_id: int | None = None


@dataclass(frozen=True)
class OutgoingMessage:
    id: int
    kind: str  # a NoticeKind's value (tests and benchmarks add kinds of their own)
    channel: Channel
    contact_id: int
    due_utc: datetime
    status: OutboxStatus
    payload: Payload  # what the renderer of its kind reads at send time
    session_id: int | None = None
    attempts: int = 0

    def number(self, key: str) -> int:
        """A whole number of the payload (an id, a sequence); ValueError if the row holds none."""
        return whole_number(self.payload, key)

