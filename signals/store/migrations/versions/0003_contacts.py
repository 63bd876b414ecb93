"""contacts: merges, inferred attributes, scores, stages, tasks, events, erasure

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import signals.store.columns

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "forgotten_people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(), nullable=False),
        sa.Column("created_at", signals.store.columns.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forgotten_people")),
        sa.UniqueConstraint("digest", name=op.f("uq_forgotten_people_digest")),
    )
    op.create_table(
        "people_secrets",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("value", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_people_secrets")),
    )
    op.create_table(
        "account_scores",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("points", sa.Float(), nullable=False),
        sa.Column("band", sa.Integer(), nullable=False),
        sa.Column("active_contacts", sa.Integer(), nullable=False),
        sa.Column("as_of", signals.store.columns.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_account_scores_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_account_scores")),
    )
    op.create_table(
        "contact_scores",
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("fit_grade", sa.String(), nullable=False),
        sa.Column("fit_points", sa.Float(), nullable=False),
        sa.Column("points", sa.Float(), nullable=False),
        sa.Column("by_kind", sa.JSON(), nullable=False),
        sa.Column("by_category", sa.JSON(), nullable=False),
        sa.Column("band", sa.Integer(), nullable=False),
        sa.Column("cell", sa.String(), nullable=False),
        sa.Column("as_of", signals.store.columns.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_contact_scores_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("contact_id", name=op.f("pk_contact_scores")),
    )
    op.create_table(
        "inferred_attributes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("post_id", sa.Integer(), nullable=True),
        sa.Column("attribute", sa.String(), nullable=False),
        sa.Column("value", sa.String(), nullable=False),
        sa.Column("evidence", sa.String(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("created_at", signals.store.columns.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_inferred_attributes_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_inferred_attributes_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["posts.id"],
            name=op.f("fk_inferred_attributes_post_id_posts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inferred_attributes")),
    )
    with op.batch_alter_table("inferred_attributes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inferred_attributes_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_inferred_attributes_contact_id"), ["contact_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_inferred_attributes_post_id"), ["post_id"], unique=False
        )

    op.create_table(
        "merge_ledger",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kept_contact_id", sa.Integer(), nullable=False),
        sa.Column("merged_contact_id", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("identity_ids", sa.JSON(), nullable=False),
        sa.Column("activity_ids", sa.JSON(), nullable=False),
        sa.Column("merged_at", signals.store.columns.UTCDateTime(timezone=True), nullable=False),
        sa.Column("undone_at", signals.store.columns.UTCDateTime(timezone=True), nullable=True),
        sa.Column("undone_by", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["kept_contact_id"],
            ["contacts.id"],
            name=op.f("fk_merge_ledger_kept_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["merged_contact_id"],
            ["contacts.id"],
            name=op.f("fk_merge_ledger_merged_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merge_ledger")),
    )
    with op.batch_alter_table("merge_ledger", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_merge_ledger_kept_contact_id"), ["kept_contact_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_merge_ledger_merged_contact_id"), ["merged_contact_id"], unique=False
        )

    op.create_table(
        "merge_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("other_contact_id", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("decided_by", sa.String(), nullable=True),
        sa.Column("decided_at", signals.store.columns.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", signals.store.columns.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_merge_proposals_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["other_contact_id"],
            ["contacts.id"],
            name=op.f("fk_merge_proposals_other_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merge_proposals")),
        sa.UniqueConstraint("contact_id", "other_contact_id", name="uq_merge_proposals_pair"),
    )
    with op.batch_alter_table("merge_proposals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_merge_proposals_contact_id"), ["contact_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_merge_proposals_other_contact_id"), ["other_contact_id"], unique=False
        )

    op.create_table(
        "no_merge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("other_contact_id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("created_at", signals.store.columns.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_no_merge_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["other_contact_id"],
            ["contacts.id"],
            name=op.f("fk_no_merge_other_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_no_merge")),
        sa.UniqueConstraint("contact_id", "other_contact_id", name="uq_no_merge_pair"),
    )
    with op.batch_alter_table("no_merge", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_no_merge_contact_id"), ["contact_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_no_merge_other_contact_id"), ["other_contact_id"], unique=False
        )

    op.create_table(
        "people_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(), nullable=False),
        sa.Column("type", sa.String(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", signals.store.columns.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_people_events_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people_events")),
        sa.UniqueConstraint("message_id", name=op.f("uq_people_events_message_id")),
    )
    with op.batch_alter_table("people_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_people_events_contact_id"), ["contact_id"], unique=False
        )

    op.create_table(
        "stage_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("old", sa.String(), nullable=True),
        sa.Column("new", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("occurred_at", signals.store.columns.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", signals.store.columns.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_stage_changes_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_stage_changes_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stage_changes")),
    )
    with op.batch_alter_table("stage_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_stage_changes_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_stage_changes_contact_id"), ["contact_id"], unique=False
        )

    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("post_id", sa.Integer(), nullable=True),
        sa.Column("play", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("owner", sa.String(), nullable=True),
        sa.Column("detail", sa.String(), nullable=False),
        sa.Column("due_at", signals.store.columns.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("created_at", signals.store.columns.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_tasks_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_tasks_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_tasks_post_id_posts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
        sa.UniqueConstraint("contact_id", "post_id", "play", name="uq_tasks_play"),
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tasks_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tasks_contact_id"), ["contact_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tasks_post_id"), ["post_id"], unique=False)

    op.create_table(
        "account_activities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("signal_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("stage", sa.String(), nullable=True),
        sa.Column("intents", sa.JSON(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("occurred_at", signals.store.columns.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", signals.store.columns.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_account_activities_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["posts.id"],
            name=op.f("fk_account_activities_post_id_posts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["signal_id"],
            ["signals.id"],
            name=op.f("fk_account_activities_signal_id_signals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_activities")),
        sa.UniqueConstraint("post_id", "account_id", "kind", name="uq_account_activities_post"),
    )
    with op.batch_alter_table("account_activities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_account_activities_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_account_activities_post_id"), ["post_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_account_activities_signal_id"), ["signal_id"], unique=False
        )

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("industry", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("employees", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("region", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("buyer_stage", sa.String(), nullable=True))

    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("title", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("committee_role", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("owner", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("region", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("website", sa.String(), nullable=True))
        batch_op.add_column(
            sa.Column("lifecycle_stage", sa.String(), nullable=False, server_default="MAL")
        )
        batch_op.add_column(sa.Column("buyer_stage", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_contacts_email"), ["email"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_contacts_merged_into_id"), ["merged_into_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_contacts_merged_into_id_contacts"),
            "contacts",
            ["merged_into_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_contacts_merged_into_id_contacts"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_contacts_merged_into_id"))
        batch_op.drop_index(batch_op.f("ix_contacts_email"))
        batch_op.drop_column("merged_into_id")
        batch_op.drop_column("buyer_stage")
        batch_op.drop_column("lifecycle_stage")
        batch_op.drop_column("website")
        batch_op.drop_column("region")
        batch_op.drop_column("owner")
        batch_op.drop_column("committee_role")
        batch_op.drop_column("title")

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("buyer_stage")
        batch_op.drop_column("region")
        batch_op.drop_column("employees")
        batch_op.drop_column("industry")

    with op.batch_alter_table("account_activities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_activities_signal_id"))
        batch_op.drop_index(batch_op.f("ix_account_activities_post_id"))
        batch_op.drop_index(batch_op.f("ix_account_activities_account_id"))

    op.drop_table("account_activities")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tasks_post_id"))
        batch_op.drop_index(batch_op.f("ix_tasks_contact_id"))
        batch_op.drop_index(batch_op.f("ix_tasks_account_id"))

    op.drop_table("tasks")
    with op.batch_alter_table("stage_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stage_changes_contact_id"))
        batch_op.drop_index(batch_op.f("ix_stage_changes_account_id"))

    op.drop_table("stage_changes")
    with op.batch_alter_table("people_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_people_events_contact_id"))

    op.drop_table("people_events")
    with op.batch_alter_table("no_merge", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_no_merge_other_contact_id"))
        batch_op.drop_index(batch_op.f("ix_no_merge_contact_id"))

    op.drop_table("no_merge")
    with op.batch_alter_table("merge_proposals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_merge_proposals_other_contact_id"))
        batch_op.drop_index(batch_op.f("ix_merge_proposals_contact_id"))

    op.drop_table("merge_proposals")
    with op.batch_alter_table("merge_ledger", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_merge_ledger_merged_contact_id"))
        batch_op.drop_index(batch_op.f("ix_merge_ledger_kept_contact_id"))

    op.drop_table("merge_ledger")
    with op.batch_alter_table("inferred_attributes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inferred_attributes_post_id"))
        batch_op.drop_index(batch_op.f("ix_inferred_attributes_contact_id"))
        batch_op.drop_index(batch_op.f("ix_inferred_attributes_account_id"))

    op.drop_table("inferred_attributes")
    op.drop_table("contact_scores")
    op.drop_table("account_scores")
    op.drop_table("people_secrets")
    op.drop_table("forgotten_people")
