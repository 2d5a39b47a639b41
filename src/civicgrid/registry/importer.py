"""批量导入 — the streaming import pipeline shared by people, entities and places.

One import is one SAVEPOINT: every good row lands, every bad row is reported with its row number
and reason, and an unexpected error (a crash, a lost connection, a bug) rolls the whole import back
— nothing half-imported is ever left, whatever the caller does with its transaction afterwards.

Rows stream from the file in chunks; a kind-specific handler validates a chunk column by column,
places rows on grids (vectorised), de-duplicates within the file and against the database, and
hands ready rows to the ``BulkWriter``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, Protocol

from sqlalchemy import Connection, select, update
from sqlalchemy.orm import Session

from civicgrid.kit.bulk import BulkWriter, enlarge_cache, gc_paused, restore_cache
from civicgrid.kit.i18n import _
from civicgrid.kit.tabular import Table
from civicgrid.kit.timeutil import utcnow
from civicgrid.models.org import OrgNode
from civicgrid.models.registry import ImportBatch
from civicgrid.registry.ciphers import BulkCipher, CryptoPool
from civicgrid.registry.locate import Located, Territory
from civicgrid.registry.mapping import ColumnMapping
from civicgrid.registry.report import MAX_STORED, Issue, IssueLog, Level
from civicgrid.registry.rules import RuleError, cell_text, check_length

CHUNK_ROWS = 20_000
ProgressFn = Callable[[int, int | None], None]  # (rows done, estimated total)


@dataclass
class ImportOptions:
    scope: OrgNode | None = None  # rows must land in this subtree; rows without location hang here
    dry_run: bool = False  # validate and report, then roll everything back
    chunk_rows: int = CHUNK_ROWS
    # Write from a background thread, overlapping the next chunk's validation (None: automatic).
    # Off for SQLite: sqlite3 takes the GIL back after every row it steps, and with the main
    # thread busy those million hand-offs cost more CPU than the overlap saves (measured).
    threaded: bool | None = None
    # SQLite: a load of at least this many rows into an empty table builds its indexes at the end
    bulk_load_rows: int = 50_000
    # From this many rows, encryption and blind indexes run in a separate process (None: never)
    crypto_process_rows: int | None = 50_000
    progress: ProgressFn | None = None  # called after each chunk
    created_by: int | None = None


@dataclass
class ImportResult:
    kind: str
    filename: str
    encoding: str | None
    batch_id: int | None
    rows_total: int = 0
    rows_inserted: int = 0
    rows_updated: int = 0
    rows_unchanged: int = 0
    rows_rejected: int = 0
    rows_warned: int = 0
    issues: list[Issue] = field(default_factory=list)
    issues_dropped: int = 0
    mapping: dict[str, str] = field(default_factory=dict)
    unused_columns: list[str] = field(default_factory=list)
    seconds: float = 0.0
    dry_run: bool = False

    @property
    def rows_per_second(self) -> float:
        return self.rows_total / self.seconds if self.seconds > 0 else 0.0

    @property
    def rejected_rows(self) -> list[int]:
        return sorted({i.row for i in self.issues if i.level == Level.ERROR})


class Chunk:
    """A chunk of records with column access by field name and a per-row ok flag."""

    def __init__(
        self, records: list[tuple[int, list[Any]]], mapping: ColumnMapping, *, text_only: bool
    ) -> None:
        self.rows: list[int] = list(map(itemgetter(0), records))
        self.cells: list[list[Any]] = list(map(itemgetter(1), records))
        self.text_only = text_only  # every cell is a str (CSV): cheaper column access
        self.n = len(records)
        self.ok = [True] * self.n
        self._mapping = mapping
        self._texts: dict[str, list[str]] = {}

    def has(self, name: str) -> bool:
        return name in self._mapping.columns

    def raw(self, name: str) -> list[Any] | None:
        pos = self._mapping.columns.get(name)
        if pos is None:
            return None
        return list(map(itemgetter(pos), self.cells))

    def text(self, name: str) -> list[str] | None:
        """Cell texts of a field (stripped; Excel numbers and dates as a person reads them)."""
        if name in self._texts:
            return self._texts[name]
        pos = self._mapping.columns.get(name)
        if pos is None:
            return None
        column = map(itemgetter(pos), self.cells)
        if self.text_only:
            texts = list(map(str.strip, column))
        else:
            texts = [v.strip() if v.__class__ is str else cell_text(v) for v in column]
        self._texts[name] = texts
        return texts

    def good(self) -> list[int]:
        return [k for k in range(self.n) if self.ok[k]]


class Handler(Protocol):
    """Two steps per chunk, pipelined by the importer: ``prepare(k)`` (validation, no database
    access) runs before ``complete(k-1)`` (database work), so slow work of one chunk — the
    crypto process, the writer thread — overlaps the validation of the next."""

    def prepare(self, chunk: Chunk) -> Any: ...

    def complete(self, prepared: Any) -> Chunk: ...

    def finish(self) -> None: ...


@dataclass
class ImportContext:
    """What a handler needs: the connection, writer, cipher, territory, report and counters."""

    session: Session
    connection: Connection
    writer: BulkWriter
    cipher: BulkCipher
    territory: Territory
    mapping: ColumnMapping
    issues: IssueLog
    options: ImportOptions
    batch_id: int
    now: Any
    source: str
    estimated_rows: int | None = None
    crypto: CryptoPool | None = None
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def fail(self, chunk: Chunk, k: int, name: str, text: str, reason: str) -> None:
        chunk.ok[k] = False
        self.issues.add(chunk.rows[k], self.mapping.header_of(name), name, text, reason)

    def warn(self, chunk: Chunk, k: int, name: str, text: str, reason: str) -> None:
        self.issues.add(
            chunk.rows[k], self.mapping.header_of(name), name, text, reason, Level.WARNING
        )

    def apply_located(self, chunk: Chunk, located: Located) -> None:
        for k, name, text, reason in located.errors:
            self.fail(chunk, k, name, text, reason)
        for k, name, text, reason in located.warnings:
            self.warn(chunk, k, name, text, reason)

    def located(self, chunk: Chunk) -> Located:
        from civicgrid.registry.locate import locate_rows

        located = locate_rows(
            self.territory,
            lon=chunk.text("lon"),
            lat=chunk.text("lat"),
            coordinates=chunk.text("coordinates"),
            grid=chunk.text("grid"),
            n=chunk.n,
        )
        self.apply_located(chunk, located)
        return located

    def no_location(self) -> str:
        return _("无法确定所属网格：请填写经纬度或网格（或在导入时指定所属节点）")

    def location_field(self) -> str:
        """The column to blame when a row has no location at all."""
        for name in ("coordinates", "lon", "grid", "household_code"):
            if name in self.mapping.columns:
                return name
        self.mapping.headers.setdefault("location", _("经纬度/网格"))
        return "location"

    def resolve_nodes(self, chunk: Chunk, located: Located) -> dict[int, int]:
        """Grid of each good row: its coordinates or grid column, else the scope node."""
        scope = self.options.scope.id if self.options.scope is not None else None
        nodes: dict[int, int] = {}
        for k in chunk.good():
            node = located.nodes[k] if located.nodes[k] is not None else scope
            if node is None:
                self.fail(chunk, k, self.location_field(), "", self.no_location())
            else:
                nodes[k] = node
        return nodes


HandlerFactory = Callable[[ImportContext], Handler]


def _chunks(records: Iterator[tuple[int, list[Any]]], size: int) -> Iterator[list[Any]]:
    while chunk := list(itertools.islice(records, size)):
        yield chunk


@gc_paused()
def run_import(
    session: Session,
    *,
    kind: str,
    table: Table,
    mapping: ColumnMapping,
    cipher: BulkCipher,
    handler_factory: HandlerFactory,
    options: ImportOptions,
) -> ImportResult:
    """Stream ``table`` through a handler inside one savepoint and record an ImportBatch (the
    cyclic garbage collector paused meanwhile, see ``kit.bulk.gc_paused``)."""
    started = time.perf_counter()
    issues = IssueLog(kind)
    result = ImportResult(
        kind=kind,
        filename=table.filename,
        encoding=table.encoding,
        batch_id=None,
        mapping=dict(mapping.headers),
        unused_columns=list(mapping.unused),
        dry_run=options.dry_run,
    )
    savepoint = session.begin_nested()
    writer: BulkWriter | None = None
    crypto: CryptoPool | None = None
    cache: int | None = None
    try:
        batch = ImportBatch(
            kind=kind,
            filename=table.filename[:300],
            encoding=table.encoding,
            node_id=options.scope.id if options.scope is not None else None,
            mapping=dict(mapping.headers),
            created_by=options.created_by,
        )
        session.add(batch)
        session.flush()
        territory = Territory.load(session, options.scope)
        connection = session.connection()
        cache = enlarge_cache(connection)
        big = options.crypto_process_rows is not None and (table.estimated_rows or 0) >= (
            options.crypto_process_rows
        )
        if big and type(cipher) is BulkCipher and CryptoPool.available():
            crypto = CryptoPool(cipher.cipher)  # before any thread of ours starts
        threaded = options.threaded
        if threaded is None:  # see ImportOptions.threaded
            threaded = connection.dialect.name != "sqlite"
        writer = BulkWriter(connection, threaded=threaded)
        ctx = ImportContext(
            session=session,
            connection=connection,
            writer=writer,
            cipher=cipher,
            territory=territory,
            mapping=mapping,
            issues=issues,
            options=options,
            batch_id=batch.id,
            now=utcnow(),
            source=f"import#{batch.id}",
            estimated_rows=table.estimated_rows,
            crypto=crypto,
        )
        handler = handler_factory(ctx)

        def complete(prepared: Any) -> None:
            done = handler.complete(prepared)
            result.rows_total += done.n
            result.rows_rejected += done.n - sum(done.ok)
            if options.progress is not None:
                options.progress(result.rows_total, table.estimated_rows)

        pending: Any = None
        for records in _chunks(table.records(), options.chunk_rows):
            prepared = handler.prepare(Chunk(records, mapping, text_only=table.format == "csv"))
            if pending is not None:
                complete(pending)
            pending = prepared
        if pending is not None:
            complete(pending)
        handler.finish()
        writer.close()
        result.rows_inserted, result.rows_updated = ctx.inserted, ctx.updated
        result.rows_unchanged = ctx.unchanged
        result.issues = issues.sorted()
        result.issues_dropped = issues.dropped
        result.rows_warned = issues.warnings
        session.execute(
            update(ImportBatch)
            .where(ImportBatch.id == batch.id)
            .values(
                rows_total=result.rows_total,
                rows_inserted=result.rows_inserted,
                rows_updated=result.rows_updated,
                rows_unchanged=result.rows_unchanged,
                rows_rejected=result.rows_rejected,
                report=[i.as_dict() for i in result.issues[:MAX_STORED]],
                updated_at=utcnow(),
            )
        )
        if options.dry_run:
            savepoint.rollback()
        else:
            savepoint.commit()
            result.batch_id = batch.id
    except BaseException:
        if writer is not None:
            writer.abort()
        if savepoint.is_active:
            savepoint.rollback()
        raise
    finally:
        if crypto is not None:
            crypto.close()
        if cache is not None:
            with contextlib.suppress(Exception):  # best effort: never mask the import's error
                restore_cache(session.connection(), cache)
        session.expire_all()
    result.seconds = time.perf_counter() - started
    return result


def limited_texts(ctx: ImportContext, chunk: Chunk, name: str, limit: int, label: str) -> list[str]:
    """The texts of a field ("" when the column is absent); over-long values fail their row."""
    texts = chunk.text(name)
    if texts is None:
        return [""] * chunk.n
    if max(map(len, texts), default=0) <= limit:
        return texts
    for k, text in enumerate(texts):
        if len(text) > limit:
            try:
                check_length(text, limit, label)
            except RuleError as exc:
                ctx.fail(chunk, k, name, text, str(exc))
    return texts


def changed_fields(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """The entries of ``new`` that differ from ``old`` (dates as ISO text, float tolerance)."""
    changed: dict[str, Any] = {}
    for column, value in new.items():
        current = old.get(column)
        if isinstance(current, dt.date):
            current = current.isoformat()
        if column == "tags":
            if sorted(current or []) != sorted(value):
                changed[column] = value
        elif isinstance(current, float) and isinstance(value, float):
            if abs(current - value) > 1e-9:
                changed[column] = value
        elif current != value:
            changed[column] = value
    return changed


def has_any(session: Session, column: Any) -> bool:
    return session.execute(select(column).limit(1)).first() is not None


def in_batches(values: list[Any], size: int = 900) -> Iterator[list[Any]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]
