"""Excel and CSV exports of orders, with personal fields masked."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from openpyxl import Workbook

from civicgrid.kit.masking import mask_address
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
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _row(o: WorkOrder) -> list[str]:
    def t(v: object) -> str:
        return to_local(v).strftime("%Y-%m-%d %H:%M") if v is not None else ""  # type: ignore[arg-type]

    return [
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
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(HEADERS)
        writer.writerows(_row(o) for o in orders)
        return buf.getvalue().encode("utf-8-sig"), "text/csv; charset=utf-8"
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("工单")
    ws.append(list(HEADERS))
    for o in orders:
        ws.append(_row(o))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue(), XLSX
