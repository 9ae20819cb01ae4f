"""Repositories: small collections over one aggregate each, speaking domain objects.

Rows never leave this module: every method returns values from ``bot.domain``. Where two actors
can race (creating a match, confirming a session, claiming an outgoing message) the database
decides, with a uniqueness constraint or a conditional ``UPDATE … WHERE status = …`` whose row
count says who won. That works the same on PostgreSQL (row locks; ``SKIP LOCKED`` when claiming)
and on SQLite (one writer at a time, so the second conditional update sees the first's result).
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time
from typing import Any, cast

from sqlalchemy import BigInteger, and_, case, delete, func, insert, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import CursorResult, Result
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.domain import (
    Attendance,
    Channel,
    City,
    ClosedDay,
    ConflictError,
    Contact,
    Conversation,
    DayOverride,
    DayOverrideKind,
    Interest,
    JoinLink,
    Match,
    MatchStatus,
    MatchView,
    NoticeKind,
    NoTimeExplanation,
    NoTimeReason,
    OutboxStatus,
    OutgoingMessage,
    OutgoingRequest,
    RoadmapEntry,
    Role,
    Session,
    SessionStatus,
    SessionView,
    Topic,
    WeeklyWindow,
    utc,
)
from storage.models import (
    CalendarWarningRow,
    CityRow,
    ContactRow,
    ConversationRow,
    DayAwayRow,
    DayOverrideRow,
    InterestRow,
    JoinLinkRow,
    MatchRow,
    OutboxRow,
    ParticipantRow,
    ProposedSlotRow,
    RoadmapEntryRow,
    SessionRow,
    TopicRow,
    WeeklyHoursRow,
)


def _city(row: CityRow) -> City:
    return City(
        id=row.id,
        name=row.name,
        country=row.country,
        timezone=row.timezone,
        group=row.group,
        subdivision=row.subdivision,
        meeting_link=row.meeting_link,
    )


def _contact(row: ContactRow) -> Contact:
    return Contact(
        id=row.id,
        display_name=row.display_name,
        role=Role(row.role),
        language=row.language,
        city_id=row.city_id,
        telegram_user_id=row.telegram_user_id,
        chat_id=row.chat_id,
        email=row.email,
        reachable=row.reachable,
    )


def _conversation(row: ConversationRow) -> Conversation:
    return Conversation(row.telegram_user_id, row.step, dict(row.payload) or None, row.acting_city_id)


def _match(row: MatchRow) -> Match:
    return Match(
        id=row.id,
        city_a_id=row.city_a_id,
        city_b_id=row.city_b_id,
        topic_id=row.topic_id,
        status=MatchStatus(row.status),
        reason=row.reason,
        no_time=_no_time(row.id, row.no_time) if row.no_time else None,
    )


# An unschedulable match's explanation, as JSON (``matches.no_time``); migration 0004 wrote the
# explanations kept before as text in this shape.
def _no_time_json(explanation: NoTimeExplanation) -> dict[str, Any]:
    return {
        "reason": explanation.reason.value,
        "longest_overlap_minutes": explanation.longest_overlap_minutes,
        "duration_minutes": explanation.duration_minutes,
        "closed_days": [
            {"city_id": d.city_id, "date": d.local_date.isoformat(), "kind": d.kind, "name": d.name} for d in explanation.closed_days
        ],
        "blocking_city_ids": list(explanation.blocking_city_ids),
    }


def _no_time(match_id: int, data: dict[str, Any]) -> NoTimeExplanation:
    return NoTimeExplanation(
        reason=NoTimeReason(data["reason"]),
        request_id=match_id,
        longest_overlap_minutes=int(data.get("longest_overlap_minutes") or 0),
        duration_minutes=int(data.get("duration_minutes") or 0),
        closed_days=tuple(
            ClosedDay(d["city_id"], date.fromisoformat(d["date"]), d["kind"], d.get("name")) for d in data.get("closed_days") or []
        ),
        blocking_city_ids=tuple(data.get("blocking_city_ids") or ()),
    )


def _topic(row: TopicRow) -> Topic:
    return Topic(row.id, row.key, dict(row.titles))


def _session(row: SessionRow) -> Session:
    return Session(
        id=row.id,
        match_id=row.match_id,
        start_utc=row.start_utc,
        duration_minutes=row.duration_minutes,
        meeting_link=row.meeting_link,
        ical_uid=row.ical_uid,
        sequence=row.sequence,
        status=SessionStatus(row.status),
        confirmed_by=row.confirmed_by,
    )


def _message(row: OutboxRow) -> OutgoingMessage:
    return OutgoingMessage(
        id=row.id,
        kind=row.kind,
        channel=Channel(row.channel),
        contact_id=row.contact_id,
        due_utc=row.due_at,
        status=OutboxStatus(row.status),
        payload=dict(row.payload),
        session_id=row.session_id,
        attempts=row.attempts,
    )


def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute


def _time(minutes: int) -> time:
    # 1440 (midnight at the end of the day) has no ``time``; a window's end of 00:00 means 24:00.
    return time(0) if minutes >= 1440 else time(minutes // 60, minutes % 60)


def _rowcount(result: Result[Any]) -> int:
    """How many rows an INSERT … ON CONFLICT DO NOTHING, UPDATE or DELETE changed: the verdict of a race decided by the database."""
    return int(cast("CursorResult[Any]", result).rowcount)


class _Repository:
    def __init__(self, db_session: AsyncSession) -> None:
        self.db = db_session


def dialect_insert(db: AsyncSession) -> Any:
    """The database's own ``INSERT`` construct, which has ``ON CONFLICT`` (SQLite and PostgreSQL alike)."""
    return postgresql_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert


