"""Request and response shapes of the work-order API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from civicgrid.workorders.states import Action

SATISFACTION = ("满意", "基本满意", "不满意")


class WorkOrderCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=2, max_length=200, description="标题")
    description: str = Field(default="", max_length=5000, description="问题描述")
    category: str | None = Field(default=None, max_length=100, description="分类编码或名称")
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    node_id: int | None = Field(default=None, description="网格 id（无坐标时）")
    address: str | None = Field(default=None, max_length=300)
    reporter_name: str | None = Field(default=None, max_length=100)
    reporter_phone: str | None = Field(default=None, max_length=20, pattern=r"^[0-9+\- ]{5,20}$")
    reported_at: datetime | None = Field(default=None, description="historic imports only")

    @field_validator("lat", "lon", mode="before")
    @classmethod
    def _finite(cls, value: Any) -> Any:
        if isinstance(value, float) and value != value:  # NaN
            raise ValueError("must be a number")
        return value


class ActionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str | None = Field(
        default=None, max_length=2000, description="理由（退单、挂起等必填）"
    )
    department: str | None = Field(default=None, max_length=100, description="派单部门")
    departments: list[str] | None = Field(default=None, max_length=20, description="吹哨部门")
    category: str | None = Field(default=None, max_length=100, description="分流确认的分类")
    triage: str | None = Field(default=None, pattern="^(government|community)$")
    reply: str | None = Field(default=None, max_length=5000, description="答复内容")
    satisfaction: str | None = Field(default=None, description="满意/基本满意/不满意")
    comment: str | None = Field(default=None, max_length=2000)
    merge_into: int | None = Field(default=None, description="合并到的工单 id")
    mediator: str | None = Field(default=None, max_length=100)
    version: int | None = Field(default=None, description="乐观锁：客户端看到的版本号")

    @field_validator("satisfaction")
    @classmethod
    def _rating(cls, value: str | None) -> str | None:
        if value is not None and value not in SATISFACTION:
            raise ValueError("must be one of 满意/基本满意/不满意")
        return value


class EventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    action: str
    from_state: str | None
    to_state: str
    actor_role: str | None
    actor_name: str | None
    reason: str | None
    data: dict[str, Any]
    at: datetime
    ledger_index: int | None


class PartRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    department: str
    status: str
    due_at: datetime | None
    reported_at: datetime | None
    done_at: datetime | None
    note: str | None


class WorkOrderRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    title: str
    description: str
    category: str | None
    category_suggested: str | None
    category_confidence: float | None
    department: str | None
    channel: str
    status: str
    triage: str | None
    node_id: int | None
    lat: float | None
    lon: float | None
    address: str | None = Field(description="masked unless permitted")
    reporter_name: str | None = Field(description="masked unless permitted")
    reported_at: datetime
    dispatched_at: datetime | None
    accepted_at: datetime | None
    replied_at: datetime | None
    closed_at: datetime | None
    accept_due_at: datetime | None
    due_at: datetime | None
    sla_light: str | None
    escalation_level: int
    reply: str | None
    satisfaction: str | None
    returns_count: int
    reassign_count: int
    reopen_count: int
    is_repeat: bool
    is_dispute: bool
    merged_into_id: int | None
    version: int
    allowed_actions: list[Action] = Field(default_factory=list)


class WorkOrderDetail(WorkOrderRead):
    timeline: list[EventRead] = Field(default_factory=list)
    parts: list[PartRead] = Field(default_factory=list)


class WorkOrderPage(BaseModel):
    items: list[WorkOrderRead]
    total: int
    page: int
    page_size: int
