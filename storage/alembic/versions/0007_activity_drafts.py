"""activity_drafts: the coordinator's step-by-step /activity conversation

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "activity_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=True),
        sa.Column("awaiting", sa.String(length=16), nullable=True),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["activity_id"], ["activities.id"], ondelete="CASCADE",
                                name=op.f("fk_activity_drafts_activity_id_activities")),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], ondelete="CASCADE",
                                name=op.f("fk_activity_drafts_person_id_people")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_drafts")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("activity_drafts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_activity_drafts_person_id"), ["person_id"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("activity_drafts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activity_drafts_person_id"))
    op.drop_table("activity_drafts")