class CityRepository(_Repository):
    async def add(
        self,
        *,
        name: str,
        country: str,
        timezone: str,
        group: str,
        now_utc: datetime,
        subdivision: str | None = None,
        meeting_link: str | None = None,
    ) -> City:
        row = CityRow(
            name=name,
            country=country.upper(),
            timezone=timezone,
            group=group,
            subdivision=subdivision,
            meeting_link=meeting_link,
            created_at=now_utc,
        )
        self.db.add(row)
        await self.db.flush()
        return _city(row)

    async def get(self, city_id: int) -> City | None:
        row = await self.db.get(CityRow, city_id)
        return _city(row) if row else None

    async def get_many(self, city_ids: Iterable[int]) -> builtins.list[City]:
        """The cities of ``city_ids`` that exist, by id, in one query."""
        ids = builtins.list(city_ids)
        if not ids:
            return []
        return [_city(r) for r in await self.db.scalars(select(CityRow).where(CityRow.id.in_(ids)).order_by(CityRow.id))]

    async def by_name(self, name: str) -> City | None:
        row = await self.db.scalar(select(CityRow).where(func.lower(CityRow.name) == name.strip().lower()))
        return _city(row) if row else None

    async def list(self) -> list[City]:
        rows = await self.db.scalars(select(CityRow).order_by(CityRow.name))
        return [_city(r) for r in rows]

    async def lock(self, city_ids: Iterable[int]) -> None:
        """Hold these cities until the transaction ends, so two writers cannot book one city at once.

        PostgreSQL: row locks, taken in id order so two writers never wait on each other in a
        cycle. SQLite: a no-op clause; its transactions already run one writer at a time.
        """
        await self.db.execute(
            select(CityRow.id).where(CityRow.id.in_(sorted(set(city_ids)))).order_by(CityRow.id).with_for_update()
        )

    async def save(self, city: City) -> City:
        """Store every field of an existing city as ``city`` has it (a coordinator's edit)."""
        row = await self.db.get(CityRow, city.id)
        if row is None:
            raise LookupError(city.id)
        row.name, row.country, row.timezone, row.group = city.name, city.country.upper(), city.timezone, city.group
        row.subdivision, row.meeting_link = city.subdivision, city.meeting_link
        await self.db.flush()
        return _city(row)

    async def set_weekly_hours(self, city_id: int, windows: Iterable[WeeklyWindow]) -> None:
        await self.db.execute(delete(WeeklyHoursRow).where(WeeklyHoursRow.city_id == city_id))
        rows = [
            dict(city_id=city_id, weekday=w.weekday, start_minute=_minutes(w.start), end_minute=1440 if w.end == time(0) else _minutes(w.end))
            for w in windows
        ]
        if rows:  # one statement for the week, not one per window
            await self.db.execute(insert(WeeklyHoursRow).values(rows))

    async def weekly_hours(self, city_id: int) -> tuple[WeeklyWindow, ...]:
        return (await self.weekly_hours_of([city_id])).get(city_id, ())

    async def ids_with_hours(self) -> set[int]:
        """The cities that have weekly hours, in one query (the board's to-dos)."""
        return set(await self.db.scalars(select(WeeklyHoursRow.city_id).distinct()))

    async def weekly_hours_of(self, city_ids: Iterable[int]) -> dict[int, tuple[WeeklyWindow, ...]]:
        """The hours of many cities in one query (planning reads every city's)."""
        # Columns, not ORM objects: nothing is kept in the session that set_weekly_hours' bulk
        # statements could leave stale, and no object is built per window.
        rows = await self.db.execute(
            select(WeeklyHoursRow.city_id, WeeklyHoursRow.weekday, WeeklyHoursRow.start_minute, WeeklyHoursRow.end_minute)
            .where(WeeklyHoursRow.city_id.in_(list(city_ids)))
            .order_by(WeeklyHoursRow.city_id, WeeklyHoursRow.weekday, WeeklyHoursRow.start_minute)
        )
        hours: dict[int, list[WeeklyWindow]] = {}
        for r in rows:
            hours.setdefault(r.city_id, []).append(WeeklyWindow(r.weekday, _time(r.start_minute), _time(r.end_minute)))
        return {city_id: tuple(windows) for city_id, windows in hours.items()}

    async def add_days_away(self, city_id: int, days: Iterable[date]) -> None:
        existing = set(await self.days_away(city_id))
        self.db.add_all(DayAwayRow(city_id=city_id, day=d) for d in sorted(set(days) - existing))
        await self.db.flush()

    async def remove_days_away(self, city_id: int, days: Iterable[date]) -> None:
        await self.db.execute(
            delete(DayAwayRow).where(DayAwayRow.city_id == city_id, DayAwayRow.day.in_(list(days)))
        )

    async def days_away(self, city_id: int) -> builtins.list[date]:  # builtins: "list" is a method here
        return (await self.days_away_of([city_id])).get(city_id, [])

    async def days_away_of(self, city_ids: Iterable[int]) -> dict[int, builtins.list[date]]:
        """The days away of many cities in one query."""
        rows = await self.db.execute(
            select(DayAwayRow.city_id, DayAwayRow.day)
            .where(DayAwayRow.city_id.in_(list(city_ids)))
            .order_by(DayAwayRow.city_id, DayAwayRow.day)
        )
        days: dict[int, builtins.list[date]] = {}
        for city_id, day in rows:
            days.setdefault(city_id, []).append(day)
        return days


def _day_override(row: DayOverrideRow) -> DayOverride:
    return DayOverride(
        country=row.country, day=row.day, kind=DayOverrideKind(row.kind), name=row.name,
        subdivision=row.subdivision or None, works_as_weekday=row.works_as_weekday,
        id=row.id, added_by=row.added_by, added_at=row.added_at,
    )


class DayOverrideRepository(_Repository):
    """The coordinators' official days off and working days: one per country, subdivision and date."""

    async def put(self, override: DayOverride, *, now_utc: datetime) -> tuple[DayOverride, DayOverride | None]:
        """Store ``override``, replacing the one of the same place and date; (stored, replaced or None).

        The old row is locked first, so two coordinators entering one date take turns; of two first
        entries at once the unique key keeps one, and the other gets ``ConflictError`` (nothing stored).
        """
        place = (
            DayOverrideRow.country == override.country.upper(),
            DayOverrideRow.subdivision == (override.subdivision or ""),
            DayOverrideRow.day == override.day,
        )
        old = await self.db.scalar(select(DayOverrideRow).where(*place).with_for_update())
        replaced = _day_override(old) if old is not None else None
        if old is not None:
            await self.db.delete(old)
            await self.db.flush()
        row = DayOverrideRow(
            country=override.country.upper(), subdivision=override.subdivision or "", day=override.day,
            kind=override.kind.value, works_as_weekday=override.works_as_weekday, name=override.name[:200],
            added_by=override.added_by[:200] if override.added_by else None, added_at=now_utc,
        )
        try:
            async with self.db.begin_nested():
                self.db.add(row)
        except IntegrityError:
            raise ConflictError(
                f"another coordinator entered {override.country} {override.day.isoformat()} at the same moment; send it again"
            ) from None
        return _day_override(row), replaced

    async def remove(self, country: str, day: date, subdivision: str | None = None) -> DayOverride | None:
        """Delete the override of that place and date; the one deleted, or None if there was none."""
        row = await self.db.scalar(
            select(DayOverrideRow).where(
                DayOverrideRow.country == country.upper(),
                DayOverrideRow.subdivision == (subdivision or ""),
                DayOverrideRow.day == day,
            ).with_for_update()
        )
        if row is None:
            return None
        removed = _day_override(row)
        await self.db.delete(row)
        await self.db.flush()
        return removed

    async def warn_once(self, country: str, year: int, *, now_utc: datetime) -> bool:
        """Note that the coordinators are told ``country``'s calendar of ``year`` is a guess; False if
        they were before. The unique key decides between two planning runs at once."""
        try:
            async with self.db.begin_nested():
                self.db.add(CalendarWarningRow(country=country.upper(), year=year, warned_at=now_utc))
        except IntegrityError:
            return False
        return True

    async def list(self, country: str | None = None) -> builtins.list[DayOverride]:
        """Every override (of one country), by country, date and subdivision."""
        query = select(DayOverrideRow).order_by(DayOverrideRow.country, DayOverrideRow.day, DayOverrideRow.subdivision)
        if country is not None:
            query = query.where(DayOverrideRow.country == country.upper())
        return [_day_override(r) for r in await self.db.scalars(query)]


