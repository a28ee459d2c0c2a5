"""reminders.school_ids, rsvps.school_ids: the parent's schools when it was sent or answered

The monthly report counts, per school, the parents a reminder reached and those coming. It
read their schools of today: a child who changed school in September took the parent out
of the old school's June figures, and June's report changed after the summer. Rows from
before this revision have none: they are counted as before.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A nullable column: SQLite adds it in place (no copy of the table, AUTOINCREMENT kept).
    op.add_column("reminders", sa.Column("school_ids", sa.String(64), nullable=True))
    op.add_column("rsvps", sa.Column("school_ids", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rsvps") as batch:
        batch.drop_column("school_ids")
    with op.batch_alter_table("reminders", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("school_ids")
