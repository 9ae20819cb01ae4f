"""SQLAlchemy 2 typed models: the programme as tables.

Instants are ``DateTime(timezone=True)`` and always UTC (``UtcDateTime`` refuses naive values and
hands back aware UTC even on SQLite, which stores no offset). Rules that the database can keep
(foreign keys, uniqueness, allowed statuses) live here rather than in Python, so that two bot
processes on one database cannot break them.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.domain import Attendance, Channel, MatchStatus, OutboxStatus, Role, SessionStatus

# Named constraints, so that migrations can refer to them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """An aware instant, stored and returned in UTC on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: store aware UTC instants only")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        # SQLite returns naive values; they were written as UTC by process_bind_param.
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _values(enum_type: type[enum.Enum]) -> str:
    return ", ".join(f"'{member.value}'" for member in enum_type)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class CityRow(Base):
    __tablename__ = "cities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    country: Mapped[str] = mapped_column(String(2))
    subdivision: Mapped[str | None] = mapped_column(String(10))
    timezone: Mapped[str] = mapped_column(String(64))
    group: Mapped[str] = mapped_column("group_name", String(40))
    meeting_link: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ContactRow(Base):
    __tablename__ = "contacts"
    __table_args__ = (CheckConstraint(f"role IN ({_values(Role)})", name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    email: Mapped[str | None] = mapped_column(String(254))
    city_id: Mapped[int | None] = mapped_column(ForeignKey("cities.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(8))
    display_name: Mapped[str] = mapped_column(String(120))
    reachable: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class JoinLinkRow(Base):
    """A one-time join link's code. Only its SHA-256 is kept: a leaked database grants nobody a city.

    The table keeps its first name, ``invite_codes`` (renaming it would only be churn).
    """

    __tablename__ = "invite_codes"
    __table_args__ = (CheckConstraint(f"role IN ({_values(Role)})", name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    # Who made it: a coordinator or contact in Telegram (their user id), or a contact on the web.
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_by_contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    used_by_contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))


class TopicRow(Base):
    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)
    titles: Mapped[dict[str, str]] = mapped_column(JSON)  # language -> title
    position: Mapped[int] = mapped_column(Integer, default=0)


class InterestRow(Base):
    __tablename__ = "interests"
    __table_args__ = (UniqueConstraint("city_id", "topic_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id", ondelete="CASCADE"))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"), index=True)
    note: Mapped[str | None] = mapped_column(String(500))


class WeeklyHoursRow(Base):
    """One window of a city's usual meeting hours, in the city's local wall-clock time."""

    __tablename__ = "weekly_hours"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint("start_minute >= 0 AND start_minute < end_minute AND end_minute <= 1440", name="span"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    # Minutes after local midnight: 1440 is a window's end at midnight, which ``time`` cannot say.
    start_minute: Mapped[int] = mapped_column(Integer)
    end_minute: Mapped[int] = mapped_column(Integer)


class DayAwayRow(Base):
    __tablename__ = "days_away"
    __table_args__ = (UniqueConstraint("city_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)


class DayOverrideRow(Base):
    """An official day off or working day of a country (or subdivision) that a coordinator entered.

    ``subdivision`` is ``""`` for the whole country (not NULL), so that the unique key holds one
    override per place and date on every backend: PostgreSQL lets NULLs repeat in a unique key.
    """

    __tablename__ = "day_overrides"
    __table_args__ = (
        UniqueConstraint("country", "subdivision", "day"),
        CheckConstraint(
            "(kind = 'off' AND works_as_weekday IS NULL) OR (kind = 'work' AND works_as_weekday BETWEEN 0 AND 6)",
            name="kind_weekday",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    country: Mapped[str] = mapped_column(String(2))
    subdivision: Mapped[str] = mapped_column(String(10))
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(4))
    works_as_weekday: Mapped[int | None] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    added_by: Mapped[str | None] = mapped_column(String(200))
    added_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CalendarWarningRow(Base):
    """That the coordinators were told the holiday calendar of a country and year is a guess: once."""

    __tablename__ = "calendar_warnings"
    __table_args__ = (UniqueConstraint("country", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    country: Mapped[str] = mapped_column(String(2))
    year: Mapped[int] = mapped_column(Integer)
    warned_at: Mapped[datetime] = mapped_column(UtcDateTime)


class MatchRow(Base):
    """Mutual interest of two cities in one topic. One row per pair and topic, ever: its status moves."""

    __tablename__ = "matches"
    __table_args__ = (
        UniqueConstraint("city_a_id", "city_b_id", "topic_id"),
        CheckConstraint("city_a_id < city_b_id", name="pair_order"),
        CheckConstraint(f"status IN ({_values(MatchStatus)})", name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    city_a_id: Mapped[int] = mapped_column(ForeignKey("cities.id", ondelete="CASCADE"))
    city_b_id: Mapped[int] = mapped_column(ForeignKey("cities.id", ondelete="CASCADE"), index=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), index=True)
    reason: Mapped[str | None] = mapped_column(Text)  # in words: why declined, cancelled or waiting
    no_time: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # why unschedulable (NoTimeExplanation)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ProposedSlotRow(Base):
    """The planner's best slots for a planned match, offered to coordinators as buttons."""

    __tablename__ = "proposed_slots"
    __table_args__ = (UniqueConstraint("match_id", "rank"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"))
    rank: Mapped[int] = mapped_column(Integer)
    start_utc: Mapped[datetime] = mapped_column(UtcDateTime)
    comfort: Mapped[float] = mapped_column()


class RoadmapEntryRow(Base):
    """One city's account of one session (did it take place, the next steps): the programme's roadmap."""

    __tablename__ = "roadmap_entries"
    __table_args__ = (UniqueConstraint("session_id", "city_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id", ondelete="CASCADE"))
    reported_by: Mapped[str] = mapped_column(String(120))  # the contact's name when they reported
    took_place: Mapped[bool] = mapped_column(Boolean)
    next_steps: Mapped[str | None] = mapped_column(Text)
    reported_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SessionRow(Base):
    """A confirmed meeting. A reschedule updates the row: same UID, higher sequence."""

    __tablename__ = "sessions"
    __table_args__ = (
        CheckConstraint(f"status IN ({_values(SessionStatus)})", name="status"),
        CheckConstraint("sequence >= 0", name="sequence"),
        CheckConstraint("duration_minutes > 0", name="duration"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # One session per match: confirming twice cannot create a second meeting.
    match_id: Mapped[int] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"), unique=True)
    start_utc: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    meeting_link: Mapped[str] = mapped_column(String(500))
    ical_uid: Mapped[str] = mapped_column(String(255), unique=True)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20))
    confirmed_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ParticipantRow(Base):
    """Who is invited to a session, and their answer."""

    __tablename__ = "participants"
    __table_args__ = (
        UniqueConstraint("session_id", "contact_id"),
        CheckConstraint(f"answer IN ({_values(Attendance)})", name="answer"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    answer: Mapped[str] = mapped_column(String(20), default=Attendance.PENDING.value)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class OutboxRow(Base):
    """Every outgoing message (invite, update, cancellation, reminder, notice) is a row.

    A sender claims a row with a conditional update before sending and marks it after, so two
    processes never send the same message; ``dedupe_key`` keeps the same message from being queued
    twice.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint(f"status IN ({_values(OutboxStatus)})", name="status"),
        CheckConstraint(f"channel IN ({_values(Channel)})", name="channel"),
        Index("ix_outbox_status_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(20), default=OutboxStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Set (and committed) just before the message is handed to its channel: a claimed row without
    # it was never sent, so it can go back to the queue safely; one with it may have been sent.
    handed_over_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ConversationRow(Base):
    """What the bot waits for from one person, kept here so that a restart loses nothing.

    ``step`` names the free text expected next (weekly hours, days away, a topic's note) with its
    ``payload`` (which city, which topic); ``acting_city_id`` is the city a coordinator currently
    acts for. Not product data: forgetting a person deletes the row.
    """

    __tablename__ = "conversations"

    telegram_user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    step: Mapped[str | None] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    acting_city_id: Mapped[int | None] = mapped_column(ForeignKey("cities.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SignInLinkRow(Base):
    """A personal sign-in link of the web app. Only its SHA-256 is kept; spent once, then dead."""

    __tablename__ = "sign_in_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Forgetting a person deletes their links with them.
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class MailInMailboxRow(Base):
    """A mailbox Tandem reads replies from: who reads it now (a lease) and how far it has read.

    One reader at a time across processes: a process reads only while it holds the lease
    (``lease_owner`` until ``lease_until``), taken and renewed by a conditional update, so a
    process that dies loses it when it expires. ``uidvalidity`` and ``last_uid`` are IMAP's
    names for the folder's identity and the highest message UID dealt with (RFC 3501 2.3.1.1):
    a new UIDVALIDITY means the numbers start again, so reading starts from the beginning.
    """

    __tablename__ = "mail_in_mailboxes"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)


class MailInMessageRow(Base):
    """An e-mail Tandem has taken in, by a key of its own (its Message-ID, or a hash of its bytes).

    Written in the same transaction as what the message changed, so the same message read again
    (after a crash before it was moved, a new UIDVALIDITY, or a copy) changes nothing twice.
    """

    __tablename__ = "mail_in_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_key: Mapped[str] = mapped_column(String(64), unique=True)
    outcome: Mapped[str] = mapped_column(String(20))  # "processed" or "unmatched"
    detail: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CalendarFeedRow(Base):
    """A coordinator's subscribable calendar URL. Only its token's SHA-256 is kept; revoked, it is dead."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, index=True)  # the coordinator (the configuration's id)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
