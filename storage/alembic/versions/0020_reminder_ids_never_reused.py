"""reminders: AUTOINCREMENT on SQLite, so that a reminder id is never given again

A reminder's buttons carry its id (``rv:<id>:yes``). Without AUTOINCREMENT SQLite hands the
id of a deleted reminder (a parent's /forget) to the next new one: an old message's button
then answered another activity's reminder. PostgreSQL's sequences never reuse an id.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if context.is_offline_mode() or op.get_bind().dialect.name != "sqlite":
        return
    # The copy (foreign keys are off while Alembic runs: nothing cascades) counts from the
    # highest id left; an outbox row may still name a higher, deleted one.
    with op.batch_alter_table("reminders", recreate="always",
                              table_kwargs={"sqlite_autoincrement": True}):
        pass
    op.execute(sa.text(
        "INSERT INTO sqlite_sequence (name, seq) SELECT 'reminders', 0 "
        "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'reminders')"))
    op.execute(sa.text(
        "UPDATE sqlite_sequence SET seq = max(seq, "
        "coalesce((SELECT max(reminder_id) FROM outbox), 0), "
        "coalesce((SELECT max(id) FROM reminders), 0)) WHERE name = 'reminders'"))


def downgrade() -> None:
    if context.is_offline_mode() or op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table("reminders", recreate="always",
                              table_kwargs={"sqlite_autoincrement": False}):
        pass
