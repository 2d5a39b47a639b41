"""历史工单导入 — bulk import of historic orders from CSV/Excel with a column mapping.

Rows are taken a chunk at a time and checked column by column: timestamps are parsed for the whole
chunk at once (``import_dates``), coordinates are located in bulk (vectorised point → grid), codes
are de-duplicated against the file and the database, and the good rows go to the driver's
``executemany`` as final values. Bad rows are reported (row number, column, reason: the first
problem of the row, in the order the checks are listed in ``_Chunk``) and never stop good rows.

The whole import is one transaction (inside a savepoint: an error leaves nothing of it behind).
The batch (file digest, row count, id range) is committed to the ledger as one entry, rather than
one leaf per historic row.

SQLite, large loads: once an import has read as many rows as the table held before it (and at
least ``bulk_load_rows``), the table's secondary indexes are dropped inside the transaction and
built once at the end: one sort per index instead of a million random B-tree inserts. Unique
constraints stay live. The import's connection gets a large page cache meanwhile; durability
settings (WAL, ``synchronous=NORMAL``) are not touched.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice, repeat
from operator import itemgetter
from typing import Any, cast
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection, Dialect, Table, func, select
from sqlalchemy.orm import Session

from civicgrid.errors import Invalid
from civicgrid.kit import tabular
from civicgrid.kit.bulk import (
    BulkWriter,
    enlarge_cache,
    gc_paused,
    rebuild_indexes,
    restore_cache,
    suspend_indexes,
)
from civicgrid.kit.i18n import _
from civicgrid.kit.timeutil import utcnow
from civicgrid.ledger import service as ledger
from civicgrid.ledger.events import EventType
from civicgrid.models.base import UTCDateTime
from civicgrid.models.registry import ImportBatch
from civicgrid.models.workorder import Channel, WorkOrder
from civicgrid.org import service as org
from civicgrid.workorders.import_dates import (
    DATE_FORMATS,
    NAT,
    DateColumn,
    Micros,
    datetimes,
    sqlite_texts,
)
from civicgrid.workorders.states import State

__all__ = ["BUILTIN", "DATE_FORMATS", "ImportResult", "OrderMapping", "RowProblem", "import_orders"]

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
_SATISFACTION_OR_NONE: set[str | None] = {None, *SATISFACTION}


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


DATE_FIELDS = ("reported_at", "closed_at", "due_at", "replied_at")
BULK_LOAD_ROWS = 50_000
Source = Iterable[tuple[int, Mapping[str, Any]]] | tabular.Table
_CLOSED, _REPLIED, _DISPATCHED = State.CLOSED.value, State.REPLIED.value, State.DISPATCHED.value


def _texts(values: list[Any]) -> list[str]:
    """Cells as stripped text, ``""`` for empty ones (``str(cell).strip()`` for non-text)."""
    try:
        return list(map(str.strip, values))  # all text (CSV): one C loop
    except TypeError:
        return ["" if v is None else str(v).strip() for v in values]


def _cut(texts: list[str], limit: int) -> list[str]:
    """Texts cut to the column's length (the same list when none is longer)."""
    if not texts or max(map(len, texts)) <= limit:
        return texts
    return [t[:limit] for t in texts]


def _or_none(texts: list[str]) -> list[str | None]:
    """``None`` for empty texts (the same list when there are none)."""
    return cast(list[str | None], texts) if all(texts) else [t or None for t in texts]


def _chunks(
    source: Source, headers: list[str], size: int
) -> Iterator[tuple[list[int], dict[str, list[Any] | None]]]:
    """``(row numbers, {header: cells})`` per chunk; ``None`` for a header the file lacks."""
    if isinstance(source, tabular.Table):
        keys = tabular.unique_names(source.header)
        position = {key: i for i, key in enumerate(keys)}
        records = source.records()
        while batch := list(islice(records, size)):
            cells = [c for _n, c in batch]
            yield (
                [n for n, _c in batch],
                {
                    h: list(map(itemgetter(position[h]), cells)) if h in position else None
                    for h in headers
                },
            )
        return
    rows = iter(source)
    while pairs := list(islice(rows, size)):
        yield [n for n, _r in pairs], {h: [r.get(h) for _n, r in pairs] for h in headers}


