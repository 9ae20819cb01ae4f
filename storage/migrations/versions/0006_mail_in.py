"""Replies by e-mail: the mailboxes Tandem reads (lease, UIDVALIDITY, last UID) and the messages taken in.

Revision ID: 0006_mail_in
Revises: 0005_sign_in_links
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_mail_in"
down_revision = "0005_sign_in_links"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mail_in_mailboxes",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=True),
        sa.Column("last_uid", sa.BigInteger(), nullable=False),
        sa.Column("lease_owner", sa.String(length=100), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_mail_in_mailboxes")),
    )
    op.create_table(
        "mail_in_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_key", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_in_messages")),
        sa.UniqueConstraint("message_key", name=op.f("uq_mail_in_messages_message_key")),
    )


def downgrade() -> None:
    op.drop_table("mail_in_messages")
    op.drop_table("mail_in_mailboxes")
