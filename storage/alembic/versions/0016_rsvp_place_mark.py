"""rsvps.place_mark: the place a parent answered to, so that a new place is told once

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rsvps") as batch_op:
        batch_op.add_column(sa.Column("place_mark", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rsvps") as batch_op:
        batch_op.drop_column("place_mark")
