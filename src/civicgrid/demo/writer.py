"""Bulk writes for the generator: chunked inserts with ids allocated up front.

The generator needs ids before it writes (a person points at its household, a path contains the
ids of its ancestors), so ids are taken from ``max(id) + 1`` of each table and written explicitly.
On PostgreSQL the id sequence is moved past them afterwards (``setval``), so rows created later by
the application get fresh ids.

Rows go through the DBAPI connection of the caller's SQLAlchemy connection (same transaction):
``executemany`` on SQLite, ``COPY … FROM STDIN`` on PostgreSQL. Values are encoded per column the
way SQLAlchemy itself stores them (UTC datetimes as ``YYYY-MM-DD HH:MM:SS.ffffff`` text on SQLite,
JSON as ``json.dumps`` text), which skips SQLAlchemy's per-row bind processing: it made up most of
the build time of the demo city.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from operator import itemgetter
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import JSON, Boolean, Connection, Date, DateTime, Table, func, select, text

from civicgrid.models.base import UTCDateTime

CHUNK = 20_000
SQLITE_DT = "%Y-%m-%d %H:%M:%S.%f"

Advance = Callable[[int], None]


def table_of(model: type[Any]) -> Table:
    """The Core table of an ORM model (typed as a plain ``Table``)."""
    return cast(Table, model.__table__)


def next_id(conn: Connection, table: Table) -> int:
    """The first free id of ``table`` (ids are allocated by the caller from here on)."""
    current = conn.execute(select(func.max(table.c.id))).scalar()
    return int(current or 0) + 1


def datetime_texts(epoch_seconds: NDArray[np.int64], dialect: str) -> list[str]:
    """UTC instants (seconds since the epoch) as the text each backend stores or parses."""
    iso = np.datetime_as_string(epoch_seconds.astype("datetime64[s]"), unit="s")
    suffix = ".000000+00" if dialect == "postgresql" else ".000000"
    return [s.replace("T", " ") + suffix for s in iso.tolist()]


def _encoder(column_type: Any, dialect: str) -> Callable[[Any], Any] | None:
    if isinstance(column_type, UTCDateTime | DateTime):

        def dt(v: Any) -> Any:
            if not isinstance(v, datetime):
                return v
            if v.tzinfo is None:
                raise ValueError("naive datetime given to a UTCDateTime column")
            s = v.astimezone(UTC).strftime(SQLITE_DT)
            return s + "+00" if dialect == "postgresql" else s

        return dt
    if isinstance(column_type, JSON):
        return lambda v: v if v is None or isinstance(v, str) else json.dumps(v)
    if isinstance(column_type, Date):
        return lambda v: v.isoformat() if isinstance(v, date) else v
    if isinstance(column_type, Boolean) and dialect == "sqlite":
        return lambda v: v if v is None else int(v)
    return None


def insert_columns(
    conn: Connection,
    table: Table,
    columns: Mapping[str, Sequence[Any]],
    *,
    advance: Advance | None = None,
    chunk: int = CHUNK,
) -> int:
    """Insert column-oriented data (one sequence per column, equal lengths)."""
    names = list(columns)
    if not names:
        return 0
    n = len(columns[names[0]])
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        _write(conn, table, names, [list(columns[k][start:stop]) for k in names])
        if advance:
            advance(stop - start)
    return n


def insert_rows(
    conn: Connection,
    table: Table,
    rows: Iterable[dict[str, Any]],
    *,
    advance: Advance | None = None,
    chunk: int = CHUNK,
) -> int:
    """Insert dict rows (all with the keys of the first one) in chunks."""
    batch: list[dict[str, Any]] = []
    written = 0
    for row in rows:
        batch.append(row)
        if len(batch) >= chunk:
            written += _write_dicts(conn, table, batch)
            if advance:
                advance(len(batch))
            batch = []
    if batch:
        written += _write_dicts(conn, table, batch)
        if advance:
            advance(len(batch))
    return written


def insert_tuples(
    conn: Connection,
    table: Table,
    names: list[str],
    rows: Iterable[tuple[Any, ...]],
    *,
    advance: Advance | None = None,
    chunk: int = CHUNK,
) -> int:
    """Insert tuple rows whose values follow ``names``."""
    batch: list[tuple[Any, ...]] = []
    written = 0
    for row in rows:
        batch.append(row)
        if len(batch) >= chunk:
            _write(conn, table, names, [list(c) for c in zip(*batch, strict=True)])
            written += len(batch)
            if advance:
                advance(len(batch))
            batch = []
    if batch:
        _write(conn, table, names, [list(c) for c in zip(*batch, strict=True)])
        written += len(batch)
        if advance:
            advance(len(batch))
    return written


def _write_dicts(conn: Connection, table: Table, batch: list[dict[str, Any]]) -> int:
    names = list(batch[0])
    getter = itemgetter(*names)
    values = [getter(r) for r in batch]
    if len(names) == 1:
        values = [(v,) for v in values]
    _write(conn, table, names, [list(c) for c in zip(*values, strict=True)])
    return len(batch)


def _defaults(table: Table, names: list[str], n: int) -> tuple[list[str], list[list[Any]]]:
    """Columns the caller left out but that carry a Python-side default (raw inserts skip them).

    Keeps the generator working when another domain adds a column with ``default=…``.
    """
    extra_names: list[str] = []
    extra_cols: list[list[Any]] = []
    for column in table.columns:
        default = column.default
        if column.name in names or default is None or not hasattr(default, "arg"):
            continue
        if getattr(default, "is_sequence", False) or getattr(default, "is_clause_element", False):
            continue
        value = default.arg(None) if getattr(default, "is_callable", False) else default.arg
        extra_names.append(column.name)
        extra_cols.append([value] * n)
    return extra_names, extra_cols


def _write(conn: Connection, table: Table, names: list[str], cols: list[list[Any]]) -> None:
    dialect = conn.dialect.name
    extra_names, extra_cols = _defaults(table, names, len(cols[0]) if cols else 0)
    names = names + extra_names
    cols = cols + extra_cols
    for i, name in enumerate(names):
        enc = _encoder(table.c[name].type, dialect)
        if enc is not None:
            cols[i] = [enc(v) for v in cols[i]]
    quote = conn.dialect.identifier_preparer.quote
    col_sql = ", ".join(quote(n) for n in names)
    raw: Any = conn.connection.driver_connection
    rows = zip(*cols, strict=True)
    if dialect == "postgresql":
        with (
            raw.cursor() as cur,
            cur.copy(f"COPY {quote(table.name)} ({col_sql}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    if dialect != "sqlite":  # pragma: no cover - the two supported backends are above
        raise NotImplementedError(f"bulk insert on {dialect}")
    marks = ", ".join("?" * len(names))
    cur = raw.cursor()
    try:
        # Identifiers come from the table metadata (quoted), values are bound parameters.
        sql = f"INSERT INTO {quote(table.name)} ({col_sql}) VALUES ({marks})"  # noqa: S608
        cur.executemany(sql, rows)
    finally:
        cur.close()


def fix_sequence(conn: Connection, table: Table) -> None:
    """PostgreSQL: move the id sequence past the explicitly written ids (no-op on SQLite)."""
    if conn.dialect.name != "postgresql":
        return
    # The table name comes from the metadata, never from input.
    sql = f"SELECT setval(pg_get_serial_sequence(:t, 'id'), COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"  # noqa: S608, E501
    conn.execute(text(sql), {"t": table.name})