@dataclass
class _Chunk:
    """One chunk's rows as columns, checked.

    ``fail`` maps a row's position to its first problem. Checks, in this order: code present,
    title present, each timestamp parses (reported, closed, due, replied), reported present,
    closed/replied not before reported, coordinates numeric and in range, status known,
    satisfaction known, likes numeric; then, in ``import_orders``: repeated in the file, already
    in the database, located outside every grid, no location and no default node.
    """

    numbers: list[int]
    fail: dict[int, RowProblem] = field(default_factory=dict)
    columns: dict[str, list[Any]] = field(default_factory=dict)
    times: dict[str, Micros] = field(default_factory=dict)
    lat: NDArray[np.float64] = field(default_factory=lambda: np.empty(0))
    lon: NDArray[np.float64] = field(default_factory=lambda: np.empty(0))
    located: list[int] = field(default_factory=list)

    def reject(self, positions: Iterable[int], reason: str, column: str = "") -> None:
        for k in positions:
            if k not in self.fail:
                self.fail[k] = RowProblem(self.numbers[k], reason, column)


def _check(
    numbers: list[int],
    cells: dict[str, list[Any] | None],
    m: OrderMapping,
    source: str,
    dates: dict[str, DateColumn],
) -> _Chunk:
    n = len(numbers)
    chunk = _Chunk(numbers)
    blank = [""] * n

    def texts(header: str | None) -> list[str]:
        """The column's stripped texts; ``blank`` itself when the file has no such column."""
        values = None if header is None else cells.get(header)
        return blank if values is None else _texts(values)

    ext = texts(m.external_id)
    if not all(ext):
        chunk.reject((k for k, e in enumerate(ext) if not e), _("缺少编号"), m.external_id)
    parts = [texts(h) for h in m.title]
    if len(parts) == 1:
        title = _cut(parts[0], 300)
    else:
        title = [" ".join(p for p in ps if p)[:300] for ps in zip(*parts, strict=True)]
    if not all(title):
        chunk.reject((k for k, t in enumerate(title) if not t), _("缺少标题"), "/".join(m.title))
    chunk.columns["code"] = _cut(list(map(f"{source}-".__add__, ext)), 40)
    chunk.columns["title"] = title

    for name in DATE_FIELDS:
        header = getattr(m, name)
        column = texts(header)
        if column is blank:
            chunk.times[name] = np.full(n, NAT, dtype=np.int64)
            continue
        chunk.times[name], bad = dates[name].parse(column)
        for k in bad:
            chunk.reject((k,), _("无法识别的时间") + f": {column[k]}", header)
    times = chunk.times
    reported = times["reported_at"]
    chunk.reject(np.flatnonzero(reported == NAT).tolist(), _("缺少上报时间"), m.reported_at)
    for later in ("closed_at", "replied_at"):
        value = times[later]
        early = (value != NAT) & (reported != NAT) & (value < reported)
        if early.any():
            chunk.reject(np.flatnonzero(early).tolist(), _("时间早于上报时间"), getattr(m, later))

    _check_coordinates(chunk, texts(m.lat), texts(m.lon), m.lat or "")

    has_closed, has_replied = times["closed_at"] != NAT, times["replied_at"] != NAT
    derived = np.where(has_closed, _CLOSED, np.where(has_replied, _REPLIED, _DISPATCHED)).tolist()
    if m.status is None:
        status: list[str | None] = derived
    else:
        given = texts(m.status)
        known = {t: STATUS_ALIASES.get(t.lower()) for t in set(given) if t}
        lookup = {t: s.value for t, s in known.items() if s is not None}
        status = [lookup.get(t) if t else d for t, d in zip(given, derived, strict=True)]
        if len(lookup) < len(known):
            for k, t in enumerate(given):
                if t and known[t] is None:
                    chunk.reject((k,), _("无法识别的状态") + f": {t}", m.status)
    closed = np.array([s == _CLOSED for s in status], dtype=bool)
    if closed.any():  # closed without a closing time: replied, else reported
        fill = np.where(has_replied, times["replied_at"], reported)
        times["closed_at"] = np.where(closed & ~has_closed, fill, times["closed_at"])
    chunk.columns["status"] = status

    satisfaction = _or_none(texts(m.satisfaction))
    if not _SATISFACTION_OR_NONE.issuperset(satisfaction):
        chunk.reject(
            (k for k, s in enumerate(satisfaction) if s is not None and s not in SATISFACTION),
            _("满意度只能是满意、基本满意或不满意"),
            m.satisfaction or "",
        )
    chunk.columns["satisfaction"] = satisfaction
    likes = texts(m.likes)
    chunk.columns["likes"] = [0] * n if likes is blank else _likes(chunk, likes, m.likes or "")
    chunk.columns["description"] = _cut(texts(m.description), 5000)
    chunk.columns["category"] = _or_none(_cut(texts(m.category), 100))
    chunk.columns["department"] = _or_none(_cut(texts(m.department), 100))
    chunk.columns["reply"] = _or_none(texts(m.reply))
    chunk.columns["address"] = _or_none(_cut(texts(m.address), 300))
    return chunk


