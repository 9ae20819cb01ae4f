"""Coordinators' subscribable calendar URLs: a hash per URL, its coordinator, made and revoked when.

Revision ID: 0008_calendar_feeds
Revises: 0007_day_overrides
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_calendar_feeds"
down_revision = "0007_day_overrides"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_feeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feeds")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_calendar_feeds_token_hash")),
    )
    op.create_index(op.f("ix_calendar_feeds_telegram_user_id"), "calendar_feeds", ["telegram_user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_calendar_feeds_telegram_user_id"), table_name="calendar_feeds")
    op.drop_table("calendar_feeds")
