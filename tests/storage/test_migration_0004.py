"""Migration 0004 moves the roadmap and the no-time explanations out of JSON text into typed form,
with the rows of a running programme, and its downgrade puts them back as the old code reads them."""

from __future__ import annotations

import asyncio
import json
from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa
from alembic import command

from bot.domain import ClosedDay, MatchStatus, NoTimeExplanation, NoTimeReason, RoadmapEntry, Role, SessionStatus
from storage.db import alembic_config, check_schema, create_engine, create_session_factory, upgrade_async
from storage.uow import UnitOfWorkFactory

BEFORE = "0003_outbox_handed_over"
NOW = datetime(2027, 4, 1, 9, 0, tzinfo=timezone.utc)
SESSION_START = datetime(2027, 3, 31, 8, 0, tzinfo=timezone.utc)

# What the code before 0004 wrote: an account list per match, and the planner's JSON as the reason.
OUTCOME = [
    {"session_id": 1, "city_id": 1, "by": "Li Wei", "took_place": True, "next_steps": "互派专家，世博会前考察",
     "at": "2027-03-31T09:30:00+00:00"},
    {"session_id": 1, "city_id": 2, "by": "Ana Costa", "took_place": False, "next_steps": None, "at": "2027-03-31T10:05:00+00:00"},
]
NO_TIME = {
    "reason": "closed_days",
    "longest_overlap_minutes": 0,
    "duration_minutes": 60,
    "closed_days": [{"city_id": 1, "date": "2027-04-05", "kind": "holiday", "name": "清明节"}],
    "blocking_city_ids": [],
}

meta = sa.MetaData()
cities = sa.Table(
    "cities", meta, sa.Column("id", sa.Integer), sa.Column("name", sa.String), sa.Column("country", sa.String),
    sa.Column("timezone", sa.String), sa.Column("group_name", sa.String), sa.Column("created_at", sa.DateTime(timezone=True)),
)
topics = sa.Table("topics", meta, sa.Column("id", sa.Integer), sa.Column("key", sa.String), sa.Column("titles", sa.JSON), sa.Column("position", sa.Integer))
contacts = sa.Table(
    "contacts", meta, sa.Column("id", sa.Integer), sa.Column("telegram_user_id", sa.BigInteger), sa.Column("chat_id", sa.BigInteger),
    sa.Column("city_id", sa.Integer), sa.Column("role", sa.String), sa.Column("language", sa.String),
    sa.Column("display_name", sa.String), sa.Column("reachable", sa.Boolean), sa.Column("created_at", sa.DateTime(timezone=True)),
)
matches = sa.Table(
    "matches", meta, sa.Column("id", sa.Integer), sa.Column("city_a_id", sa.Integer), sa.Column("city_b_id", sa.Integer),
    sa.Column("topic_id", sa.Integer), sa.Column("status", sa.String), sa.Column("reason", sa.Text), sa.Column("outcome", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True)), sa.Column("updated_at", sa.DateTime(timezone=True)),
)
sessions = sa.Table(
    "sessions", meta, sa.Column("id", sa.Integer), sa.Column("match_id", sa.Integer), sa.Column("start_utc", sa.DateTime(timezone=True)),
    sa.Column("duration_minutes", sa.Integer), sa.Column("meeting_link", sa.String), sa.Column("ical_uid", sa.String),
    sa.Column("sequence", sa.Integer), sa.Column("status", sa.String), sa.Column("confirmed_by", sa.BigInteger),
    sa.Column("created_at", sa.DateTime(timezone=True)), sa.Column("updated_at", sa.DateTime(timezone=True)),
)
invite_codes = sa.Table(
    "invite_codes", meta, sa.Column("id", sa.Integer), sa.Column("code_hash", sa.String), sa.Column("city_id", sa.Integer),
    sa.Column("role", sa.String), sa.Column("created_by", sa.BigInteger), sa.Column("created_at", sa.DateTime(timezone=True)),
    sa.Column("expires_at", sa.DateTime(timezone=True)),
)


async def _migrate(url: str, revision: str, *, down: bool = False) -> None:
    await asyncio.to_thread(command.downgrade if down else command.upgrade, alembic_config(url), revision)