class ContactRepository(_Repository):
    async def add(
        self,
        *,
        display_name: str,
        role: Role,
        language: str,
        now_utc: datetime,
        city_id: int | None = None,
        telegram_user_id: int | None = None,
        chat_id: int | None = None,
        email: str | None = None,
    ) -> Contact:
        row = ContactRow(
            display_name=display_name,
            role=role.value,
            language=language,
            city_id=city_id,
            telegram_user_id=telegram_user_id,
            chat_id=chat_id,
            email=email,
            reachable=True,
            created_at=now_utc,
        )
        self.db.add(row)
        await self.db.flush()
        return _contact(row)

    async def get(self, contact_id: int) -> Contact | None:
        row = await self.db.get(ContactRow, contact_id)
        return _contact(row) if row else None

    async def by_telegram_user(self, telegram_user_id: int) -> Contact | None:
        row = await self.db.scalar(select(ContactRow).where(ContactRow.telegram_user_id == telegram_user_id))
        return _contact(row) if row else None

    async def of_telegram_user(self, telegram_user_id: int) -> tuple[Contact | None, City | None, Conversation]:
        """The Telegram user's contact (if any), its city and the chat's conversation, in one query.

        Every update asks this, in a reading transaction and again in the writing one, so it is one
        round trip and not three (on SQLite, while the write lock is held, each costs a wait for the
        event loop).
        """
        asked = select(literal(telegram_user_id, BigInteger).label("telegram_user_id")).subquery()
        statement = (
            select(ContactRow, CityRow, ConversationRow)
            .select_from(asked)
            .outerjoin(ContactRow, ContactRow.telegram_user_id == asked.c.telegram_user_id)
            .outerjoin(CityRow, CityRow.id == ContactRow.city_id)
            .outerjoin(ConversationRow, ConversationRow.telegram_user_id == asked.c.telegram_user_id)
            .execution_options(populate_existing=True)
        )
        contact, city, conversation = (await self.db.execute(statement)).one()
        return (
            _contact(contact) if contact is not None else None,
            _city(city) if city is not None else None,
            _conversation(conversation) if conversation is not None else Conversation(telegram_user_id),
        )

    async def with_city(self, contact_id: int) -> tuple[Contact | None, City | None]:
        """The contact and its city, in one query."""
        found = (await self.db.execute(select(ContactRow, CityRow).outerjoin(CityRow, CityRow.id == ContactRow.city_id).where(ContactRow.id == contact_id))).first()
        if found is None:
            return None, None
        contact, city = found
        return _contact(contact), _city(city) if city is not None else None

    async def by_email(self, address: str) -> list[Contact]:
        """Everyone with this address (compared without case: mail systems ignore it in practice)."""
        rows = await self.db.scalars(
            select(ContactRow).where(func.lower(ContactRow.email) == address.strip().lower()).order_by(ContactRow.id)
        )
        return [_contact(r) for r in rows]

    async def of_city(self, city_id: int) -> list[Contact]:
        rows = await self.db.scalars(select(ContactRow).where(ContactRow.city_id == city_id).order_by(ContactRow.id))
        return [_contact(r) for r in rows]

    async def with_role(self, role: Role) -> list[Contact]:
        rows = await self.db.scalars(select(ContactRow).where(ContactRow.role == role.value).order_by(ContactRow.id))
        return [_contact(r) for r in rows]

    async def city_ids_with_role(self, role: Role) -> set[int]:
        """The cities that have someone of ``role`` (a contact, say), in one query."""
        return set(await self.db.scalars(select(ContactRow.city_id).where(ContactRow.role == role.value, ContactRow.city_id.is_not(None)).distinct()))

    async def of_cities(self, city_ids: Iterable[int] | None = None) -> dict[int, builtins.list[Contact]]:
        """The people of many cities (all cities: None), by city, in one query."""
        query = select(ContactRow).where(ContactRow.city_id.is_not(None)).order_by(ContactRow.id)
        if city_ids is not None:
            query = query.where(ContactRow.city_id.in_(list(city_ids)))
        found: dict[int, builtins.list[Contact]] = {}
        for row in await self.db.scalars(query):
            assert row.city_id is not None
            found.setdefault(row.city_id, []).append(_contact(row))
        return found

    # Each change writes only its own columns, so two changes to one person never undo each other.

    async def set_chat(self, contact_id: int, chat_id: int) -> Contact:
        """The person wrote to the bot from ``chat_id``: Telegram reaches them there (again)."""
        return await self._change(contact_id, chat_id=chat_id, reachable=True)

    async def set_language(self, contact_id: int, language: str) -> Contact:
        return await self._change(contact_id, language=language)

    async def join_city(self, contact_id: int, *, city_id: int, role: Role, chat_id: int) -> Contact:
        """A known person opened a join link: they now speak for (or take part for) ``city_id``."""
        return await self._change(contact_id, city_id=city_id, role=role.value, chat_id=chat_id)

    async def _change(self, contact_id: int, **columns: object) -> Contact:
        row = await self.db.get(ContactRow, contact_id)
        if row is None:
            raise LookupError(contact_id)
        for column, value in columns.items():
            setattr(row, column, value)
        await self.db.flush()
        return _contact(row)

    async def mark_unreachable(self, contact_id: int) -> bool:
        """True only for the call that changed it, so the coordinator is told once."""
        result = await self.db.execute(
            update(ContactRow).where(ContactRow.id == contact_id, ContactRow.reachable.is_(True)).values(reachable=False)
        )
        return _rowcount(result) == 1

    async def delete(self, contact_id: int) -> None:
        await self.db.execute(delete(ContactRow).where(ContactRow.id == contact_id))


class JoinLinkRepository(_Repository):
    """One-time join links (table ``invite_codes``); the code itself is never stored, only its SHA-256."""

    async def add(
        self,
        *,
        code_hash: str,
        city_id: int,
        role: Role,
        now_utc: datetime,
        expires_at: datetime,
        created_by: int | None = None,
        created_by_contact_id: int | None = None,
    ) -> None:
        """Keep a new code; ``created_by`` is a Telegram user id, ``created_by_contact_id`` a contact on the web."""
        self.db.add(
            JoinLinkRow(
                code_hash=code_hash,
                city_id=city_id,
                role=role.value,
                created_by=created_by,
                created_by_contact_id=created_by_contact_id,
                created_at=now_utc,
                expires_at=expires_at,
            )
        )
        await self.db.flush()

    async def by_hash(self, code_hash: str) -> JoinLink | None:
        row = await self.db.scalar(select(JoinLinkRow).where(JoinLinkRow.code_hash == code_hash))
        if row is None:
            return None
        return JoinLink(row.id, row.city_id, Role(row.role), row.expires_at, row.used_at)

    async def use(self, link_id: int, *, contact_id: int, now_utc: datetime) -> bool:
        """Spend a code; False if it was already spent or has expired (two people, one link)."""
        result = await self.db.execute(
            update(JoinLinkRow)
            .where(JoinLinkRow.id == link_id, JoinLinkRow.used_at.is_(None), JoinLinkRow.expires_at > now_utc)
            .values(used_at=now_utc, used_by_contact_id=contact_id)
        )
        return _rowcount(result) == 1


