"""The ledger's tables as the service and the auditor read them: the head and its sequencer lock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from civicgrid.errors import CivicgridError
from civicgrid.kit.i18n import _
from civicgrid.ledger.merkle import HASH_SIZE
from civicgrid.ledger.signing import SignedTreeHead
from civicgrid.models.ledger import LedgerEntry, LedgerEvent, LedgerHead, LedgerSth

HEAD_ID = 1
HEAD = cast(Table, LedgerHead.__table__)
ENTRY = cast(Table, LedgerEntry.__table__)
EVENT = cast(Table, LedgerEvent.__table__)
STH = cast(Table, LedgerSth.__table__)


class LedgerIntegrityError(CivicgridError):
    """The stored log contradicts itself (rows edited behind the service's back)."""

    status_code = 500
    code = "ledger_integrity"


@dataclass(frozen=True)
class Head:
    tree_size: int
    root_hash: bytes
    frontier: list[bytes]


def split_hashes(blob: bytes) -> list[bytes]:
    return [blob[i : i + HASH_SIZE] for i in range(0, len(blob), HASH_SIZE)]


def _head_from_row(row: Any) -> Head:
    if row is None:
        raise LedgerIntegrityError(_("账本头记录缺失"))
    return Head(int(row.tree_size), bytes(row.root_hash), split_hashes(bytes(row.frontier)))


_HEAD_COLUMNS = select(HEAD.c.tree_size, HEAD.c.root_hash, HEAD.c.frontier).where(
    HEAD.c.id == HEAD_ID
)


def get_head(session: Session) -> Head:
    """The current head, without taking the sequencer lock."""
    return _head_from_row(session.execute(_HEAD_COLUMNS).one_or_none())


_LOCK_HEAD = {
    # SQLite: a write takes the single write lock before the head is read (one statement), so the
    # row returned is the newest head and no other writer can move it until this transaction ends.
    "sqlite": update(HEAD)
    .where(HEAD.c.id == HEAD_ID)
    .values(tree_size=HEAD.c.tree_size)
    .returning(HEAD.c.tree_size, HEAD.c.root_hash, HEAD.c.frontier),
    "other": _HEAD_COLUMNS.with_for_update(),
}


def lock_head(session: Session) -> Head:
    """Take the sequencer lock and read the head under it (held until the transaction ends)."""
    stmt = _LOCK_HEAD[_backend(session)]
    return _head_from_row(session.execute(stmt).one_or_none())


_INSERT_ENTRY = "INSERT INTO ledger_entry (leaf_index, leaf, leaf_hash, nodes) VALUES "
_INSERT_EVENT = (
    "INSERT INTO ledger_event (leaf_index, event_type, subject_type, subject_id, actor_id,"
    " payload, salt, recorded_at) VALUES "
)
_SQL = {
    ("entry", "sqlite"): _INSERT_ENTRY + "(?, ?, ?, ?)",
    ("entry", "other"): _INSERT_ENTRY + "(%s, %s, %s, %s)",
    ("event", "sqlite"): _INSERT_EVENT + "(?, ?, ?, ?, ?, ?, ?, ?)",
    ("event", "other"): _INSERT_EVENT + "(%s, %s, %s, %s, %s, CAST(%s AS JSON), %s, %s)",
}
EventRow = tuple[int, int, str, str, int | None, str, bytes]


def _backend(session: Session) -> str:
    return "sqlite" if session.get_bind().dialect.name == "sqlite" else "other"


def insert_entries(session: Session, rows: list[tuple[int, bytes, bytes, bytes]]) -> None:
    """One executemany straight to the driver: the hot path of every append."""
    session.connection().exec_driver_sql(_SQL["entry", _backend(session)], rows)


def insert_events(session: Session, rows: list[EventRow], recorded_at: datetime) -> None:
    """Event records (payload as JSON text), the same way; the time as the model stores it."""
    backend = _backend(session)
    at: datetime | str = recorded_at
    if backend == "sqlite":  # UTCDateTime keeps naive UTC text on SQLite
        at = recorded_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    session.connection().exec_driver_sql(_SQL["event", backend], [(*r, at) for r in rows])


def sth_from_row(row: Any) -> SignedTreeHead:
    return SignedTreeHead(
        tree_size=int(row.tree_size),
        timestamp=int(row.timestamp),
        root_hash=bytes(row.root_hash),
        log_id=bytes(row.log_id),
        signature=bytes(row.signature),
    )


def stored_sth(session: Session, tree_size: int) -> SignedTreeHead | None:
    row = session.execute(select(STH).where(STH.c.tree_size == tree_size)).one_or_none()
    return sth_from_row(row) if row is not None else None


def stored_sths(session: Session) -> list[SignedTreeHead]:
    return [sth_from_row(r) for r in session.execute(select(STH).order_by(STH.c.tree_size))]


def latest_sth(session: Session) -> SignedTreeHead | None:
    row = session.execute(select(STH).order_by(STH.c.tree_size.desc()).limit(1)).one_or_none()
    return sth_from_row(row) if row is not None else None