def _check_coordinates(
    chunk: _Chunk, lat_text: list[str], lon_text: list[str], column: str
) -> None:
    """Rows with a latitude or a longitude need both, as numbers in range."""
    n = len(lat_text)
    chunk.lat, chunk.lon = np.full(n, np.nan), np.full(n, np.nan)
    if all(lat_text) and all(lon_text):
        given = list(range(n))
        lat_given, lon_given = lat_text, lon_text
    else:
        given = [k for k, (a, b) in enumerate(zip(lat_text, lon_text, strict=True)) if a or b]
        lat_given, lon_given = [lat_text[k] for k in given], [lon_text[k] for k in given]
    if not given:
        return
    try:
        lat = np.fromiter(map(float, lat_given), dtype=np.float64, count=len(given))
        lon = np.fromiter(map(float, lon_given), dtype=np.float64, count=len(given))
    except ValueError:
        pairs, parsed = [], []
        for k in given:
            try:
                pairs.append((float(lat_text[k]), float(lon_text[k])))
            except ValueError:
                chunk.reject((k,), _("坐标不是数字"), column)
            else:
                parsed.append(k)
        given = parsed
        if not given:
            return
        values = np.array(pairs, dtype=np.float64)
        lat, lon = values[:, 0], values[:, 1]
    inside = (lat >= -90) & (lat <= 90) & (lon >= -180) & (lon <= 180)  # NaN: outside
    where = np.array(given, dtype=np.intp)
    if not inside.all():
        chunk.reject(where[~inside].tolist(), _("坐标超出范围"), column)
    chunk.lat[where], chunk.lon[where] = lat, lon
    chunk.located = where[inside].tolist()


def _likes(chunk: _Chunk, texts: list[str], column: str) -> list[int]:
    try:
        return [int(float(t)) if t else 0 for t in texts]
    except (ValueError, OverflowError):
        pass
    likes = []
    for k, t in enumerate(texts):
        try:
            likes.append(int(float(t)) if t else 0)
        except (ValueError, OverflowError):  # "abc", "nan", "inf"
            chunk.reject((k,), _("点赞数不是数字"), column)
            likes.append(0)
    return likes


def _first_in_file(
    chunk: _Chunk, ok: list[int], code: list[str], seen: dict[str, int], column: str
) -> list[int]:
    """The rows of ``ok`` whose code no earlier row had (``seen``: code → its first row)."""
    codes = [code[k] for k in ok]
    numbers = chunk.numbers
    if len(set(codes)) == len(codes) and seen.keys().isdisjoint(codes):
        seen.update(zip(codes, [numbers[k] for k in ok], strict=True))
        return ok
    fresh = []
    for k, c in zip(ok, codes, strict=True):
        first = seen.get(c)
        if first is None:
            seen[c] = numbers[k]
            fresh.append(k)
        else:
            chunk.reject((k,), _("与第{row}行重复").format(row=first), column)
    return fresh


