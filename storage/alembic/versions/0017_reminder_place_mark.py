"""reminders.place_mark: the place a reminder showed, so that a new place is told once to a
parent who read it and did not answer; an index on (status, occurrence_start), for the
planner's every round reads the sent reminders still ahead

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reminders") as batch_op:
        batch_op.add_column(sa.Column("place_mark", sa.String(length=16), nullable=True))
    op.create_index("ix_reminders_status_occurrence_start", "reminders",
                    ["status", "occurrence_start"])


def downgrade() -> None:
    op.drop_index("ix_reminders_status_occurrence_start", table_name="reminders")
    with op.batch_alter_table("reminders") as batch_op:
        batch_op.drop_column("place_mark")
