"""questions.handed_by_id: who last handed a question on by hand

Escalation used to tell a hand-over from the outbox's keys; it could also bring a question
back to the colleague who had just handed it on.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import context, op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FK = "fk_questions_handed_by_id_people"


@contextmanager
def _keeping_question_numbers() -> Iterator[None]:
    """On SQLite the batch copies the table. The copy must keep AUTOINCREMENT, and the
    counter it had: else a purged question's number could be shown to someone again.
    (Offline, ``--sql``, there is no counter to read: the script is written as is.)"""
    if context.is_offline_mode() or op.get_bind().dialect.name != "sqlite":
        yield
        return
    counter = op.get_bind().execute(sa.text(
        "SELECT seq FROM sqlite_sequence WHERE name = 'questions'")).scalar()
    yield
    if counter is not None:
        op.execute(sa.text("UPDATE sqlite_sequence SET seq = max(seq, :counter) "
                           "WHERE name = 'questions'").bindparams(counter=counter))


def upgrade() -> None:
    with _keeping_question_numbers(), op.batch_alter_table(
            "questions", table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.add_column(sa.Column("handed_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(FK, "people", ["handed_by_id"], ["id"], ondelete="SET NULL")
    # Open questions the coordinator holds after a hand-over by hand: before this column,
    # escalation knew them by a colleague's card in the outbox (a "q:<id>" row to a person,
    # ":to:" in its key). Without it they would be escalated back to the team.
    op.execute(sa.text(
        "UPDATE questions SET handed_by_id = (SELECT min(o.person_id) FROM outbox o "
        "WHERE o.group_key = CAST(:prefix AS TEXT) || CAST(questions.id AS TEXT) "
        "AND o.person_id IS NOT NULL "
        "AND o.dedupe_key LIKE :card) "
        "WHERE status = 'open' AND assignee_id IS NULL AND escalated_at IS NULL"
    ).bindparams(prefix="q:", card="%:to:%"))


def downgrade() -> None:
    with _keeping_question_numbers(), op.batch_alter_table(
            "questions", table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.drop_constraint(FK, type_="foreignkey")
        batch_op.drop_column("handed_by_id")
