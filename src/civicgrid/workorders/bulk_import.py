"""历史工单导入 — bulk import of historic orders from CSV/Excel with a column mapping.

Fast path: rows are parsed in chunks, located in bulk (vectorised point → grid), de-duplicated by
external id against the file and the database, and inserted with one Core ``executemany`` per chunk.
Bad rows are reported (row number + reason) and never stop good rows; the whole import is one
transaction. The batch (file digest, row count, id range) is committed to the ledger as one entry,
rather than one leaf per historic row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Dialect, Table, func, select
from sqlalchemy.orm import Session

from civicgrid.errors import Invalid
from civicgrid.kit.bulk import BulkWriter
from civicgrid.kit.i18n import _
from civicgrid.kit.timeutil import utcnow
from civicgrid.ledger import service as ledger
from civicgrid.ledger.events import EventType
from civicgrid.models.base import UTCDateTime
from civicgrid.models.registry import ImportBatch
from civicgrid.models.workorder import Channel, WorkOrder
from civicgrid.org import service as org
from civicgrid.workorders.states import State

DATE_FORMATS = (
    "%m/%d/%Y %I:%M:%S %p",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日",
    "%m/%d/%Y",
)
STATUS_ALIASES: dict[str, State] = {
    "closed": State.CLOSED,
    "已办结": State.CLOSED,
    "办结": State.CLOSED,
    "已关闭": State.CLOSED,
    "open": State.DISPATCHED,
    "assigned": State.DISPATCHED,
    "pending": State.DISPATCHED,
    "started": State.IN_PROGRESS,
    "in progress": State.IN_PROGRESS,
    "处理中": State.IN_PROGRESS,
    "处置中": State.IN_PROGRESS,
    "已派单": State.DISPATCHED,
    "已答复": State.REPLIED,
    "replied": State.REPLIED,
    "email sent": State.REPLIED,
    "unspecified": State.DISPATCHED,
    "draft": State.REPORTED,
}
SATISFACTION = {"满意", "基本满意", "不满意"}


@dataclass(frozen=True)
class OrderMapping:
    """Our field → the file's header. ``tz`` is the zone naive timestamps in the file are in."""

    external_id: str
    reported_at: str
    title: tuple[str, ...]
    description: str | None = None
    category: str | None = None
    department: str | None = None
    status: str | None = None
    closed_at: str | None = None
    due_at: str | None = None
    replied_at: str | None = None
    reply: str | None = None
    lat: str | None = None
    lon: str | None = None
    address: str | None = None
    satisfaction: str | None = None
    likes: str | None = None
    tz: str = "Asia/Shanghai"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OrderMapping:
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise Invalid(_("映射中有未知字段") + f": {', '.join(sorted(unknown))}")
        for required in ("external_id", "reported_at", "title"):
            if not data.get(required):
                raise Invalid(_("映射缺少必填字段") + f": {required}")
        title = data["title"]
        values = {**data, "title": tuple(title) if isinstance(title, list | tuple) else (title,)}
        return cls(**values)


BUILTIN: dict[str, OrderMapping] = {
    "nyc311": OrderMapping(
        external_id="Unique Key",
        reported_at="Created Date",
        closed_at="Closed Date",
        title=("Complaint Type", "Descriptor"),
        description="Descriptor",
        category="Complaint Type",
        department="Agency",
        status="Status",
        due_at="Due Date",
        reply="Resolution Description",
        replied_at="Resolution Action Updated Date",
        lat="Latitude",
        lon="Longitude",
        address="Incident Address",
        tz="America/New_York",
    ),
    "gov_messages": OrderMapping(
        external_id="留言编号",
        reported_at="留言时间",
        title=("留言主题",),
        description="留言详情",
        category="一级标签",
        reply="答复意见",
        replied_at="答复时间",
        likes="点赞数",
    ),
    "civicgrid": OrderMapping(
        external_id="编号",
        reported_at="上报时间",
        title=("标题",),
        description="描述",
        category="分类",
        department="责任部门",
        status="状态",
        closed_at="办结时间",
        due_at="办理期限",
        reply="答复",
        replied_at="答复时间",
        lat="纬度",
        lon="经度",
        address="地址",
        satisfaction="满意度",
    ),
}


@dataclass
class RowProblem:
    row: int
    reason: str
    column: str = ""


@dataclass
class ImportResult:
    batch_id: int
    rows_total: int = 0
    inserted: int = 0
    duplicates: int = 0
    rejected: int = 0
    problems: list[RowProblem] = field(default_factory=list)


