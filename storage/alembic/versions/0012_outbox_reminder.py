"""outbox.reminder_id: a reminder the outbox could not deliver is marked undelivered

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reminder_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_outbox_reminder_id"), ["reminder_id"])
        batch_op.create_foreign_key(batch_op.f("fk_outbox_reminder_id_reminders"), "reminders",
                                    ["reminder_id"], ["id"], ondelete="SET NULL")


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_outbox_reminder_id_reminders"),
                                 type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_outbox_reminder_id"))
        batch_op.drop_column("reminder_id")