class TopicRepository(_Repository):
    async def sync(self, topics: Sequence[tuple[str, dict[str, str]]]) -> None:
        """Make the topic table hold the configured topics (keys are kept; titles and order follow the config).

        Idempotent when several processes start at once on a fresh database: each inserts the
        missing keys with ``ON CONFLICT DO NOTHING`` (the second waits on the first's uncommitted
        key and then inserts nothing), then sets titles and order, which every process sets alike.
        """
        if not topics:
            return
        await self.db.execute(
            dialect_insert(self.db)(TopicRow)
            .values([{"key": key, "titles": dict(titles), "position": position} for position, (key, titles) in enumerate(topics)])
            .on_conflict_do_nothing(index_elements=[TopicRow.key])
        )
        for position, (key, titles) in enumerate(topics):
            await self.db.execute(update(TopicRow).where(TopicRow.key == key).values(titles=dict(titles), position=position))

    async def lock(self, topic_ids: Iterable[int]) -> set[int]:
        """Hold these topics until the transaction ends: the interests in a topic change one writer at a time.

        Why a lock and not the uniqueness of a match alone: two cities choosing one topic at once
        each insert their interest and then read the others'. Under PostgreSQL's READ COMMITTED
        neither sees the other's uncommitted row, both find no partner and no match is made (write
        skew). With the topic row locked before the read, the second writer waits for the first to
        commit, and its next statement sees the first interest. PostgreSQL: row locks in id order
        (no cycles between writers). SQLite: a no-op clause; BEGIN IMMEDIATE already serialises
        every writer (``storage.db``). SERIALIZABLE with retries would work too, but would abort and
        redo whole units of work (notices, views) where a short wait on one row suffices.

        Returns the ids of those that exist: the one read also tells whether a tapped topic is still
        part of the programme.
        """
        locked = await self.db.scalars(
            select(TopicRow.id).where(TopicRow.id.in_(sorted(set(topic_ids)))).order_by(TopicRow.id).with_for_update()
        )
        return set(locked)

    async def list(self) -> list[Topic]:
        rows = await self.db.scalars(select(TopicRow).order_by(TopicRow.position, TopicRow.id))
        return [_topic(r) for r in rows]

    async def get(self, topic_id: int) -> Topic | None:
        row = await self.db.get(TopicRow, topic_id)
        return _topic(row) if row else None

    async def by_key(self, key: str) -> Topic | None:
        row = await self.db.scalar(select(TopicRow).where(TopicRow.key == key))
        return _topic(row) if row else None


class InterestRepository(_Repository):
    async def of_city(self, city_id: int) -> list[Interest]:
        rows = await self.db.scalars(select(InterestRow).where(InterestRow.city_id == city_id).order_by(InterestRow.topic_id))
        return [Interest(r.city_id, r.topic_id, r.note) for r in rows]

    async def of_topic(self, topic_id: int) -> list[Interest]:
        rows = await self.db.scalars(select(InterestRow).where(InterestRow.topic_id == topic_id).order_by(InterestRow.city_id))
        return [Interest(r.city_id, r.topic_id, r.note) for r in rows]

    async def of_cities(self, city_ids: Iterable[int] | None = None) -> list[Interest]:
        """The interests of many cities (all: None), in one query."""
        query = select(InterestRow.city_id, InterestRow.topic_id, InterestRow.note).order_by(InterestRow.city_id, InterestRow.topic_id)
        if city_ids is not None:
            query = query.where(InterestRow.city_id.in_(list(city_ids)))
        return [Interest(city_id, topic_id, note) for city_id, topic_id, note in await self.db.execute(query)]

    async def add(self, city_id: int, topic_id: int, note: str | None = None) -> bool:
        """Add an interest; False if the city already had it (a double tap)."""
        insert = dialect_insert(self.db)
        result = await self.db.execute(
            insert(InterestRow).values(city_id=city_id, topic_id=topic_id, note=note).on_conflict_do_nothing(
                index_elements=[InterestRow.city_id, InterestRow.topic_id]
            )
        )
        return _rowcount(result) == 1

    async def remove(self, city_id: int, topic_id: int) -> bool:
        result = await self.db.execute(
            delete(InterestRow).where(InterestRow.city_id == city_id, InterestRow.topic_id == topic_id)
        )
        return _rowcount(result) == 1

    async def set_note(self, city_id: int, topic_id: int, note: str | None) -> bool:
        result = await self.db.execute(
            update(InterestRow).where(InterestRow.city_id == city_id, InterestRow.topic_id == topic_id).values(note=note)
        )
        return _rowcount(result) == 1


