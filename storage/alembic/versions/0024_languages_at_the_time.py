"""reminders.locale, rsvps.locale: the parent's language when it was sent or answered

The monthly report counts, per language, the parents a reminder reached and those coming.
It read their language of today: a mother who switched from Dutch to Turkish in December
moved November's figures, already reported, from one language to the other (as 0022 did
for schools). Rows from before this revision have none: they are counted as before.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A nullable column: SQLite adds it in place (no copy of the table, AUTOINCREMENT kept).
    op.add_column("reminders", sa.Column("locale", sa.String(8), nullable=True))
    op.add_column("rsvps", sa.Column("locale", sa.String(8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rsvps") as batch:
        batch.drop_column("locale")
    with op.batch_alter_table("reminders", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("locale")
