"""批量写入 — the fast path of bulk imports: executemany writes, driver-level look-ups, indexes.

``BulkWriter`` sends rows to the driver's ``executemany`` through the session's own connection
(so the import stays one transaction), from one background thread: while the database inserts
chunk *k* (SQLite and psycopg release the GIL while they work), the caller validates and encrypts
chunk *k+1*. The caller must call ``wait()`` before it touches the connection itself; that is the
only rule, and ``wait()`` re-raises any error the writer met.
"""

from __future__ import annotations

import gc
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Table

Row = tuple[Any, ...]


def suspend_indexes(connection: Connection, table: str, *, keep_unique: bool = False) -> list[str]:
    """SQLite: drop ``table``'s named indexes inside the current transaction and return the DDL
    that rebuilds them. Building an index once over sorted keys is much cheaper than keeping it up
    to date through a million random inserts; a failed import rolls the drop back with the rest.

    Constraint indexes (``UNIQUE`` / primary key in the table definition) always stay. With
    ``keep_unique``, named ``CREATE UNIQUE INDEX`` ones stay too (for imports that look rows up
    by that key while they load, or that rely on it to refuse duplicates).
    """
    if connection.dialect.name != "sqlite":
        return []
    rows = connection.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
        "AND sql IS NOT NULL ORDER BY name",
        (table,),
    ).all()
    if keep_unique:
        rows = [r for r in rows if not r[1].lstrip().upper().startswith("CREATE UNIQUE")]
    quote = connection.dialect.identifier_preparer.quote
    for name, _sql in rows:
        connection.exec_driver_sql(f"DROP INDEX {quote(name)}")
    return [sql for _name, sql in rows]


IMPORT_CACHE_KIB = 256 * 1024


def enlarge_cache(connection: Connection) -> int | None:
    """SQLite: a 256 MB page cache for this connection while an import runs (B-tree inserts and
    look-ups stay in memory); returns the previous setting for ``restore_cache``."""
    if connection.dialect.name != "sqlite":
        return None
    previous = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
    return int(previous) if previous is not None else None


def restore_cache(connection: Connection, previous: int | None) -> None:
    if previous is not None:
        connection.exec_driver_sql(f"PRAGMA cache_size = {int(previous)}")


def rebuild_indexes(connection: Connection, ddl: list[str]) -> None:
    for statement in ddl:
        connection.exec_driver_sql(statement)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while rows stream through.

    A bulk import allocates millions of short-lived lists and tuples while large containers (the
    de-duplication maps, the chunk in flight) stay alive, so the collector's generation scans
    cost a large share of the CPU. Imports create no reference cycles; reference counting frees
    their rows.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def json_text(value: Any) -> str:
    """JSON as SQLAlchemy's JSON type stores it (both backends accept the text)."""
    return json.dumps(value)


@lru_cache(maxsize=1024)
def json_tags(tags: tuple[str, ...]) -> str:
    """``json_text`` for tag tuples, cached: a file has only a handful of distinct tag sets."""
    return json.dumps(list(tags))


