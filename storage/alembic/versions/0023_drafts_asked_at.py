"""activity_drafts.asked_at, broadcasts.asked_at: when a draft last asked for a typed answer

The coordinator with an /activity and an /announce both half-done: a typed answer went to
the draft begun last, not to the one whose question was asked last (the place typed after
tapping 📍 Place became the announcement's Dutch text). Rows from before: none, their
creation counts.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("activity_drafts", "broadcasts"):
        op.add_column(table, sa.Column("asked_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("broadcasts") as batch:
        batch.drop_column("asked_at")
    with op.batch_alter_table("activity_drafts") as batch:
        batch.drop_column("asked_at")
