"""Typed roadmap entries and no-time explanations; join links made by a contact on the web.

Two kinds of JSON text become typed:

* ``matches.outcome`` (a JSON list of what the cities said after a session) becomes one row per
  session and city in ``roadmap_entries``;
* an unschedulable match's ``matches.reason`` held the planner's explanation as JSON text beside
  free-text reasons ("declined by city 3", "waiting_for_hours"); the explanation moves to
  ``matches.no_time`` (JSON with a fixed shape), and ``reason`` keeps words only.

``invite_codes.created_by`` (a Telegram user id) may now be empty, for a link made by a contact
signed in on the web, who is named in ``created_by_contact_id`` instead.

The data moves both ways. Downgrade puts every entry back into ``outcome`` (in the order they were
reported, with the keys the old code reads: session_id, city_id, by, took_place, next_steps, at),
the explanations back into ``reason``, and gives links made on the web ``created_by`` 0 (unknown),
since the old schema requires a Telegram id.

``matches.outcome`` is dropped with ALTER TABLE … DROP COLUMN (SQLite 3.35+), not a batch copy of
the table: with foreign keys on, dropping the old copy would cascade to the sessions of every match.

Revision ID: 0004_roadmap_entries_and_no_time
Revises: 0003_outbox_handed_over
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004_roadmap_entries_and_no_time"
down_revision = "0003_outbox_handed_over"
branch_labels = None
depends_on = None

NO_TIME_REASONS = ("windows_never_overlap", "overlap_too_short", "not_after_notice", "closed_days", "all_taken")

matches = sa.table(
    "matches",
    sa.column("id", sa.Integer),
    sa.column("reason", sa.Text),
    sa.column("outcome", sa.Text),
    sa.column("no_time", sa.JSON),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)
sessions = sa.table("sessions", sa.column("id", sa.Integer), sa.column("match_id", sa.Integer))
entries = sa.table(
    "roadmap_entries",
    sa.column("id", sa.Integer),
    sa.column("match_id", sa.Integer),
    sa.column("session_id", sa.Integer),
    sa.column("city_id", sa.Integer),
    sa.column("reported_by", sa.String),
    sa.column("took_place", sa.Boolean),
    sa.column("next_steps", sa.Text),
    sa.column("reported_at", sa.DateTime(timezone=True)),
)
invite_codes = sa.table("invite_codes", sa.column("created_by", sa.BigInteger))


def upgrade() -> None:
    op.create_table(
        "roadmap_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("match_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("reported_by", sa.String(length=120), nullable=False),
        sa.Column("took_place", sa.Boolean(), nullable=False),
        sa.Column("next_steps", sa.Text(), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["city_id"], ["cities.id"], name=op.f("fk_roadmap_entries_city_id_cities"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["match_id"], ["matches.id"], name=op.f("fk_roadmap_entries_match_id_matches"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], name=op.f("fk_roadmap_entries_session_id_sessions"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roadmap_entries")),
        sa.UniqueConstraint("session_id", "city_id", name=op.f("uq_roadmap_entries_session_id_city_id")),
    )
    with op.batch_alter_table("roadmap_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_roadmap_entries_match_id"), ["match_id"], unique=False)
    op.add_column("matches", sa.Column("no_time", sa.JSON(), nullable=True))

    bind = op.get_bind()
    session_of = dict(bind.execute(sa.select(sessions.c.id, sessions.c.match_id)).all())
    rows = bind.execute(sa.select(matches.c.id, matches.c.reason, matches.c.outcome, matches.c.updated_at)).all()
    for match_id, reason, outcome, updated_at in rows:
        explanation = _explanation(reason)
        if explanation is not None:
            bind.execute(sa.update(matches).where(matches.c.id == match_id).values(no_time=explanation, reason=None))
        for entry in _entries(outcome):
            if session_of.get(entry["session_id"]) != match_id:
                continue  # an account of a session that is not this match's: nothing to attach it to
            bind.execute(
                sa.insert(entries).values(match_id=match_id, reported_at=entry.pop("at", None) or updated_at, **entry)
            )
    op.drop_column("matches", "outcome")

    with op.batch_alter_table("invite_codes", schema=None) as batch_op:
        batch_op.alter_column("created_by", existing_type=sa.BigInteger(), nullable=True)
        batch_op.add_column(sa.Column("created_by_contact_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_invite_codes_created_by_contact_id_contacts"), "contacts", ["created_by_contact_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    bind = op.get_bind()
    bind.execute(sa.update(invite_codes).where(invite_codes.c.created_by.is_(None)).values(created_by=0))
    with op.batch_alter_table("invite_codes", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_invite_codes_created_by_contact_id_contacts"), type_="foreignkey")
        batch_op.drop_column("created_by_contact_id")
        batch_op.alter_column("created_by", existing_type=sa.BigInteger(), nullable=False)

    op.add_column("matches", sa.Column("outcome", sa.Text(), nullable=True))
    accounts: dict[int, list[dict[str, Any]]] = {}
    for row in bind.execute(sa.select(entries).order_by(entries.c.reported_at, entries.c.id)).mappings():
        accounts.setdefault(row["match_id"], []).append(
            {
                "session_id": row["session_id"],
                "city_id": row["city_id"],
                "by": row["reported_by"],
                "took_place": bool(row["took_place"]),
                "next_steps": row["next_steps"],
                "at": _utc(row["reported_at"]).isoformat(),
            }
        )
    for match_id, items in accounts.items():
        bind.execute(sa.update(matches).where(matches.c.id == match_id).values(outcome=json.dumps(items, ensure_ascii=False)))
    for match_id, no_time in bind.execute(sa.select(matches.c.id, matches.c.no_time).where(matches.c.no_time.is_not(None))).all():
        bind.execute(sa.update(matches).where(matches.c.id == match_id).values(reason=json.dumps(no_time, ensure_ascii=False)))
    op.drop_column("matches", "no_time")

    with op.batch_alter_table("roadmap_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roadmap_entries_match_id"))
    op.drop_table("roadmap_entries")


def _explanation(reason: str | None) -> dict[str, Any] | None:
    """The planner's explanation, if ``reason`` holds one (else it is words, and stays)."""
    try:
        data = json.loads(reason or "")
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("reason") not in NO_TIME_REASONS:
        return None
    return {
        "reason": data["reason"],
        "longest_overlap_minutes": int(data.get("longest_overlap_minutes") or 0),
        "duration_minutes": int(data.get("duration_minutes") or 0),
        "closed_days": [
            {"city_id": d.get("city_id"), "date": d.get("date"), "kind": d.get("kind"), "name": d.get("name")}
            for d in data.get("closed_days") or []
            if isinstance(d, dict)
        ],
        "blocking_city_ids": list(data.get("blocking_city_ids") or []),
    }


def _entries(outcome: str | None) -> list[dict[str, Any]]:
    """The accounts in ``outcome``, as roadmap_entries values (``at`` still to be placed)."""
    try:
        data = json.loads(outcome or "[]")
    except ValueError:
        return []
    found: dict[tuple[int, int], dict[str, Any]] = {}  # the last account per session and city wins, as before
    for item in data if isinstance(data, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("session_id"), int) or not isinstance(item.get("city_id"), int):
            continue
        at = item.get("at")
        found[(item["session_id"], item["city_id"])] = {
            "session_id": item["session_id"],
            "city_id": item["city_id"],
            "reported_by": str(item.get("by") or "")[:120],
            "took_place": bool(item.get("took_place")),
            "next_steps": item.get("next_steps") or None,
            "at": _utc(datetime.fromisoformat(at)) if isinstance(at, str) else None,
        }
    return list(found.values())


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
