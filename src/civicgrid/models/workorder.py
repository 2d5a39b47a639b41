"""事件库 — work orders (工单), the fourth base registry."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
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
    node_id: Mapped[int | None] = mapped_column(ForeignKey("org_node.id"), index=True)
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

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    __table_args__ = (
        Index("ix_work_order_reported_at", "reported_at"),
        Index("ix_work_order_node_status", "node_id", "status"),
    )
