"""Which countries' holiday calendars the coordinators were told are still a guess, per year.

Revision ID: 0009_calendar_warnings
Revises: 0008_calendar_feeds
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_calendar_warnings"
down_revision = "0008_calendar_feeds"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_warnings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("warned_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_warnings")),
        sa.UniqueConstraint("country", "year", name=op.f("uq_calendar_warnings_country_year")),
    )


def downgrade() -> None:
    op.drop_table("calendar_warnings")
