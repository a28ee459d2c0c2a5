"""programme: activities, their schools, texts per language and cancelled occurrences

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "activities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rrule", sa.Text(), nullable=True),
        sa.Column("all_schools", sa.Boolean(), nullable=False),
        sa.Column("place_name", sa.String(length=200), nullable=False),
        sa.Column("place_address", sa.String(length=300), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activities")),
        sa.UniqueConstraint("external_id", name=op.f("uq_activities_external_id")),
    )
    op.create_table(
        "activity_schools",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activities.id"],
            name=op.f("fk_activity_schools_activity_id_activities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["schools.id"],
            name=op.f("fk_activity_schools_school_id_schools"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_schools")),
        sa.UniqueConstraint(
            "activity_id", "school_id", name=op.f("uq_activity_schools_activity_id")
        ),
    )
    with op.batch_alter_table("activity_schools", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_activity_schools_school_id"), ["school_id"], unique=False
        )
    op.create_table(
        "activity_texts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activities.id"],
            name=op.f("fk_activity_texts_activity_id_activities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_texts")),
        sa.UniqueConstraint("activity_id", "locale", name=op.f("uq_activity_texts_activity_id")),
    )
    op.create_table(
        "activity_cancellations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("occurrence_start", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activities.id"],
            name=op.f("fk_activity_cancellations_activity_id_activities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_cancellations")),
        sa.UniqueConstraint(
            "activity_id",
            "occurrence_start",
            name=op.f("uq_activity_cancellations_activity_id"),
        ),
    )


def downgrade() -> None:
    op.drop_table("activity_cancellations")
    op.drop_table("activity_texts")
    with op.batch_alter_table("activity_schools", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activity_schools_school_id"))

    op.drop_table("activity_schools")
    op.drop_table("activities")