class _Dates:
    """Parses timestamps, remembering the format that worked (files use one format per column)."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz
        self.fmt: str | None = None

    def __call__(self, text: str) -> datetime:
        text = text.strip()
        if self.fmt is not None:
            try:
                return self._aware(datetime.strptime(text, self.fmt))
            except ValueError:
                pass
        try:
            return self._aware(datetime.fromisoformat(text))
        except ValueError:
            pass
        for fmt in DATE_FORMATS:
            try:
                value = datetime.strptime(text, fmt)
            except ValueError:
                continue
            self.fmt = fmt
            return self._aware(value)
        raise ValueError(text)

    def _aware(self, value: datetime) -> datetime:
        if value.tzinfo is None:
            value = value.replace(tzinfo=self.tz)
        return value.astimezone(UTC)


def _cell(row: Mapping[str, Any], header: str | None) -> str:
    if header is None:
        return ""
    value = row.get(header)
    return "" if value is None else str(value).strip()


def _parse(
    number: int, row: Mapping[str, Any], m: OrderMapping, dates: dict[str, _Dates], source: str
) -> dict[str, Any] | RowProblem:
    ext = _cell(row, m.external_id)
    if not ext:
        return RowProblem(number, _("缺少编号"), m.external_id)
    title = " ".join(p for p in (_cell(row, h) for h in m.title) if p)[:300]
    if not title:
        return RowProblem(number, _("缺少标题"), "/".join(m.title))
    values: dict[str, Any] = {"code": f"{source}-{ext}"[:40], "title": title}
    for name in ("reported_at", "closed_at", "due_at", "replied_at"):
        text = _cell(row, getattr(m, name))
        if not text:
            values[name] = None
            continue
        try:
            values[name] = dates[name](text)
        except ValueError:
            return RowProblem(number, _("无法识别的时间") + f": {text}", getattr(m, name))
    if values["reported_at"] is None:
        return RowProblem(number, _("缺少上报时间"), m.reported_at)
    for later in ("closed_at", "replied_at"):
        if values[later] is not None and values[later] < values["reported_at"]:
            return RowProblem(number, _("时间早于上报时间"), getattr(m, later))
    lat_text, lon_text = _cell(row, m.lat), _cell(row, m.lon)
    values["lat"] = values["lon"] = None
    if lat_text or lon_text:
        try:
            lat, lon = float(lat_text), float(lon_text)
        except ValueError:
            return RowProblem(number, _("坐标不是数字"), m.lat or "")
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            return RowProblem(number, _("坐标超出范围"), m.lat or "")
        values["lat"], values["lon"] = lat, lon
    status_text = _cell(row, m.status)
    if status_text:
        status = STATUS_ALIASES.get(status_text.lower())
        if status is None:
            return RowProblem(number, _("无法识别的状态") + f": {status_text}", m.status or "")
    else:
        status = (
            State.CLOSED
            if values["closed_at"]
            else (State.REPLIED if values["replied_at"] else State.DISPATCHED)
        )
    if status in (State.CLOSED,) and values["closed_at"] is None:
        values["closed_at"] = values["replied_at"] or values["reported_at"]
    satisfaction = _cell(row, m.satisfaction) or None
    if satisfaction is not None and satisfaction not in SATISFACTION:
        return RowProblem(number, _("满意度只能是满意、基本满意或不满意"), m.satisfaction or "")
    likes_text = _cell(row, m.likes)
    try:
        likes = int(float(likes_text)) if likes_text else 0
    except ValueError:
        return RowProblem(number, _("点赞数不是数字"), m.likes or "")
    values.update(
        status=status.value,
        description=_cell(row, m.description)[:5000],
        category=_cell(row, m.category)[:100] or None,
        department=_cell(row, m.department)[:100] or None,
        reply=_cell(row, m.reply) or None,
        address=_cell(row, m.address)[:300] or None,
        satisfaction=satisfaction,
        likes=likes,
    )
    return values


def import_orders(
    session: Session,
    *,
    rows: Iterable[tuple[int, Mapping[str, Any]]],
    mapping: OrderMapping,
    source: str,
    filename: str = "",
    default_node_id: int | None = None,
    by: int | None = None,
    chunk_size: int = 20_000,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import historic orders; returns counts and the per-row problems (also kept on the batch)."""
    if not source.replace("_", "").isalnum():
        raise Invalid(_("来源名称只能包含字母、数字和下划线"))
    tz = ZoneInfo(mapping.tz)
    dates = {name: _Dates(tz) for name in ("reported_at", "closed_at", "due_at", "replied_at")}
    batch = ImportBatch(kind="workorders", filename=filename or source, created_by=by)
    session.add(batch)
    session.flush()
    result = ImportResult(batch_id=batch.id)
    index = org.grid_index(session)
    digest = hashlib.sha256()
    seen: dict[str, int] = {}
    # Ids of this batch's orders are all above the largest id before it (one transaction).
    after_id = session.scalar(select(func.max(WorkOrder.id))) or 0
    table = cast(Table, WorkOrder.__table__)
    now = utcnow()
    chunk: list[tuple[int, dict[str, Any]]] = []
    connection = session.connection()
    dialect = connection.dialect
    constant_values = _constants(now, batch.id)
    columns = [*VARYING, *constant_values]
    convert = {c: _converter(table, c, dialect) for c in columns}
    constants = tuple(
        conv(value) if (conv := convert[c]) is not None and value is not None else value
        for c, value in constant_values.items()
    )
    varying = [(c, convert[c]) for c in VARYING]
    writer = BulkWriter(connection)

    def flush_chunk() -> None:
        if not chunk:
            return
        codes = [v["code"] for _n, v in chunk]
        writer.wait()  # the writer thread and this query share the connection
        existing = set(session.scalars(select(WorkOrder.code).where(WorkOrder.code.in_(codes))))
        located = [(n, v) for n, v in chunk if v["lat"] is not None]
        if located:
            grids = index.assign(
                np.array([v["lon"] for _n, v in located]), np.array([v["lat"] for _n, v in located])
            )
            for (_n, v), grid in zip(located, grids, strict=True):
                v["node_id"] = int(grid) if grid >= 0 else None
        good: list[tuple[Any, ...]] = []
        for number, v in chunk:
            if v["code"] in existing:
                result.duplicates += 1
                result.problems.append(
                    RowProblem(number, _("工单已存在（重复导入）"), mapping.external_id)
                )
                continue
            if v["lat"] is not None and v.get("node_id") is None:
                result.rejected += 1
                result.problems.append(
                    RowProblem(number, _("位置不在辖区范围内"), mapping.lat or "")
                )
                continue
            if v["lat"] is None:
                if default_node_id is None:
                    result.rejected += 1
                    result.problems.append(RowProblem(number, _("缺少位置，且未指定默认网格")))
                    continue
                v["node_id"] = default_node_id
            values = _varying(v)
            good.append(
                (
                    *(
                        conv(values[c]) if conv and values[c] is not None else values[c]
                        for c, conv in varying
                    ),
                    *constants,
                )
            )
        if good:
            writer.insert(table, columns, good)
            result.inserted += len(good)
        if progress:
            progress(len(chunk))
        chunk.clear()

    def _read(source_rows: Iterable[tuple[int, Mapping[str, Any]]]) -> None:
        for number, row in source_rows:
            result.rows_total += 1
            parsed = _parse(number, row, mapping, dates, source)
            if isinstance(parsed, RowProblem):
                result.rejected += 1
                result.problems.append(parsed)
                if progress:
                    progress(1)
                continue
            if parsed["code"] in seen:
                result.duplicates += 1
                result.problems.append(
                    RowProblem(
                        number,
                        _("与第{row}行重复").format(row=seen[parsed["code"]]),
                        mapping.external_id,
                    )
                )
                if progress:
                    progress(1)
                continue
            seen[parsed["code"]] = number
            digest.update(parsed["code"].encode() + b"\n")
            chunk.append((number, parsed))
            if len(chunk) >= chunk_size:
                flush_chunk()

    try:
        _read(rows)
        flush_chunk()
        writer.close()
    except BaseException:
        writer.abort()
        raise
    session.flush()
    batch.rows_total = result.rows_total
    batch.rows_inserted = result.inserted
    batch.rows_rejected = result.rejected + result.duplicates
    batch.report = [{"row": p.row, "column": p.column, "reason": p.reason} for p in result.problems]
    ledger.record(
        session,
        event_type=EventType.REGISTRY_IMPORTED,
        subject_type="import_batch",
        subject_id=batch.id,
        payload={
            "kind": "workorders",
            "source": source,
            "rows": result.inserted,
            "codes_sha256": digest.hexdigest(),
            "after_id": after_id,
        },
        actor_id=by,
    )
    session.flush()
    return result


