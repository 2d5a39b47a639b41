"""evaluation: stored indicator systems, imported survey/manual values, saved runs

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "evaluation_system",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("based_on", sa.String(length=100), nullable=True),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_system")),
        sa.UniqueConstraint("name", name=op.f("uq_evaluation_system_name")),
    )
    op.create_table(
        "evaluation_input",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("survey", sa.String(length=200), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("entity_code", sa.String(length=200), nullable=False),
        sa.Column("indicator", sa.String(length=200), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("sample_size", sa.Integer(), nullable=True),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batch.id"],
            name=op.f("fk_evaluation_input_batch_id_import_batch"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_input")),
        sa.UniqueConstraint(
            "source",
            "survey",
            "level",
            "entity_code",
            "indicator",
            "period_start",
            "period_end",
            name="uq_evaluation_input_identity",
        ),
    )
    with op.batch_alter_table("evaluation_input", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_evaluation_input_batch_id"), ["batch_id"], unique=False
        )
        batch_op.create_index(
            "ix_evaluation_input_lookup", ["level", "indicator", "period_start"], unique=False
        )
    op.create_table(
        "evaluation_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("system_name", sa.String(length=100), nullable=False),
        sa.Column("system_title", sa.String(length=200), nullable=False),
        sa.Column("system_version", sa.Integer(), nullable=True),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("scope_code", sa.String(length=64), nullable=True),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("entity_count", sa.Integer(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_run")),
    )
    with op.batch_alter_table("evaluation_run", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_evaluation_run_system_name"), ["system_name"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("evaluation_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_run_system_name"))
    op.drop_table("evaluation_run")
    with op.batch_alter_table("evaluation_input", schema=None) as batch_op:
        batch_op.drop_index("ix_evaluation_input_lookup")
        batch_op.drop_index(batch_op.f("ix_evaluation_input_batch_id"))
    op.drop_table("evaluation_input")
    op.drop_table("evaluation_system")