def _locate(chunk: _Chunk, index: Any, default_node_id: int | None, column: str) -> list[int]:
    """Each row's node: the grid its point lies in, else the default node (-1 on rejected rows)."""
    n = len(chunk.numbers)
    node = np.full(n, -1, dtype=np.int64)
    unlocated = np.ones(n, dtype=bool)
    if chunk.located:
        where = np.array(chunk.located, dtype=np.intp)
        grids = np.asarray(index.assign(chunk.lon[where], chunk.lat[where]), dtype=np.int64)
        node[where] = grids
        unlocated[where] = False
        if (grids < 0).any():
            chunk.reject(where[grids < 0].tolist(), _("位置不在辖区范围内"), column)
    if default_node_id is None:
        if unlocated.any():
            chunk.reject(np.flatnonzero(unlocated).tolist(), _("缺少位置，且未指定默认网格"))
    else:
        node[unlocated] = default_node_id
    values: list[int] = node.tolist()
    return values


def _rows(
    chunk: _Chunk,
    good: list[int],
    node: list[int],
    time_value: Callable[[Micros], list[Any]],
    constants: tuple[Any, ...],
) -> list[tuple[Any, ...]]:
    """The driver rows of ``good``: the VARYING columns, then the constants."""
    everything = len(good) == len(chunk.numbers)
    pick = np.array(good, dtype=np.intp)

    def take(values: list[Any]) -> list[Any]:
        return values if everything else [values[k] for k in good]

    def when(name: str) -> list[Any]:
        return time_value(chunk.times[name] if everything else chunk.times[name][pick])

    def point(values: NDArray[np.float64]) -> list[float | None]:
        picked = values if everything else values[pick]
        floats: list[float | None] = picked.tolist()
        if np.isnan(picked).any():
            floats = [None if x != x else x for x in floats]
        return floats

    c = chunk.columns
    reported = when("reported_at")
    values = {
        **{name: take(c[name]) for name in c},
        "node_id": take(node),
        "lat": point(chunk.lat),
        "lon": point(chunk.lon),
        "reported_at": reported,
        "replied_at": when("replied_at"),
        "closed_at": when("closed_at"),
        "due_at": when("due_at"),
        "dispatched_at": reported,  # historic orders count as dispatched when reported
    }
    varying = (values[name] for name in VARYING)
    return list(zip(*varying, *(repeat(v) for v in constants), strict=False))  # repeat: endless


def _time_values(table: Table, dialect: Dialect) -> Callable[[Micros], list[Any]]:
    """UTC µs → what the driver gets for a UTC datetime column."""
    if dialect.name == "sqlite":
        return sqlite_texts  # the text UTCDateTime stores: naive UTC, microseconds
    convert = _converter(table, "reported_at", dialect)
    if convert is None:
        return datetimes
    return lambda values: [None if d is None else convert(d) for d in datetimes(values)]


def _headers(m: OrderMapping) -> list[str]:
    names: list[str | None] = [m.external_id, *m.title]
    for name in (*DATE_FIELDS, "description", "category", "department", "status", "reply"):
        names.append(getattr(m, name))
    names += [m.lat, m.lon, m.address, m.satisfaction, m.likes]
    return list(dict.fromkeys(h for h in names if h is not None))


