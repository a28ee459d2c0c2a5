"""question_messages: ids never reused (SQLite AUTOINCREMENT)

Outbox dedupe keys name a question's message by its row id (``q:<q>:answer:<id>``,
``q:<q>:to:<chat>:m<id>``, ``q:<q>:refused:<id>``) and stay while the question does. A
brugfiguur's /forget deletes her answers; on SQLite without AUTOINCREMENT the next row could
take a deleted id again, and a colleague's answer to the same question would then meet the old
row's key: ignored as a duplicate while she is told "✅ Sent". PostgreSQL never reuses a
sequence's value: nothing to do there.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The message ids in the keys of a question's outbox rows.
_MESSAGE_ID = re.compile(r"^q:\d+:(?:answer:|refused:|to:-?\d+:m)(\d+)$")


def _sqlite() -> bool:
    return not context.is_offline_mode() and op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    if not _sqlite():
        return
    with op.batch_alter_table("question_messages", recreate="always",
                              table_kwargs={"sqlite_autoincrement": True}):
        pass
    # The copy sets the counter to the highest id left. An id freed before this revision
    # may still be named by a key: the counter starts above those too.
    keys = op.get_bind().execute(sa.text(
        "SELECT dedupe_key FROM outbox WHERE dedupe_key LIKE 'q:%'")).scalars()
    named = [int(m[1]) for key in keys if (m := _MESSAGE_ID.match(key))]
    if named:
        op.execute(sa.text("INSERT INTO sqlite_sequence (name, seq) SELECT 'question_messages', 0 "
                           "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence "
                           "WHERE name = 'question_messages')"))
        op.execute(sa.text("UPDATE sqlite_sequence SET seq = max(seq, :named) "
                           "WHERE name = 'question_messages'").bindparams(named=max(named)))


def downgrade() -> None:
    if not _sqlite():
        return
    with op.batch_alter_table("question_messages", recreate="always",
                              table_kwargs={"sqlite_autoincrement": False}):
        pass
