"""questions.taken_by_id: who took a question with ✋ (or answered it first)

A question for the coordinators (several may be named) had only ``taken_at``: each of them
read "It is yours." on ✋, and the parent could get two answers.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import context, op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FK = "fk_questions_taken_by_id_people"


@contextmanager
def _keeping_question_numbers() -> Iterator[None]:
    """On SQLite the batch copies the table: AUTOINCREMENT and its counter are kept, so a
    purged question's number is never shown again (as in revision 0013)."""
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
        batch_op.add_column(sa.Column("taken_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(FK, "people", ["taken_by_id"], ["id"], ondelete="SET NULL")


def downgrade() -> None:
    with _keeping_question_numbers(), op.batch_alter_table(
            "questions", table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.drop_constraint(FK, type_="foreignkey")
        batch_op.drop_column("taken_by_id")
