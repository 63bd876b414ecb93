"""web app: users, sessions, review decisions, response tasks, spam marks, queue indexes

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import signals.store.columns

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("password_hash", sa.String(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", signals.store.columns.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("name", name=op.f("uq_users_name")),
    )
    op.create_table(
        "author_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("author", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("marked_by", sa.Integer(), nullable=True),
        sa.Column("created_at", signals.store.columns.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["marked_by"],
            ["users.id"],
            name=op.f("fk_author_marks_marked_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_author_marks")),
        sa.UniqueConstraint("author", "platform", name="uq_author_marks_author_platform"),
    )
    with op.batch_alter_table("author_marks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_author_marks_marked_by"), ["marked_by"], unique=False)

    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(), nullable=False),
        sa.Column("created_at", signals.store.columns.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", signals.store.columns.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_web_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_web_sessions_token_hash")),
    )
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_sessions_user_id"), ["user_id"], unique=False)

    op.create_table(
        "response_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("signal_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("play", sa.String(), nullable=True),
        sa.Column("deadline", signals.store.columns.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reply_url", sa.String(), nullable=True),
        sa.Column("claimed_at", signals.store.columns.UTCDateTime(timezone=True), nullable=True),
        sa.Column("responded_at", signals.store.columns.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", signals.store.columns.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", signals.store.columns.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["users.id"],
            name=op.f("fk_response_tasks_assignee_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["posts.id"],
            name=op.f("fk_response_tasks_post_id_posts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["signal_id"],
            ["signals.id"],
            name=op.f("fk_response_tasks_signal_id_signals"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_response_tasks")),
        sa.UniqueConstraint("post_id", name="uq_response_tasks_post"),
    )
    with op.batch_alter_table("response_tasks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_response_tasks_assignee_id"), ["assignee_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_response_tasks_signal_id"), ["signal_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_response_tasks_status"), ["status"], unique=False)

    op.create_table(
        "review_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("signal_id", sa.Integer(), nullable=True),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column("decision", sa.String(), nullable=False),
        sa.Column("is_signal", sa.Boolean(), nullable=False),
        sa.Column("stage", sa.String(), nullable=True),
        sa.Column("intents", sa.JSON(), nullable=False),
        sa.Column("products", sa.JSON(), nullable=False),
        sa.Column("decided_at", signals.store.columns.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["posts.id"],
            name=op.f("fk_review_decisions_post_id_posts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"],
            ["users.id"],
            name=op.f("fk_review_decisions_reviewer_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["signal_id"],
            ["signals.id"],
            name=op.f("fk_review_decisions_signal_id_signals"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_decisions")),
    )
    with op.batch_alter_table("review_decisions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_review_decisions_post_decided", ["post_id", "decided_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_review_decisions_reviewer_id"), ["reviewer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_review_decisions_signal_id"), ["signal_id"], unique=False
        )

    with op.batch_alter_table("signals", schema=None) as batch_op:
        batch_op.create_index(
            "ix_signals_queue_newest", ["is_signal", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_signals_queue_score", ["is_signal", "confidence", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("signals", schema=None) as batch_op:
        batch_op.drop_index("ix_signals_queue_score")
        batch_op.drop_index("ix_signals_queue_newest")

    with op.batch_alter_table("review_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_decisions_signal_id"))
        batch_op.drop_index(batch_op.f("ix_review_decisions_reviewer_id"))
        batch_op.drop_index("ix_review_decisions_post_decided")

    op.drop_table("review_decisions")
    with op.batch_alter_table("response_tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_response_tasks_status"))
        batch_op.drop_index(batch_op.f("ix_response_tasks_signal_id"))
        batch_op.drop_index(batch_op.f("ix_response_tasks_assignee_id"))

    op.drop_table("response_tasks")
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_sessions_user_id"))

    op.drop_table("web_sessions")
    with op.batch_alter_table("author_marks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_author_marks_marked_by"))

    op.drop_table("author_marks")
    op.drop_table("users")
