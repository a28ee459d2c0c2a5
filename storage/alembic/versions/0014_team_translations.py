"""team_translations: who of the team wrote a translation, so they may correct it

A brugfiguur who saw a typo after replying to a translation request was told a colleague
had written it already. The text rows do not say who wrote them; this table does, with a
digest of what they wrote (no longer theirs once someone else changed it).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "team_translations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.Column("part", sa.String(length=16), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], ondelete="CASCADE",
                                name=op.f("fk_team_translations_person_id_people")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_translations")),
        sa.UniqueConstraint("target", "part", name=op.f("uq_team_translations_target")),
    )
    with op.batch_alter_table("team_translations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_team_translations_person_id"), ["person_id"])


def downgrade() -> None:
    with op.batch_alter_table("team_translations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_team_translations_person_id"))
    op.drop_table("team_translations")
