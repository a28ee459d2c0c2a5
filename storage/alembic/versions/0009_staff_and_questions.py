"""staff invites and profiles, school contacts, and parents' help questions

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("schools", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contact_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_schools_contact_id_people"), "people",
                                    ["contact_id"], ["id"], ondelete="SET NULL")
    op.create_table(
        "staff_invites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["people.id"], ondelete="SET NULL",
                                name=op.f("fk_staff_invites_created_by_people")),
        sa.ForeignKeyConstraint(["used_by"], ["people.id"], ondelete="SET NULL",
                                name=op.f("fk_staff_invites_used_by_people")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_invites")),
        sa.UniqueConstraint("token", name=op.f("uq_staff_invites_token")),
    )
    op.create_table(
        "staff_profiles",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("languages", sa.String(length=64), nullable=False),
        sa.Column("availability", sa.String(length=168), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], ondelete="CASCADE",
                                name=op.f("fk_staff_profiles_person_id_people")),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_staff_profiles")),
    )
    op.create_table(
        "questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("topic", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_answer_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deliver_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["assignee_id"], ["people.id"], ondelete="SET NULL",
                                name=op.f("fk_questions_assignee_id_people")),
        sa.ForeignKeyConstraint(["parent_id"], ["people.id"], ondelete="CASCADE",
                                name=op.f("fk_questions_parent_id_people")),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], ondelete="SET NULL",
                                name=op.f("fk_questions_school_id_schools")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questions")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_questions_assignee_id"), ["assignee_id"])
        batch_op.create_index(batch_op.f("ix_questions_parent_id"), ["parent_id"])
        batch_op.create_index(batch_op.f("ix_questions_status"), ["status"])
    op.create_table(
        "question_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("from_parent", sa.Boolean(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["question_id"], ["questions.id"], ondelete="CASCADE",
                                name=op.f("fk_question_messages_question_id_questions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question_messages")),
    )
    with op.batch_alter_table("question_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_question_messages_question_id"), ["question_id"])


def downgrade() -> None:
    with op.batch_alter_table("question_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_question_messages_question_id"))
    op.drop_table("question_messages")
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_questions_status"))
        batch_op.drop_index(batch_op.f("ix_questions_parent_id"))
        batch_op.drop_index(batch_op.f("ix_questions_assignee_id"))
    op.drop_table("questions")
    op.drop_table("staff_profiles")
    op.drop_table("staff_invites")
    with op.batch_alter_table("schools", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_schools_contact_id_people"), type_="foreignkey")
        batch_op.drop_column("contact_id")
