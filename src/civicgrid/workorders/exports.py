"""Excel and CSV exports of orders (personal fields masked, formula injection neutralised)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from civicgrid.kit.masking import mask_address
from civicgrid.kit.tabular import write_table
from civicgrid.kit.timeutil import to_local
from civicgrid.models.workorder import WorkOrder
from civicgrid.workorders.states import STATE_LABELS, State

HEADERS = (
    "编号",
    "标题",
    "分类",
    "责任部门",
    "状态",
    "渠道",
    "上报时间",
    "办理期限",
    "办结时间",
    "时限状态",
    "满意度",
    "退单次数",
    "地址",
)
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def rows(orders: Iterable[WorkOrder]) -> Iterator[list[str]]:
    def t(value: object) -> str:
        return to_local(value).strftime("%Y-%m-%d %H:%M") if value is not None else ""  # type: ignore[arg-type]

    for o in orders:
        yield [
            o.code,
            o.title,
            o.category or "",
            o.department or "",
            STATE_LABELS[State(o.status)],
            o.channel,
            t(o.reported_at),
            t(o.due_at),
            t(o.closed_at),
            o.sla_light or "",
            o.satisfaction or "",
            str(o.returns_count),
            mask_address(o.address) or "",
        ]


def export(orders: Iterable[WorkOrder], fmt: str) -> tuple[bytes, str]:
    """The file's bytes and media type (``fmt`` is ``csv`` or ``xlsx``)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = write_table(Path(tmp) / f"workorders.{fmt}", HEADERS, rows(orders))
        return path.read_bytes(), MEDIA[fmt]
