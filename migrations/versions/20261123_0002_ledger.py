"""ledger: head (sequencer), entries, event records, signed tree heads

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 09:00:00
"""

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEAF_INDEX = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    head = op.create_table(
        "ledger_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("frontier", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_head")),
    )
    op.create_table(
        "ledger_entry",
        sa.Column("leaf_index", LEAF_INDEX, autoincrement=False, nullable=False),
        sa.Column("leaf", sa.LargeBinary(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("nodes", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("leaf_index", name=op.f("pk_ledger_entry")),
    )
    op.create_table(
        "ledger_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("leaf_index", LEAF_INDEX, nullable=False),
        sa.Column("event_type", sa.Integer(), nullable=False),
        sa.Column("subject_type", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("salt", sa.LargeBinary(length=16), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["leaf_index"],
            ["ledger_entry.leaf_index"],
            name=op.f("fk_ledger_event_leaf_index_ledger_entry"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_event")),
        sa.UniqueConstraint("leaf_index", name=op.f("uq_ledger_event_leaf_index")),
    )
    op.create_index(
        "ix_ledger_event_subject", "ledger_event", ["subject_type", "subject_id"], unique=False
    )
    op.create_index("ix_ledger_event_event_type", "ledger_event", ["event_type"], unique=False)
    op.create_table(
        "ledger_sth",
        sa.Column("tree_size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("log_id", sa.LargeBinary(length=32), nullable=False),
        sa.Column("signature", sa.LargeBinary(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tree_size", name=op.f("pk_ledger_sth")),
    )
    # The sequencer row every appender locks: an empty tree.
    op.bulk_insert(
        head,
        [
            {
                "id": 1,
                "tree_size": 0,
                "root_hash": hashlib.sha256(b"").digest(),
                "frontier": b"",
                "updated_at": datetime.now(UTC),
            }
        ],
    )


def downgrade() -> None:
    op.drop_table("ledger_sth")
    op.drop_index("ix_ledger_event_event_type", table_name="ledger_event")
    op.drop_index("ix_ledger_event_subject", table_name="ledger_event")
    op.drop_table("ledger_event")
    op.drop_table("ledger_entry")
    op.drop_table("ledger_head")
