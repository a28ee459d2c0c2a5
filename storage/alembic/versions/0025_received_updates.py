"""received_updates: the update ids webhook instances took from Telegram

Telegram posts an update again when it did not hear the 200 of the first post (a connection
lost on the way back). With two instances behind the load balancer the retry may reach the
other one, whose memory of handled ids (bot/update_order.py) is its own: the parent's message
reached the brugfiguur twice. The ids now live in the database, shared by all instances.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "received_updates",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_received_updates")),
    )
    op.create_index(op.f("ix_received_updates_received_at"), "received_updates",
                    ["received_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_received_updates_received_at"), table_name="received_updates")
    op.drop_table("received_updates")
