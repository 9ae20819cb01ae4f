"""Official days off and working days per country (and subdivision), entered by coordinators.

Revision ID: 0007_day_overrides
Revises: 0006_mail_in
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_day_overrides"
down_revision = "0006_mail_in"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "day_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("subdivision", sa.String(length=10), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=4), nullable=False),
        sa.Column("works_as_weekday", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("added_by", sa.String(length=200), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(kind = 'off' AND works_as_weekday IS NULL) OR (kind = 'work' AND works_as_weekday BETWEEN 0 AND 6)",
            name=op.f("ck_day_overrides_kind_weekday"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_day_overrides")),
        sa.UniqueConstraint("country", "subdivision", "day", name=op.f("uq_day_overrides_country_subdivision_day")),
    )


def downgrade() -> None:
    op.drop_table("day_overrides")
