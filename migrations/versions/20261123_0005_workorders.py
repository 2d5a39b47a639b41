"""work orders: closed-loop detail, responsibility list, timeline, joint handling, mediation

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "responsibility_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("effective_from", TS, nullable=False),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_responsibility_version")),
        sa.UniqueConstraint("number", name=op.f("uq_responsibility_version_number")),
    )
    op.create_table(
        "responsibility_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("parent_code", sa.String(length=60), nullable=True),
        sa.Column("department", sa.String(length=100), nullable=False),
        sa.Column("triage", sa.String(length=20), nullable=False),
        sa.Column("accept_hours", sa.Double(), nullable=False),
        sa.Column("handle_hours", sa.Double(), nullable=False),
        sa.Column("reply_hours", sa.Double(), nullable=False),
        sa.Column("sla_mode", sa.String(length=10), nullable=False),
        sa.Column("escalation", sa.JSON(), nullable=False),
        sa.Column("is_dispute", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["responsibility_version.id"],
            name=op.f("fk_responsibility_item_version_id_responsibility_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_responsibility_item")),
        sa.UniqueConstraint(
            "version_id", "code", name=op.f("uq_responsibility_item_version_id_code")
        ),
    )
    op.create_index(
        op.f("ix_responsibility_item_version_id"), "responsibility_item", ["version_id"]
    )
    with op.batch_alter_table("work_order") as batch:
        batch.add_column(sa.Column("category_suggested", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("category_confidence", sa.Double(), nullable=True))
        batch.add_column(sa.Column("responsibility_version_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("sla_mode", sa.String(length=10), nullable=True))
        batch.add_column(sa.Column("accept_due_at", TS, nullable=True))
        batch.add_column(sa.Column("reply_due_at", TS, nullable=True))
        batch.add_column(sa.Column("paused_at", TS, nullable=True))
        batch.add_column(sa.Column("paused_hours", sa.Double(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("sla_light", sa.String(length=10), nullable=True))
        batch.add_column(
            sa.Column("escalation_level", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("assignee_user_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("reporter_user_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("rating_comment", sa.Text(), nullable=True))
        batch.add_column(sa.Column("rated_at", TS, nullable=True))
        batch.add_column(
            sa.Column("is_dispute", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("is_repeat", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("idempotency_key", sa.String(length=100), nullable=True))
        batch.create_foreign_key(
            op.f("fk_work_order_responsibility_version_id_responsibility_version"),
            "responsibility_version",
            ["responsibility_version_id"],
            ["id"],
        )
        batch.create_foreign_key(
            op.f("fk_work_order_merged_into_id_work_order"),
            "work_order",
            ["merged_into_id"],
            ["id"],
        )
        batch.create_unique_constraint(op.f("uq_work_order_idempotency_key"), ["idempotency_key"])
        batch.create_index(op.f("ix_work_order_sla_light"), ["sla_light"])
        batch.create_index(op.f("ix_work_order_assignee_user_id"), ["assignee_user_id"])
        batch.create_index(op.f("ix_work_order_reporter_user_id"), ["reporter_user_id"])
        batch.create_index(
            "ix_work_order_node_category_reported", ["node_id", "category", "reported_at"]
        )
    op.create_table(
        "work_order_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("work_order_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("from_state", sa.String(length=30), nullable=True),
        sa.Column("to_state", sa.String(length=30), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_role", sa.String(length=30), nullable=True),
        sa.Column("actor_name", sa.String(length=100), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("ledger_index", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_order.id"],
            name=op.f("fk_work_order_event_work_order_id_work_order"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order_event")),
    )
    op.create_index(
        op.f("ix_work_order_event_work_order_id"), "work_order_event", ["work_order_id"]
    )
    op.create_table(
        "work_order_part",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("work_order_id", sa.Integer(), nullable=False),
        sa.Column("department", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("due_at", TS, nullable=True),
        sa.Column("reported_at", TS, nullable=True),
        sa.Column("done_at", TS, nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_order.id"],
            name=op.f("fk_work_order_part_work_order_id_work_order"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order_part")),
        sa.UniqueConstraint(
            "work_order_id", "department", name=op.f("uq_work_order_part_work_order_id_department")
        ),
    )
    op.create_index(op.f("ix_work_order_part_work_order_id"), "work_order_part", ["work_order_id"])
    op.create_table(
        "mediation_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("work_order_id", sa.Integer(), nullable=False),
        sa.Column("mediator", sa.String(length=100), nullable=False),
        sa.Column("held_at", TS, nullable=False),
        sa.Column("parties", sa.JSON(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_order.id"],
            name=op.f("fk_mediation_session_work_order_id_work_order"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mediation_session")),
    )
    op.create_index(
        op.f("ix_mediation_session_work_order_id"), "mediation_session", ["work_order_id"]
    )
    op.create_table(
        "attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("work_order_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=60), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("public_path", sa.String(length=300), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_order.id"],
            name=op.f("fk_attachment_work_order_id_work_order"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachment")),
    )
    op.create_index(op.f("ix_attachment_work_order_id"), "attachment", ["work_order_id"])


def downgrade() -> None:
    op.drop_table("attachment")
    op.drop_table("mediation_session")
    op.drop_table("work_order_part")
    op.drop_table("work_order_event")
    with op.batch_alter_table("work_order") as batch:
        batch.drop_index("ix_work_order_node_category_reported")
        batch.drop_index(op.f("ix_work_order_reporter_user_id"))
        batch.drop_index(op.f("ix_work_order_assignee_user_id"))
        batch.drop_index(op.f("ix_work_order_sla_light"))
        batch.drop_constraint(op.f("uq_work_order_idempotency_key"), type_="unique")
        batch.drop_constraint(op.f("fk_work_order_merged_into_id_work_order"), type_="foreignkey")
        batch.drop_constraint(
            op.f("fk_work_order_responsibility_version_id_responsibility_version"),
            type_="foreignkey",
        )
        for col in (
            "idempotency_key",
            "is_repeat",
            "is_dispute",
            "rated_at",
            "rating_comment",
            "merged_into_id",
            "reporter_user_id",
            "assignee_user_id",
            "escalation_level",
            "sla_light",
            "paused_hours",
            "paused_at",
            "reply_due_at",
            "accept_due_at",
            "sla_mode",
            "responsibility_version_id",
            "category_confidence",
            "category_suggested",
        ):
            batch.drop_column(col)
    op.drop_table("responsibility_item")
    op.drop_table("responsibility_version")
