"""Sign-in links of the web app: a hash per link, the contact it signs in, expiry and use.

Revision ID: 0005_sign_in_links
Revises: 0004_roadmap_entries_and_no_time
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_sign_in_links"
down_revision = "0004_roadmap_entries_and_no_time"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_sign_in_links_contact_id_contacts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_sign_in_links_token_hash")),
    )
    op.create_index(op.f("ix_sign_in_links_contact_id"), "sign_in_links", ["contact_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_sign_in_links_contact_id"), table_name="sign_in_links")
    op.drop_table("sign_in_links")