class MatchRepository(_Repository):
    async def get(self, match_id: int) -> Match | None:
        row = await self.db.get(MatchRow, match_id)
        return _match(row) if row else None

    async def create(self, city_1: int, city_2: int, topic_id: int, now_utc: datetime) -> Match | None:
        """Create the match of a pair and topic; None if it exists already (the other writer won)."""
        created = await self.create_many(city_1, [city_2], topic_id, now_utc)
        return created[0] if created else None

    async def create_many(self, city_id: int, partner_ids: Iterable[int], topic_id: int, now_utc: datetime) -> builtins.list[Match]:
        """Create the matches of ``city_id`` with each partner on ``topic_id``; returns the new ones.

        One ``INSERT … ON CONFLICT DO NOTHING`` for all pairs: a pair that has a match on the topic
        already (made by another writer, or met before) is skipped, as ``create`` returns None.
        """
        pairs = sorted({tuple(sorted((city_id, partner))) for partner in partner_ids})
        if not pairs:
            return []
        insert = dialect_insert(self.db)
        statement = (
            insert(MatchRow)
            .values([
                dict(city_a_id=a, city_b_id=b, topic_id=topic_id, status=MatchStatus.OPEN.value, created_at=now_utc, updated_at=now_utc)
                for a, b in pairs
            ])
            .on_conflict_do_nothing(index_elements=[MatchRow.city_a_id, MatchRow.city_b_id, MatchRow.topic_id])
            .returning(MatchRow)
        )
        return sorted((_match(r) for r in await self.db.scalars(statement)), key=lambda m: m.id)

    async def find(self, city_1: int, city_2: int, topic_id: int) -> Match | None:
        a, b = sorted((city_1, city_2))
        row = await self.db.scalar(
            select(MatchRow).where(MatchRow.city_a_id == a, MatchRow.city_b_id == b, MatchRow.topic_id == topic_id)
        )
        return _match(row) if row else None

    async def with_status(self, *statuses: MatchStatus) -> list[Match]:
        rows = await self.db.scalars(
            select(MatchRow).where(MatchRow.status.in_([s.value for s in statuses])).order_by(MatchRow.id)
        )
        return [_match(r) for r in rows]

    async def of_city(self, city_id: int) -> list[Match]:
        rows = await self.db.scalars(
            select(MatchRow).where(or_(MatchRow.city_a_id == city_id, MatchRow.city_b_id == city_id)).order_by(MatchRow.id)
        )
        return [_match(r) for r in rows]

    async def transition(
        self,
        match_id: int,
        from_statuses: Iterable[MatchStatus],
        to: MatchStatus,
        now_utc: datetime,
        reason: str | None = None,
        no_time: NoTimeExplanation | None = None,
    ) -> bool:
        """Move a match on only if it is still in one of ``from_statuses``; True for the one caller that did.

        ``reason`` and ``no_time`` replace what the match said before (None clears them).
        """
        result = await self.db.execute(
            update(MatchRow)
            .where(MatchRow.id == match_id, MatchRow.status.in_([s.value for s in from_statuses]))
            .values(status=to.value, reason=reason, no_time=_no_time_json(no_time) if no_time else None, updated_at=now_utc)
        )
        return _rowcount(result) == 1

    async def transition_many(
        self,
        match_ids: Iterable[int],
        from_statuses: Iterable[MatchStatus],
        to: MatchStatus,
        now_utc: datetime,
        reason: str | None = None,
        no_time: NoTimeExplanation | None = None,
    ) -> int:
        """``transition`` for many matches going to the same state, in one statement; how many moved."""
        ids = builtins.list(match_ids)
        if not ids:
            return 0
        result = await self.db.execute(
            update(MatchRow)
            .where(MatchRow.id.in_(ids), MatchRow.status.in_([s.value for s in from_statuses]))
            .values(status=to.value, reason=reason, no_time=_no_time_json(no_time) if no_time else None, updated_at=now_utc)
        )
        return _rowcount(result)

    async def set_proposals(self, match_id: int, slots: Sequence[tuple[datetime, float]]) -> None:
        await self.set_proposals_of({match_id: slots})

    async def set_proposals_of(self, slots_by_match: Mapping[int, Sequence[tuple[datetime, float]]]) -> None:
        """Replace the offered slots of these matches (three statements, whatever their number).

        The match rows are locked first, in id order (PostgreSQL; SQLite has one writer anyway):
        two writers that both deleted and then inserted ranks 0, 1, 2 would collide on (match_id,
        rank). With the lock the second waits, and its DELETE, a new statement, sees and removes
        the first's rows.
        """
        if not slots_by_match:
            return
        ids = sorted(slots_by_match)
        await self.db.execute(select(MatchRow.id).where(MatchRow.id.in_(ids)).order_by(MatchRow.id).with_for_update())
        await self.db.execute(delete(ProposedSlotRow).where(ProposedSlotRow.match_id.in_(ids)))
        rows = [
            {"match_id": match_id, "rank": rank, "start_utc": start, "comfort": comfort}
            for match_id in ids
            for rank, (start, comfort) in enumerate(slots_by_match[match_id])
        ]
        if rows:
            await self.db.execute(insert(ProposedSlotRow), rows)

    async def proposals(self, match_id: int) -> list[tuple[datetime, float]]:
        return (await self.proposals_of([match_id])).get(match_id, [])

    async def proposals_of(self, match_ids: Iterable[int]) -> dict[int, list[tuple[datetime, float]]]:
        """The offered slots (start, comfort) of many matches, best first, in one query."""
        rows = await self.db.execute(
            select(ProposedSlotRow.match_id, ProposedSlotRow.start_utc, ProposedSlotRow.comfort)
            .where(ProposedSlotRow.match_id.in_(list(match_ids)))
            .order_by(ProposedSlotRow.match_id, ProposedSlotRow.rank)
        )
        slots: dict[int, list[tuple[datetime, float]]] = {}
        for match_id, start, comfort in rows:
            slots.setdefault(match_id, []).append((start, comfort))
        return slots

    async def view(self, match_id: int) -> MatchView | None:
        found = await self.views(ids=[match_id])
        return found[0] if found else None

    async def views(
        self,
        *,
        ids: Iterable[int] | None = None,
        statuses: Iterable[MatchStatus] | None = None,
        city_id: int | None = None,
        topic_id: int | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> list[MatchView]:
        """Matches with their cities, topic and notes, in one query, oldest first.

        All, or those with ``ids``, ``statuses``, of ``city_id``, on ``topic_id``; ``offset`` and
        ``limit`` give one page of them (the coordinators' board).
        """
        city_a, city_b = aliased(CityRow), aliased(CityRow)
        note_a, note_b = aliased(InterestRow), aliased(InterestRow)
        query = (
            select(MatchRow, city_a, city_b, TopicRow, note_a.note, note_b.note)
            .join(city_a, city_a.id == MatchRow.city_a_id)
            .join(city_b, city_b.id == MatchRow.city_b_id)
            .join(TopicRow, TopicRow.id == MatchRow.topic_id)
            .outerjoin(note_a, and_(note_a.city_id == MatchRow.city_a_id, note_a.topic_id == MatchRow.topic_id))
            .outerjoin(note_b, and_(note_b.city_id == MatchRow.city_b_id, note_b.topic_id == MatchRow.topic_id))
            .order_by(MatchRow.id)
        )
        query = self._filtered(query, ids=ids, statuses=statuses, city_id=city_id, topic_id=topic_id)
        if offset:
            query = query.offset(offset)
        if limit is not None:
            query = query.limit(limit)
        rows = await self.db.execute(query)
        return [MatchView(_match(m), _city(a), _city(b), _topic(t), na, nb) for m, a, b, t, na, nb in rows]

    async def counts(self, *, city_id: int | None = None) -> dict[tuple[int, MatchStatus], int]:
        """How many matches there are per (topic, status), of ``city_id`` or of all cities, in one query."""
        query = self._filtered(
            select(MatchRow.topic_id, MatchRow.status, func.count()).group_by(MatchRow.topic_id, MatchRow.status), city_id=city_id
        )
        return {(topic_id, MatchStatus(status)): int(n) for topic_id, status, n in await self.db.execute(query)}

    @staticmethod
    def _filtered(
        query: Any,
        *,
        ids: Iterable[int] | None = None,
        statuses: Iterable[MatchStatus] | None = None,
        city_id: int | None = None,
        topic_id: int | None = None,
    ) -> Any:
        if ids is not None:
            query = query.where(MatchRow.id.in_(list(ids)))
        if statuses is not None:
            query = query.where(MatchRow.status.in_([s.value for s in statuses]))
        if city_id is not None:
            query = query.where(or_(MatchRow.city_a_id == city_id, MatchRow.city_b_id == city_id))
        if topic_id is not None:
            query = query.where(MatchRow.topic_id == topic_id)
        return query


class SessionRepository(_Repository):
    async def add(
        self,
        *,
        match_id: int,
        start_utc: datetime,
        duration_minutes: int,
        meeting_link: str,
        ical_uid: str,
        confirmed_by: int | None,
        now_utc: datetime,
    ) -> Session | None:
        """Create the session of a match; None if the match has one already."""
        row = SessionRow(
            match_id=match_id,
            start_utc=start_utc,
            duration_minutes=duration_minutes,
            meeting_link=meeting_link,
            ical_uid=ical_uid,
            sequence=0,
            status=SessionStatus.CONFIRMED.value,
            confirmed_by=confirmed_by,
            created_at=now_utc,
            updated_at=now_utc,
        )
        try:
            async with self.db.begin_nested():
                self.db.add(row)
        except IntegrityError:
            return None
        return _session(row)

    async def get(self, session_id: int) -> Session | None:
        row = await self.db.get(SessionRow, session_id)
        return _session(row) if row else None

    async def of_match(self, match_id: int) -> Session | None:
        row = await self.db.scalar(select(SessionRow).where(SessionRow.match_id == match_id))
        return _session(row) if row else None

    async def by_uid(self, ical_uid: str) -> Session | None:
        """The session whose calendar files carry this UID (a reply names it)."""
        row = await self.db.scalar(select(SessionRow).where(SessionRow.ical_uid == ical_uid))
        return _session(row) if row else None

    async def with_participants_by_uid(self, ical_uids: Iterable[str]) -> dict[str, tuple[Session, builtins.list[Contact]]]:
        """The sessions carrying these UIDs, each with the people invited to it, in one query
        (the replies read from the mailbox, several at a time); a UID no session has is left out."""
        uids = list(dict.fromkeys(ical_uids))
        if not uids:
            return {}
        rows = await self.db.execute(
            select(SessionRow, ContactRow)
            .outerjoin(ParticipantRow, ParticipantRow.session_id == SessionRow.id)
            .outerjoin(ContactRow, ContactRow.id == ParticipantRow.contact_id)
            .where(SessionRow.ical_uid.in_(uids))
            .order_by(SessionRow.id, ContactRow.id)
        )
        found: dict[str, tuple[Session, builtins.list[Contact]]] = {}
        for session_row, contact_row in rows:
            entry = found.get(session_row.ical_uid)
            if entry is None:
                entry = found[session_row.ical_uid] = (_session(session_row), [])
            if contact_row is not None:
                entry[1].append(_contact(contact_row))
        return found

    async def of_matches(self, match_ids: Iterable[int]) -> dict[int, Session]:
        """The session of each of many matches that has one, in one query."""
        rows = await self.db.scalars(select(SessionRow).where(SessionRow.match_id.in_(list(match_ids))))
        return {row.match_id: _session(row) for row in rows}

    async def view(self, session_id: int) -> SessionView | None:
        found = await self.views(ids=[session_id])
        return found[0] if found else None

    async def views(
        self,
        *,
        ids: Iterable[int] | None = None,
        statuses: Iterable[SessionStatus] | None = None,
        after_utc: datetime | None = None,
        city_id: int | None = None,
        before_utc: datetime | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> list[SessionView]:
        """Sessions with their match, cities and topic, earliest first, in one query.

        All, or those with ``ids``, ``statuses``, starting from ``after_utc`` and before
        ``before_utc``, of ``city_id``; ``offset`` and ``limit`` give one page of them.
        """
        city_a, city_b = aliased(CityRow), aliased(CityRow)
        query = (
            select(SessionRow, MatchRow, city_a, city_b, TopicRow)
            .join(MatchRow, MatchRow.id == SessionRow.match_id)
            .join(city_a, city_a.id == MatchRow.city_a_id)
            .join(city_b, city_b.id == MatchRow.city_b_id)
            .join(TopicRow, TopicRow.id == MatchRow.topic_id)
            .order_by(SessionRow.start_utc, SessionRow.id)
        )
        if ids is not None:
            query = query.where(SessionRow.id.in_(list(ids)))
        if statuses is not None:
            query = query.where(SessionRow.status.in_([s.value for s in statuses]))
        if after_utc is not None:
            query = query.where(SessionRow.start_utc >= after_utc)
        if before_utc is not None:
            query = query.where(SessionRow.start_utc < before_utc)
        if city_id is not None:
            query = query.where(or_(MatchRow.city_a_id == city_id, MatchRow.city_b_id == city_id))
        if offset:
            query = query.offset(offset)
        if limit is not None:
            query = query.limit(limit)
        rows = await self.db.execute(query)
        return [SessionView(_session(s), _match(m), _city(a), _city(b), _topic(t)) for s, m, a, b, t in rows]

    async def count(self, *, statuses: Iterable[SessionStatus], after_utc: datetime | None = None, before_utc: datetime | None = None) -> int:
        """How many sessions ``views`` would give with these filters, in one query."""
        query = select(func.count()).select_from(SessionRow).where(SessionRow.status.in_([s.value for s in statuses]))
        if after_utc is not None:
            query = query.where(SessionRow.start_utc >= after_utc)
        if before_utc is not None:
            query = query.where(SessionRow.start_utc < before_utc)
        return int(await self.db.scalar(query) or 0)

    async def upcoming_with_cities(self, *, after_utc: datetime) -> list[tuple[Session, int, int]]:
        """Confirmed sessions from ``after_utc`` with their two cities, in one query (the planner's busy time)."""
        rows = await self.db.execute(
            select(SessionRow, MatchRow.city_a_id, MatchRow.city_b_id)
            .join(MatchRow, MatchRow.id == SessionRow.match_id)
            .where(SessionRow.status == SessionStatus.CONFIRMED.value, SessionRow.start_utc >= after_utc)
            .order_by(SessionRow.start_utc, SessionRow.id)
        )
        return [(_session(row), a, b) for row, a, b in rows]

    async def reschedule(self, session_id: int, *, expected_sequence: int, start_utc: datetime, now_utc: datetime) -> Session | None:
        """Move a confirmed session; the sequence only ever rises. None if someone changed it first."""
        result = await self.db.execute(
            update(SessionRow)
            .where(
                SessionRow.id == session_id,
                SessionRow.sequence == expected_sequence,
                SessionRow.status == SessionStatus.CONFIRMED.value,
            )
            .values(start_utc=start_utc, sequence=SessionRow.sequence + 1, updated_at=now_utc)
        )
        return await self._reloaded(session_id) if _rowcount(result) == 1 else None

    async def cancel(self, session_id: int, *, now_utc: datetime) -> Session | None:
        """Cancel once; the cancellation raises the sequence too. None if already cancelled."""
        result = await self.db.execute(
            update(SessionRow)
            .where(SessionRow.id == session_id, SessionRow.status == SessionStatus.CONFIRMED.value)
            .values(status=SessionStatus.CANCELLED.value, sequence=SessionRow.sequence + 1, updated_at=now_utc)
        )
        return await self._reloaded(session_id) if _rowcount(result) == 1 else None

    async def _reloaded(self, session_id: int) -> Session:
        row = await self.db.get(SessionRow, session_id, populate_existing=True)
        assert row is not None
        return _session(row)

    async def add_participants(self, session_id: int, contact_ids: Iterable[int]) -> None:
        existing = set(
            await self.db.scalars(select(ParticipantRow.contact_id).where(ParticipantRow.session_id == session_id))
        )
        self.db.add_all(
            ParticipantRow(session_id=session_id, contact_id=c, answer=Attendance.PENDING.value)
            for c in dict.fromkeys(contact_ids)
            if c not in existing
        )
        await self.db.flush()

    async def participants(self, session_id: int) -> list[tuple[Contact, Attendance]]:
        rows = await self.db.execute(
            select(ContactRow, ParticipantRow.answer)
            .join(ParticipantRow, ParticipantRow.contact_id == ContactRow.id)
            .where(ParticipantRow.session_id == session_id)
            .order_by(ContactRow.id)
        )
        return [(_contact(c), Attendance(a)) for c, a in rows]

    async def participations(self, contact_id: int) -> list[tuple[int, Attendance, datetime | None]]:
        """Every session ``contact_id`` is invited to, with the answer and when it was given (for /mydata)."""
        rows = await self.db.execute(
            select(ParticipantRow.session_id, ParticipantRow.answer, ParticipantRow.answered_at)
            .where(ParticipantRow.contact_id == contact_id)
            .order_by(ParticipantRow.session_id)
        )
        return [(s, Attendance(a), at) for s, a, at in rows]

    async def answer(self, session_id: int, contact_id: int, answer: Attendance, now_utc: datetime) -> bool:
        result = await self.db.execute(
            update(ParticipantRow)
            .where(ParticipantRow.session_id == session_id, ParticipantRow.contact_id == contact_id)
            .values(answer=answer.value, answered_at=now_utc)
        )
        return _rowcount(result) == 1


FOLDED_INTO = "folded into outbox"  # the last error of a row said by another row's digest, before that row's id


class OutboxRepository(_Repository):
    async def enqueue(
        self,
        *,
        dedupe_key: str,
        kind: str,
        channel: Channel,
        contact_id: int,
        due_utc: datetime,
        payload: dict[str, Any],
        session_id: int | None = None,
    ) -> OutgoingMessage | None:
        """Queue a message once; None if one with this key is queued already."""
        queued = await self.enqueue_many([
            OutgoingRequest(dedupe_key, kind, channel, contact_id, due_utc, payload, session_id)
        ])
        return queued[0] if queued else None

    async def enqueue_many(self, requests: Sequence[OutgoingRequest]) -> builtins.list[OutgoingMessage]:
        """Queue several messages at once, each once; returns the new ones (a known key is skipped).

        One ``INSERT … ON CONFLICT (dedupe_key) DO NOTHING RETURNING`` for all of them (SQLite and
        PostgreSQL alike): the database says which keys were new, with no savepoint and no ORM
        object per row -- most of the cost of acting on a reply (``benchmarks/mail_in``).
        """
        if not requests:
            return []
        insert = dialect_insert(self.db)
        statement = (
            insert(OutboxRow)
            .values([
                dict(
                    dedupe_key=r.dedupe_key, kind=r.kind, channel=r.channel.value, contact_id=r.contact_id,
                    session_id=r.session_id, payload=r.payload, due_at=r.due_utc, status=OutboxStatus.PENDING.value, attempts=0,
                )
                for r in requests
            ])
            .on_conflict_do_nothing(index_elements=[OutboxRow.dedupe_key])
            .returning(OutboxRow.id, OutboxRow.dedupe_key)
        )
        new_ids = {key: int(new_id) for new_id, key in (await self.db.execute(statement)).all()}
        return [
            OutgoingMessage(
                id=new_ids[r.dedupe_key], kind=r.kind, channel=r.channel, contact_id=r.contact_id, due_utc=utc(r.due_utc),
                status=OutboxStatus.PENDING, payload=dict(r.payload), session_id=r.session_id, attempts=0,
            )
            for r in requests
            if r.dedupe_key in new_ids
        ]

    async def claim_due(self, *, now_utc: datetime, worker: str, limit: int = 50) -> list[OutgoingMessage]:
        """Atomically take up to ``limit`` due messages for ``worker``; no two workers get the same one.

        One message per recipient at a time, across every worker: the earliest due message of
        each recipient who has none claimed. Telegram takes one message a second per chat, so a
        recipient with a backlog (a coordinator's notices) must not fill every sending slot while
        the others wait; it also keeps two processes from sending to one chat at once.

        The conditional ``UPDATE … WHERE status = 'pending'`` decides between concurrent claimers:
        PostgreSQL re-checks the condition on a row another transaction changed (READ COMMITTED),
        SQLite runs one writer at a time; either way the second claims nothing twice.
        """
        busy = select(OutboxRow.contact_id).where(OutboxRow.status == OutboxStatus.CLAIMED.value)
        # A reminder is due at a time that means something (an hour before the session); a notice
        # queued earlier can wait a few seconds more. So reminders go first, for each recipient and
        # overall, and a backlog of notices never makes one late.
        urgency = case((OutboxRow.kind == NoticeKind.REMINDER.value, 0), else_=1)
        first_of_each = (
            select(
                OutboxRow.id,
                OutboxRow.due_at,
                urgency.label("urgency"),
                func.row_number().over(partition_by=OutboxRow.contact_id, order_by=(urgency, OutboxRow.due_at, OutboxRow.id)).label("place"),
            )
            .where(OutboxRow.status == OutboxStatus.PENDING.value, OutboxRow.due_at <= now_utc, OutboxRow.contact_id.not_in(busy))
            .subquery()
        )
        due = (
            select(first_of_each.c.id)
            .where(first_of_each.c.place == 1)
            .order_by(first_of_each.c.urgency, first_of_each.c.due_at, first_of_each.c.id)
            .limit(limit)
        )
        ids = list(await self.db.scalars(due))
        if not ids:
            return []
        result = await self.db.execute(
            update(OutboxRow)
            .where(OutboxRow.id.in_(ids), OutboxRow.status == OutboxStatus.PENDING.value)
            .values(
                status=OutboxStatus.CLAIMED.value,
                claimed_by=worker,
                claimed_at=now_utc,
                attempts=OutboxRow.attempts + 1,
            )
            .returning(OutboxRow.id)
        )
        claimed = set(result.scalars())
        rows = await self.db.scalars(
            select(OutboxRow).where(OutboxRow.id.in_(claimed)).order_by(urgency, OutboxRow.due_at, OutboxRow.id).execution_options(populate_existing=True)
        )
        return [_message(r) for r in rows]

    async def drop_pending_for_session(self, session_id: int, kinds: Iterable[str], reason: str) -> int:
        result = await self.db.execute(
            update(OutboxRow)
            .where(
                OutboxRow.session_id == session_id,
                OutboxRow.kind.in_(list(kinds)),
                OutboxRow.status == OutboxStatus.PENDING.value,
            )
            .values(status=OutboxStatus.DROPPED.value, last_error=reason)
        )
        return _rowcount(result)

    async def drop_pending_for_session_except(
        self, session_id: int, kinds: Iterable[str], keep_keys: Iterable[str], reason: str
    ) -> int:
        """Drop a session's pending messages of ``kinds`` except those whose dedupe key is in ``keep_keys``."""
        keep = list(keep_keys)
        query = update(OutboxRow).where(
            OutboxRow.session_id == session_id,
            OutboxRow.kind.in_(list(kinds)),
            OutboxRow.status == OutboxStatus.PENDING.value,
        )
        if keep:
            query = query.where(OutboxRow.dedupe_key.not_in(keep))
        result = await self.db.execute(query.values(status=OutboxStatus.DROPPED.value, last_error=reason))
        return _rowcount(result)

    async def waiting_alike(self, message: OutgoingMessage, *, now_utc: datetime) -> builtins.list[OutgoingMessage]:
        """The other pending messages of ``message``'s kind, recipient and channel that are due now,
        oldest first: what a digest may fold into ``message`` (``fold``)."""
        rows = await self.db.scalars(
            select(OutboxRow)
            .where(
                OutboxRow.kind == message.kind,
                OutboxRow.contact_id == message.contact_id,
                OutboxRow.channel == message.channel.value,
                OutboxRow.status == OutboxStatus.PENDING.value,
                OutboxRow.due_at <= now_utc,
                OutboxRow.id != message.id,
            )
            .order_by(OutboxRow.due_at, OutboxRow.id)
        )
        return [_message(r) for r in rows]

    async def fold(self, message_id: int, others: Iterable[int]) -> builtins.list[int]:
        """Fold ``others`` into ``message_id``: those still pending end as dropped ("folded into
        outbox N"); returns the ids folded (one another worker took meanwhile is not among them).
        The caller writes what ``message_id`` now says for all of them (``rewrite_payload``)."""
        ids = builtins.list(others)
        if not ids:
            return []
        result = await self.db.execute(
            update(OutboxRow)
            .where(OutboxRow.id.in_(ids), OutboxRow.status == OutboxStatus.PENDING.value)
            .values(status=OutboxStatus.DROPPED.value, last_error=f"{FOLDED_INTO} {message_id}")
            .returning(OutboxRow.id)
        )
        return sorted(result.scalars())

    async def rewrite_payload(self, message_id: int, payload: dict[str, Any]) -> None:
        await self.db.execute(update(OutboxRow).where(OutboxRow.id == message_id).values(payload=payload))

    def _owned(self, message_id: int, worker: str) -> Any:
        return (
            OutboxRow.id == message_id,
            OutboxRow.status == OutboxStatus.CLAIMED.value,
            OutboxRow.claimed_by == worker,
        )

    async def hand_over(self, message_id: int, *, worker: str, now_utc: datetime) -> bool:
        """Note that ``worker`` is about to give the message to its channel; False if it lost the claim."""
        result = await self.db.execute(
            update(OutboxRow).where(*self._owned(message_id, worker)).values(handed_over_at=now_utc)
        )
        return _rowcount(result) == 1

    async def settle(
        self, message_id: int, *, worker: str, status: OutboxStatus, now_utc: datetime, error: str | None = None
    ) -> bool:
        """Mark a message ``worker`` holds as sent, failed or dropped; False if it no longer holds it."""
        values: dict[str, Any] = {"status": status.value, "last_error": error}
        if status is OutboxStatus.SENT:
            values["sent_at"] = now_utc
        result = await self.db.execute(update(OutboxRow).where(*self._owned(message_id, worker)).values(**values))
        return _rowcount(result) == 1

    async def give_back(self, message_id: int, *, worker: str, due_utc: datetime, error: str | None = None) -> bool:
        """Return a message ``worker`` holds to the queue, due again at ``due_utc``."""
        result = await self.db.execute(
            update(OutboxRow)
            .where(*self._owned(message_id, worker))
            .values(
                status=OutboxStatus.PENDING.value,
                due_at=due_utc,
                claimed_by=None,
                claimed_at=None,
                handed_over_at=None,
                last_error=error,
            )
        )
        return _rowcount(result) == 1

    async def release_unsent_claims(self, *, worker: str) -> int:
        """Return every message ``worker`` claimed but never handed over to the queue (shutdown)."""
        result = await self.db.execute(
            update(OutboxRow)
            .where(
                OutboxRow.status == OutboxStatus.CLAIMED.value,
                OutboxRow.claimed_by == worker,
                OutboxRow.handed_over_at.is_(None),
            )
            .values(status=OutboxStatus.PENDING.value, claimed_by=None, claimed_at=None)
        )
        return _rowcount(result)

    async def renew_claims(self, *, worker: str, now_utc: datetime) -> int:
        """The heartbeat of a live sender: its claims are fresh as of ``now_utc``."""
        result = await self.db.execute(
            update(OutboxRow)
            .where(OutboxRow.status == OutboxStatus.CLAIMED.value, OutboxRow.claimed_by == worker)
            .values(claimed_at=now_utc)
        )
        return _rowcount(result)

    async def recover_expired_claims(self, *, claimed_before_utc: datetime | None) -> list[tuple[int, bool]]:
        """Return claims not renewed since ``claimed_before_utc`` (their sender died) to the queue;
        ``None``: every claim (the only process, at start).

        Gives ``(message id, was handed over)`` for each: a message that was handed over may have
        been delivered before its sender died. The row locks keep two recovering processes from
        reporting the same message.
        """
        expired = [OutboxRow.status == OutboxStatus.CLAIMED.value]
        if claimed_before_utc is not None:
            expired.append(OutboxRow.claimed_at < claimed_before_utc)
        stale = select(OutboxRow.id, OutboxRow.handed_over_at).where(*expired).order_by(OutboxRow.id).with_for_update(skip_locked=True)
        found = {row.id: row.handed_over_at is not None for row in await self.db.execute(stale)}
        if not found:
            return []
        result = await self.db.execute(
            update(OutboxRow)
            .where(OutboxRow.id.in_(list(found)), *expired)
            .values(status=OutboxStatus.PENDING.value, claimed_by=None, claimed_at=None, handed_over_at=None)
            .returning(OutboxRow.id)
        )
        return [(message_id, found[message_id]) for message_id in sorted(result.scalars())]

    async def next_due(self) -> datetime | None:
        return await self.db.scalar(
            select(func.min(OutboxRow.due_at)).where(OutboxRow.status == OutboxStatus.PENDING.value)
        )

    async def get(self, message_id: int) -> OutgoingMessage | None:
        row = await self.db.get(OutboxRow, message_id, populate_existing=True)
        return _message(row) if row else None

    async def list(self, *, status: OutboxStatus | None = None) -> list[OutgoingMessage]:
        query = select(OutboxRow).order_by(OutboxRow.due_at, OutboxRow.id)
        if status is not None:
            query = query.where(OutboxRow.status == status.value)
        return [_message(r) for r in await self.db.scalars(query)]


class RoadmapRepository(_Repository):
    """What the cities said after their sessions: one entry per session and city."""

    async def record(self, entry: RoadmapEntry) -> None:
        """Add one city's account of a session, replacing what that city said of it before."""
        # The match row is locked first, so two contacts of a city answering at once take turns.
        await self.db.execute(select(MatchRow.id).where(MatchRow.id == entry.match_id).with_for_update())
        await self.db.execute(
            delete(RoadmapEntryRow).where(RoadmapEntryRow.session_id == entry.session_id, RoadmapEntryRow.city_id == entry.city_id)
        )
        self.db.add(
            RoadmapEntryRow(
                match_id=entry.match_id,
                session_id=entry.session_id,
                city_id=entry.city_id,
                reported_by=entry.reported_by[:120],
                took_place=entry.took_place,
                next_steps=entry.next_steps,
                reported_at=entry.reported_at_utc,
            )
        )
        await self.db.flush()

    async def list(self, *, session_ids: Iterable[int] | None = None) -> list[RoadmapEntry]:
        """Every entry (or those of ``session_ids``), in the order they were reported."""
        query = select(RoadmapEntryRow).order_by(RoadmapEntryRow.reported_at, RoadmapEntryRow.id)
        if session_ids is not None:
            query = query.where(RoadmapEntryRow.session_id.in_(list(session_ids)))
        rows = await self.db.scalars(query)
        return [
            RoadmapEntry(r.match_id, r.session_id, r.city_id, r.reported_by, r.took_place, r.next_steps, r.reported_at) for r in rows
        ]


class ConversationRepository(_Repository):
    async def get(self, telegram_user_id: int) -> Conversation:
        row = await self.db.get(ConversationRow, telegram_user_id, populate_existing=True)
        return Conversation(telegram_user_id) if row is None else _conversation(row)

    async def save(self, conversation: Conversation, *, now_utc: datetime) -> None:
        row = await self.db.get(ConversationRow, conversation.telegram_user_id)
        if row is None:
            row = ConversationRow(telegram_user_id=conversation.telegram_user_id)
            self.db.add(row)
        row.step = conversation.step
        row.payload = dict(conversation.payload or {})
        row.acting_city_id = conversation.acting_city_id
        row.updated_at = now_utc
        await self.db.flush()

    async def delete(self, telegram_user_id: int) -> None:
        await self.db.execute(delete(ConversationRow).where(ConversationRow.telegram_user_id == telegram_user_id))
