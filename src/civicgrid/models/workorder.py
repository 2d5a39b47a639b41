"""事件库 — work orders (工单), the fourth base registry."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from civicgrid.kit.classification import DataLevel, level_info
from civicgrid.models.base import Base, TimestampMixin


class Channel(StrEnum):
    RESIDENT = "resident"  # 居民随手拍
    HOTLINE = "hotline"  # 12345 热线
    PATROL = "patrol"  # 网格员巡查
    SENSOR = "sensor"  # 物联感知
    COLLISION = "collision"  # 数据碰撞线索
    OPEN311 = "open311"
    IMPORT = "import"  # 历史工单导入


class WorkOrder(TimestampMixin, Base):
    __tablename__ = "work_order"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(300), info=level_info(DataLevel.INTERNAL))
    description: Mapped[str] = mapped_column(Text, default="", info=level_info(DataLevel.INTERNAL))
    category: Mapped[str | None] = mapped_column(String(100), default=None, index=True)
    department: Mapped[str | None] = mapped_column(String(100), default=None, index=True)
    channel: Mapped[str] = mapped_column(String(20), default=Channel.RESIDENT)
    status: Mapped[str] = mapped_column(String(30), index=True)
    triage: Mapped[str | None] = mapped_column(String(20), default=None)
    priority: Mapped[int] = mapped_column(default=2)
    # Looked up through ix_work_order_node_status (node_id first): no index of its own.
    node_id: Mapped[int | None] = mapped_column(ForeignKey("org_node.id"))
    lat: Mapped[float | None] = mapped_column(default=None)
    lon: Mapped[float | None] = mapped_column(default=None)
    address: Mapped[str | None] = mapped_column(
        String(300), default=None, info=level_info(DataLevel.SENSITIVE)
    )
    reporter_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), default=None)
    reporter_name: Mapped[str | None] = mapped_column(
        String(100), default=None, info=level_info(DataLevel.SENSITIVE)
    )
    reporter_phone_enc: Mapped[str | None] = mapped_column(
        Text, default=None, info=level_info(DataLevel.HIGHLY_SENSITIVE)
    )
    reported_at: Mapped[datetime]
    dispatched_at: Mapped[datetime | None] = mapped_column(default=None)
    accepted_at: Mapped[datetime | None] = mapped_column(default=None)
    replied_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    due_at: Mapped[datetime | None] = mapped_column(default=None)
    reply: Mapped[str | None] = mapped_column(Text, default=None)
    satisfaction: Mapped[str | None] = mapped_column(String(20), default=None)
    returns_count: Mapped[int] = mapped_column(default=0)
    reassign_count: Mapped[int] = mapped_column(default=0)
    reopen_count: Mapped[int] = mapped_column(default=0)
    likes: Mapped[int] = mapped_column(default=0)
    resolved_in_grid: Mapped[bool] = mapped_column(default=False)
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    version: Mapped[int] = mapped_column(default=1)
    # --- closed-loop detail (work-order domain) ---
    category_suggested: Mapped[str | None] = mapped_column(String(100), default=None)
    category_confidence: Mapped[float | None] = mapped_column(default=None)
    responsibility_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("responsibility_version.id"), default=None
    )
    sla_mode: Mapped[str | None] = mapped_column(String(10), default=None)
    accept_due_at: Mapped[datetime | None] = mapped_column(default=None)
    reply_due_at: Mapped[datetime | None] = mapped_column(default=None)
    paused_at: Mapped[datetime | None] = mapped_column(default=None)
    paused_hours: Mapped[float] = mapped_column(default=0.0)
    sla_light: Mapped[str | None] = mapped_column(String(10), default=None, index=True)
    escalation_level: Mapped[int] = mapped_column(default=0)
    assignee_user_id: Mapped[int | None] = mapped_column(default=None, index=True)
    reporter_user_id: Mapped[int | None] = mapped_column(default=None, index=True)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("work_order.id"), default=None)
    rating_comment: Mapped[str | None] = mapped_column(Text, default=None)
    rated_at: Mapped[datetime | None] = mapped_column(default=None)
    is_dispute: Mapped[bool] = mapped_column(default=False)
    is_repeat: Mapped[bool] = mapped_column(default=False)
    idempotency_key: Mapped[str | None] = mapped_column(String(100), unique=True, default=None)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    __table_args__ = (
        Index("ix_work_order_reported_at", "reported_at"),
        Index("ix_work_order_node_status", "node_id", "status"),
        Index("ix_work_order_node_category_reported", "node_id", "category", "reported_at"),
    )


class ResponsibilityVersion(TimestampMixin, Base):
    """权责清单 version: an order is judged by the version in force when it was created."""

    __tablename__ = "responsibility_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    effective_from: Mapped[datetime]
    note: Mapped[str | None] = mapped_column(String(300), default=None)
    created_by: Mapped[int | None] = mapped_column(default=None)


class ResponsibilityItem(Base):
    """One row of the responsibility list: category → department, time limits, escalation chain."""

    __tablename__ = "responsibility_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("responsibility_version.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(100))
    parent_code: Mapped[str | None] = mapped_column(String(60), default=None)
    department: Mapped[str] = mapped_column(String(100))
    triage: Mapped[str] = mapped_column(String(20), default="government")
    accept_hours: Mapped[float] = mapped_column(default=2.0)
    handle_hours: Mapped[float] = mapped_column(default=72.0)
    reply_hours: Mapped[float] = mapped_column(default=120.0)
    sla_mode: Mapped[str] = mapped_column(String(10), default="calendar")
    escalation: Mapped[list[str]] = mapped_column(default=list)
    is_dispute: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (UniqueConstraint("version_id", "code"),)


class WorkOrderEvent(Base):
    """Timeline of an order: every state change with who, when, why (and its ledger leaf)."""

    __tablename__ = "work_order_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(
        ForeignKey("work_order.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(30))
    from_state: Mapped[str | None] = mapped_column(String(30), default=None)
    to_state: Mapped[str] = mapped_column(String(30))
    actor_id: Mapped[int | None] = mapped_column(default=None)
    actor_role: Mapped[str | None] = mapped_column(String(30), default=None)
    actor_name: Mapped[str | None] = mapped_column(String(100), default=None)
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime]
    ledger_index: Mapped[int | None] = mapped_column(default=None)


class WorkOrderPart(TimestampMixin, Base):
    """吹哨报到: one summoned department's part of a jointly handled order."""

    __tablename__ = "work_order_part"

    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(
        ForeignKey("work_order.id", ondelete="CASCADE"), index=True
    )
    department: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="summoned")
    due_at: Mapped[datetime | None] = mapped_column(default=None)
    reported_at: Mapped[datetime | None] = mapped_column(default=None)
    done_at: Mapped[datetime | None] = mapped_column(default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)

    __table_args__ = (UniqueConstraint("work_order_id", "department"),)


class MediationSession(Base):
    """矛盾纠纷调解: one mediation session of a dispute order."""

    __tablename__ = "mediation_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(
        ForeignKey("work_order.id", ondelete="CASCADE"), index=True
    )
    mediator: Mapped[str] = mapped_column(String(100))
    held_at: Mapped[datetime]
    parties: Mapped[list[str]] = mapped_column(default=list)
    notes: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str | None] = mapped_column(String(20), default=None)


class Attachment(Base):
    """A photo or file on an order; ``public_path`` is the copy with EXIF location stripped."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(
        ForeignKey("work_order.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(60))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(300))
    public_path: Mapped[str | None] = mapped_column(String(300), default=None)
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(default=None)