class BulkWriter:
    """Ordered executemany batches on one connection, optionally from a background thread."""

    def __init__(self, connection: Connection, *, threaded: bool = True) -> None:
        self.connection = connection
        dialect = connection.dialect
        self._mark = "?" if dialect.paramstyle == "qmark" else "%s"
        self._quote = dialect.identifier_preparer.quote
        self._pool = ThreadPoolExecutor(1, "bulk-writer") if threaded else None
        self._pending: list[Future[None]] = []
        if self._pool is not None and not self._pool.submit(self._usable_here).result():
            self._shutdown()  # a SQLite connection bound to its thread: write synchronously
        self._sql: dict[tuple[str, str, tuple[str, ...]], str] = {}
        self.rows_written = 0
        self._failed = False

    def _usable_here(self) -> bool:
        """Whether the connection may be used from the writer thread (SQLite connections opened
        without ``check_same_thread=False`` refuse; ``make_engine`` opens them that way)."""
        try:
            self.connection.exec_driver_sql("SELECT 1").all()
        except Exception as exc:
            if "thread" in str(exc).lower():
                return False
            raise
        return True

    def bind_value(self, table: Table, column: str, value: Any) -> Any:
        """A constant converted once by the column type (e.g. a UTC datetime for SQLite)."""
        dialect = self.connection.dialect
        processor = table.c[column].type.dialect_impl(dialect).bind_processor(dialect)
        return processor(value) if processor else value

    def insert_sql(
        self, table: Table, columns: Sequence[str], literals: Mapping[str, Any] | None = None
    ) -> str:
        """``INSERT`` binding ``columns``; ``literals`` (column → driver value, see ``literal``)
        are written into the statement instead: a constant of every row costs nothing per row."""
        fixed = tuple((literals or {}).items())
        key = ("insert", table.name, (*columns, *(f"{c}={v!r}" for c, v in fixed)))
        sql = self._sql.get(key)
        if sql is None:
            names = ", ".join(self._quote(c) for c in (*columns, *(c for c, _v in fixed)))
            values = [self._mark] * len(columns)
            for column, value in fixed:
                text = self.literal(value)
                if text is None:
                    raise TypeError(f"no literal for {column}={value!r}: bind it")
                values.append(text)
            # Identifiers come from the table metadata and are quoted; values are bound, or
            # literals rendered by ``literal`` (numbers, NULL, escaped strings).
            sql = (
                f"INSERT INTO {self._quote(table.name)} ({names}) "  # noqa: S608
                f"VALUES ({', '.join(values)})"
            )
            self._sql[key] = sql
        return sql

    def literal(self, value: Any) -> str | None:
        """``value`` (a driver value) as an SQL literal, or None when it has to be bound:
        NULL, booleans, integers, finite floats and strings without NUL or backslash (whose
        meaning in a literal depends on server settings)."""
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, int):
            return str(int(value))
        if isinstance(value, float):
            return repr(float(value)) if math.isfinite(value) else None
        if isinstance(value, str) and "\x00" not in value and "\\" not in value:
            text = "'" + value.replace("'", "''") + "'"
            # psycopg reads % in the statement as a placeholder: escape it.
            return text.replace("%", "%%") if self._mark == "%s" else text
        return None

    def update_sql(self, table: Table, columns: Sequence[str], key_column: str = "id") -> str:
        key = ("update", table.name, (*columns, key_column))
        sql = self._sql.get(key)
        if sql is None:
            sets = ", ".join(f"{self._quote(c)} = {self._mark}" for c in columns)
            where = f"{self._quote(key_column)} = {self._mark}"
            sql = f"UPDATE {self._quote(table.name)} SET {sets} WHERE {where}"  # noqa: S608
            self._sql[key] = sql
        return sql

    def _run(self, sql: str, rows: list[Row]) -> None:
        if self._failed:
            return  # an earlier batch failed: the import is going to roll back anyway
        try:
            self.connection.exec_driver_sql(sql, rows)
        except BaseException:
            self._failed = True
            raise
        self.rows_written += len(rows)

    def submit(self, sql: str, rows: list[Row]) -> None:
        """Queue an executemany; runs in order after the batches submitted before it."""
        if not rows:
            return
        if self._pool is None:
            self._run(sql, rows)
        else:
            self._pending.append(self._pool.submit(self._run, sql, rows))

    def insert(
        self,
        table: Table,
        columns: Sequence[str],
        rows: list[Row],
        literals: Mapping[str, Any] | None = None,
    ) -> None:
        """Insert ``rows`` (values of ``columns``); ``literals``: columns equal in every row."""
        self.submit(self.insert_sql(table, columns, literals), rows)

    def update(self, table: Table, columns: Sequence[str], rows: list[Row]) -> None:
        """``rows`` are ``(*values, id)``."""
        self.submit(self.update_sql(table, columns), rows)

    def fetch_in(
        self, select_sql: str, column: str, values: Sequence[Any], batch: int = 5000
    ) -> list[Row]:
        """``select_sql WHERE column IN (values)`` as plain tuples, straight from the driver.

        For the per-chunk lookups of bulk imports: no statement compilation per call and no
        Row objects. Runs on the caller's thread, so the writer must be idle (call ``wait()``).
        """
        if self._pending:
            raise RuntimeError("fetch_in while the writer still has queued batches")
        out: list[Row] = []
        cursor = self.connection.connection.cursor()
        try:
            for i in range(0, len(values), batch):
                part = list(values[i : i + batch])
                marks = ", ".join([self._mark] * len(part))
                cursor.execute(f"{select_sql} WHERE {self._quote(column)} IN ({marks})", part)
                out.extend(tuple(r) for r in cursor.fetchall())
        finally:
            cursor.close()
        return out

    def wait(self) -> None:
        """Block until every queued batch has run; re-raise the first error."""
        pending, self._pending = self._pending, []
        error: BaseException | None = None
        for future in pending:
            try:
                future.result()
            except BaseException as exc:
                error = error or exc
        if error is not None:
            raise error

    def close(self) -> None:
        """Wait for the queued batches and stop the thread (raises the writer's error)."""
        try:
            self.wait()
        finally:
            self._shutdown()

    def abort(self) -> None:
        """Stop after an error elsewhere: drop queued batches, never raise."""
        self._failed = True
        for future in self._pending:
            future.cancel()
        self._pending = []
        self._shutdown()

    def _shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
