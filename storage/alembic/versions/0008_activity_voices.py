"""activity_texts.voice_file_id: a voice message per language on an activity

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("activity_texts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("voice_file_id", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("activity_texts", schema=None) as batch_op:
        batch_op.drop_column("voice_file_id")
