"""work orders: drop ix_work_order_node_id (covered by the two indexes that start with node_id)

Every query by ``node_id`` alone is served by ``ix_work_order_node_status`` (node_id, status) or
``ix_work_order_node_category_reported``; the single-column index only cost time on every insert
and on the index rebuild of a large import.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("work_order") as batch_op:
        batch_op.drop_index("ix_work_order_node_id")


def downgrade() -> None:
    with op.batch_alter_table("work_order") as batch_op:
        batch_op.create_index("ix_work_order_node_id", ["node_id"], unique=False)