def _converter(table: Table, column: str, dialect: Dialect) -> Callable[[Any], Any] | None:
    """The driver value for a column: a fast path for UTC datetimes on SQLite (the same text
    SQLAlchemy writes, so comparisons in queries stay exact), the column type's own otherwise."""
    col_type = table.c[column].type
    if dialect.name == "sqlite" and isinstance(col_type, UTCDateTime):
        return lambda v: v.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    processor = col_type.dialect_impl(dialect).bind_processor(dialect)
    return cast(Callable[[Any], Any] | None, processor)


VARYING = (
    "code",
    "title",
    "description",
    "category",
    "department",
    "status",
    "node_id",
    "lat",
    "lon",
    "address",
    "reported_at",
    "replied_at",
    "closed_at",
    "due_at",
    "reply",
    "satisfaction",
    "likes",
    "dispatched_at",
)


def _constants(now: datetime, batch_id: int) -> dict[str, Any]:
    """Columns that are the same for every row of a batch."""
    return {
        "channel": Channel.IMPORT.value,
        "triage": "government",
        "priority": 2,
        "reporter_person_id": None,
        "reporter_name": None,
        "reporter_phone_enc": None,
        "accepted_at": None,
        "returns_count": 0,
        "reassign_count": 0,
        "reopen_count": 0,
        "resolved_in_grid": False,
        "extra": {"import_batch": batch_id},
        "version": 1,
        "created_at": now,
        "updated_at": now,
        "paused_hours": 0.0,
        "escalation_level": 0,
        "is_dispute": False,
        "is_repeat": False,
    }


def _varying(v: dict[str, Any]) -> dict[str, Any]:
    """Columns that come from the row (``dispatched_at``: historic orders count as dispatched
    when reported)."""
    row = {c: v[c] for c in VARYING if c != "dispatched_at"}
    row["dispatched_at"] = v["reported_at"]
    return row
