"""考核评价 — stored indicator systems, imported survey / manual values, saved evaluation runs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from civicgrid.kit.timeutil import utcnow
from civicgrid.models.base import Base, TimestampMixin


class EvaluationSystem(TimestampMixin, Base):
    """An editable indicator system (often a copy of a built-in template).

    ``definition`` is the validated system as plain data (the same shape as the YAML files);
    ``version`` increases on every edit so a saved run can say which version it used.
    """

    __tablename__ = "evaluation_system"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    based_on: Mapped[str | None] = mapped_column(String(100), default=None)
    definition: Mapped[dict[str, Any]] = mapped_column(default=dict)
    version: Mapped[int] = mapped_column(default=1)
    created_by: Mapped[int | None] = mapped_column(default=None)
    updated_by: Mapped[int | None] = mapped_column(default=None)


class InputSource:
    SURVEY = "survey"  # 第三方满意度调查
    MANUAL = "manual"  # 人工评分表


class EvaluationInput(TimestampMixin, Base):
    """One imported value: a survey result or a manual score for an entity and indicator.

    ``entity_code`` is the evaluated object's code at ``level``: an org node code (grid,
    community, street), "<grid code>/<worker name>" for a worker, or a department name.
    """

    __tablename__ = "evaluation_input"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(20))
    survey: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(20))
    entity_code: Mapped[str] = mapped_column(String(200))
    indicator: Mapped[str] = mapped_column(String(200))
    value: Mapped[float]
    sample_size: Mapped[int | None] = mapped_column(default=None)
    period_start: Mapped[date]
    period_end: Mapped[date]
    batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_batch.id", ondelete="SET NULL"), default=None, index=True
    )

    __table_args__ = (
        UniqueConstraint(
            "source",
            "survey",
            "level",
            "entity_code",
            "indicator",
            "period_start",
            "period_end",
            name="uq_evaluation_input_identity",
        ),
        Index("ix_evaluation_input_lookup", "level", "indicator", "period_start"),
    )


class EvaluationRun(Base):
    """A saved evaluation: the full result (scores, ranks, explanations) as it was computed."""

    __tablename__ = "evaluation_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    system_name: Mapped[str] = mapped_column(String(100), index=True)
    system_title: Mapped[str] = mapped_column(String(200))
    system_version: Mapped[int | None] = mapped_column(default=None)
    level: Mapped[str] = mapped_column(String(20))
    period_start: Mapped[date]
    period_end: Mapped[date]
    scope_code: Mapped[str | None] = mapped_column(String(64), default=None)
    method: Mapped[str] = mapped_column(String(20))
    entity_count: Mapped[int] = mapped_column(default=0)
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by: Mapped[int | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
