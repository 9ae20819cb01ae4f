"""Outbox: remember when a claimed message was handed to its channel.

A claimed row without ``handed_over_at`` was never given to Telegram or the mail server, so a
crashed sender's claim can be returned to the queue without any risk of a duplicate; a row with it
is the only ambiguous case (see bot/services/delivery.py).

Revision ID: 0003_outbox_handed_over
Revises: 0002_conversations
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_outbox_handed_over"
down_revision = "0002_conversations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("handed_over_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("handed_over_at")