def import_orders(
    session: Session,
    *,
    rows: Source,
    mapping: OrderMapping,
    source: str,
    filename: str = "",
    default_node_id: int | None = None,
    by: int | None = None,
    chunk_size: int = 20_000,
    bulk_load_rows: int = BULK_LOAD_ROWS,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import historic orders; returns counts and the per-row problems (also kept on the batch).

    ``rows``: ``(row number, {header: cell})`` pairs, or an open ``kit.tabular.Table`` (read
    column-wise straight from its records: faster). On any error nothing of the import remains.
    """
    if not source.replace("_", "").isalnum():
        raise Invalid(_("来源名称只能包含字母、数字和下划线"))
    savepoint = session.begin_nested()
    connection = session.connection()
    cache = enlarge_cache(connection)
    try:
        with gc_paused():
            result = _import(
                session,
                connection,
                rows=rows,
                mapping=mapping,
                source=source,
                filename=filename,
                default_node_id=default_node_id,
                by=by,
                chunk_size=chunk_size,
                bulk_load_rows=bulk_load_rows,
                progress=progress,
            )
    except BaseException:
        savepoint.rollback()
        raise
    else:
        savepoint.commit()
    finally:
        restore_cache(connection, cache)
    return result


def _import(
    session: Session,
    connection: Connection,
    *,
    rows: Source,
    mapping: OrderMapping,
    source: str,
    filename: str,
    default_node_id: int | None,
    by: int | None,
    chunk_size: int,
    bulk_load_rows: int,
    progress: Callable[[int], None] | None,
) -> ImportResult:
    tz = ZoneInfo(mapping.tz)
    dates = {name: DateColumn(tz) for name in DATE_FIELDS}
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
    dialect = connection.dialect
    sqlite = dialect.name == "sqlite"
    # A SQLite connection steps rows with the GIL handed back and forth per row: synchronous
    # writes cost less CPU than overlapping them with the next chunk (see registry.importer).
    writer = BulkWriter(connection, threaded=not sqlite)
    driver_values = {
        c: conv(value) if (conv := _converter(table, c, dialect)) and value is not None else value
        for c, value in _constants(utcnow(), batch.id).items()
    }
    # Columns equal in every row go into the statement as literals where they can (no binding
    # per row); the rest are bound like the varying ones.
    literals = {c: v for c, v in driver_values.items() if writer.literal(v) is not None}
    bound = {c: v for c, v in driver_values.items() if c not in literals}
    columns = [*VARYING, *bound]
    constants = tuple(bound.values())
    time_value = _time_values(table, dialect)
    # SQLite: the import's transaction holds the write lock since the batch row above, so an
    # empty table stays empty of other writers' orders; only a non-empty one needs look-ups.
    look_up = not (sqlite and after_id == 0)
    lookup_sql = f"SELECT code FROM {dialect.identifier_preparer.quote(table.name)}"  # noqa: S608
    rebuild: list[str] | None = None  # DDL of suspended indexes, once suspended
    try:
        for numbers, cells in _chunks(rows, _headers(mapping), chunk_size):
            n = len(numbers)
            result.rows_total += n
            chunk = _check(numbers, cells, mapping, source, dates)
            fail = chunk.fail
            code = chunk.columns["code"]
            ok = [k for k in range(n) if k not in fail] if fail else list(range(n))
            fresh = _first_in_file(chunk, ok, code, seen, mapping.external_id)
            digest.update("".join(code[k] + "\n" for k in fresh).encode())
            duplicates = len(ok) - len(fresh)
            writer.wait()  # the writer thread and these queries share the connection
            if look_up and fresh:
                existing = {
                    r[0] for r in writer.fetch_in(lookup_sql, "code", [code[k] for k in fresh])
                }
                again = [k for k in fresh if code[k] in existing]
                chunk.reject(again, _("工单已存在（重复导入）"), mapping.external_id)
                duplicates += len(again)
            node = _locate(chunk, index, default_node_id, mapping.lat or "")
            good = [k for k in fresh if k not in fail]
            result.problems.extend(fail[k] for k in sorted(fail))
            result.inserted += len(good)
            result.duplicates += duplicates
            result.rejected += n - len(good) - duplicates
            if good:
                if (
                    rebuild is None
                    and sqlite
                    and result.rows_total >= max(bulk_load_rows, after_id)
                ):
                    writer.wait()
                    rebuild = suspend_indexes(connection, table.name, keep_unique=True)
                writer.insert(
                    table, columns, _rows(chunk, good, node, time_value, constants), literals
                )
            if progress:
                progress(n)
        writer.close()
    except BaseException:
        writer.abort()
        raise
    if rebuild:
        rebuild_indexes(connection, rebuild)
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