async def _programme_before_0004(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as db:
            await db.execute(sa.insert(cities), [
                {"id": 1, "name": "Panjin", "country": "CN", "timezone": "Asia/Shanghai", "group_name": "China", "created_at": NOW},
                {"id": 2, "name": "Lisbon", "country": "PT", "timezone": "Europe/Lisbon", "group_name": "EU", "created_at": NOW},
            ])
            await db.execute(sa.insert(topics), [
                {"id": n, "key": key, "titles": {"en": key}, "position": n} for n, key in enumerate(("wetlands", "tourism", "ports", "farms"), 1)
            ])
            await db.execute(sa.insert(contacts), [
                {"id": 1, "telegram_user_id": 2001, "chat_id": 2001, "city_id": 1, "role": "contact", "language": "zh",
                 "display_name": "Li Wei", "reachable": True, "created_at": NOW},
                {"id": 2, "telegram_user_id": 4001, "chat_id": 4001, "city_id": 2, "role": "contact", "language": "pt",
                 "display_name": "Ana Costa", "reachable": True, "created_at": NOW},
            ])
            row = {"city_a_id": 1, "city_b_id": 2, "created_at": NOW, "updated_at": NOW, "outcome": None}
            await db.execute(sa.insert(matches), [
                {**row, "id": 1, "topic_id": 1, "status": "confirmed", "reason": None, "outcome": json.dumps(OUTCOME, ensure_ascii=False)},
                {**row, "id": 2, "topic_id": 2, "status": "unschedulable", "reason": json.dumps(NO_TIME, ensure_ascii=False)},
                {**row, "id": 3, "topic_id": 3, "status": "declined", "reason": "declined by city 1"},
                {**row, "id": 4, "topic_id": 4, "status": "open", "reason": "waiting_for_hours"},
            ])
            await db.execute(sa.insert(sessions), [{
                "id": 1, "match_id": 1, "start_utc": SESSION_START, "duration_minutes": 60, "meeting_link": "https://meet.jit.si/x",
                "ical_uid": "s1@tandem", "sequence": 0, "status": "confirmed", "confirmed_by": 1001, "created_at": NOW, "updated_at": NOW,
            }])
            await db.execute(sa.insert(invite_codes), [{
                "code_hash": "a" * 64, "city_id": 1, "role": "contact", "created_by": 1001, "created_at": NOW,
                "expires_at": NOW + timedelta(days=7),
            }])
    finally:
        await engine.dispose()


async def test_0004_moves_roadmap_and_no_time_into_typed_form_and_its_downgrade_restores_the_json(empty_database_url: str) -> None:
    url = empty_database_url
    await _migrate(url, BEFORE)
    await _programme_before_0004(url)

    await upgrade_async(url)
    engine = create_engine(url)
    try:
        await check_schema(engine)
        async with UnitOfWorkFactory(create_session_factory(engine))() as uow:
            assert await uow.roadmap.list() == [
                RoadmapEntry(1, 1, 1, "Li Wei", True, "互派专家，世博会前考察", datetime(2027, 3, 31, 9, 30, tzinfo=timezone.utc)),
                RoadmapEntry(1, 1, 2, "Ana Costa", False, None, datetime(2027, 3, 31, 10, 5, tzinfo=timezone.utc)),
            ]
            unschedulable, declined, waiting = [await uow.matches.get(n) for n in (2, 3, 4)]
            assert unschedulable is not None and unschedulable.status is MatchStatus.UNSCHEDULABLE
            assert unschedulable.reason is None
            assert unschedulable.no_time == NoTimeExplanation(
                NoTimeReason.CLOSED_DAYS, request_id=2, duration_minutes=60, closed_days=(ClosedDay(1, date(2027, 4, 5), "holiday", "清明节"),)
            )
            assert declined is not None and (declined.reason, declined.no_time) == ("declined by city 1", None)
            assert waiting is not None and (waiting.reason, waiting.no_time) == ("waiting_for_hours", None)
            assert [v.session.id for v in await uow.sessions.views(statuses=[SessionStatus.CONFIRMED])] == [1]  # nothing cascaded away
            # A join link made by a contact signed in on the web has no Telegram user behind it.
            await uow.join_links.add(code_hash="b" * 64, city_id=1, role=Role.PARTICIPANT, now_utc=NOW,
                                       expires_at=NOW + timedelta(days=7), created_by_contact_id=1)
            await uow.commit()
    finally:
        await engine.dispose()

    await _migrate(url, BEFORE, down=True)
    engine = create_engine(url)
    try:
        async with engine.connect() as db:
            rows = {r.id: r for r in await db.execute(sa.select(matches).order_by(matches.c.id))}
            assert json.loads(rows[1].outcome) == OUTCOME
            assert json.loads(rows[2].reason) == NO_TIME and rows[2].outcome is None
            assert (rows[3].reason, rows[4].reason) == ("declined by city 1", "waiting_for_hours")
            assert list(await db.scalars(sa.select(invite_codes.c.created_by).order_by(invite_codes.c.id))) == [1001, 0]
            assert list(await db.scalars(sa.select(sessions.c.id))) == [1]
            tables = await db.run_sync(lambda c: set(sa.inspect(c).get_table_names()))
            assert "roadmap_entries" not in tables
    finally:
        await engine.dispose()

    await upgrade_async(url)  # and up again, with the downgraded data
    engine = create_engine(url)
    try:
        async with UnitOfWorkFactory(create_session_factory(engine))() as uow:
            assert len(await uow.roadmap.list()) == 2
            again = await uow.matches.get(2)
            assert again is not None and again.no_time is not None and again.no_time.closed_days[0].name == "清明节"
    finally:
        await engine.dispose()
