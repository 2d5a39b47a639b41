"""Ways to tamper with a stored log behind the service's back (what `ledger verify` must catch)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.orm import Session

from civicgrid.ledger import merkle
from civicgrid.ledger.store import ENTRY, HEAD, HEAD_ID

Conn = Session | Connection
SHIFT = 1_000_000_000


def _row(conn: Conn, index: int) -> dict[str, Any]:
    row = conn.execute(select(ENTRY).where(ENTRY.c.leaf_index == index)).one()
    return {
        k: (bytes(v) if isinstance(v, bytes | memoryview) else v) for k, v in row._mapping.items()
    }


def _set(conn: Conn, index: int, **values: Any) -> None:
    conn.execute(update(ENTRY).where(ENTRY.c.leaf_index == index).values(**values))


def flip_byte(conn: Conn, index: int, column: str, position: int) -> None:
    data = bytearray(_row(conn, index)[column])
    data[position % len(data)] ^= 0x01
    _set(conn, index, **{column: bytes(data)})


def _shift(conn: Conn, start: int, by: int) -> None:
    """Move rows at positions >= start by ``by`` (in two steps: the key must stay unique)."""
    conn.execute(
        update(ENTRY)
        .where(ENTRY.c.leaf_index >= start)
        .values(leaf_index=ENTRY.c.leaf_index + SHIFT)
    )
    conn.execute(
        update(ENTRY)
        .where(ENTRY.c.leaf_index >= SHIFT)
        .values(leaf_index=ENTRY.c.leaf_index - SHIFT + by)
    )


def drop(conn: Conn, index: int, *, renumber: bool = False) -> None:
    conn.execute(delete(ENTRY).where(ENTRY.c.leaf_index == index))
    if renumber:
        _shift(conn, index + 1, -1)


def swap(conn: Conn, i: int, j: int) -> None:
    a, b = _row(conn, i), _row(conn, j)
    cols = ("leaf", "leaf_hash", "nodes")
    _set(conn, i, **{c: b[c] for c in cols})
    _set(conn, j, **{c: a[c] for c in cols})


def insert_copy(conn: Conn, at: int, of: int) -> None:
    """Insert a copy of row ``of`` at position ``at``, shifting the rows from ``at`` up."""
    copy = _row(conn, of)
    _shift(conn, at, 1)
    conn.execute(insert(ENTRY).values({**copy, "leaf_index": at}))


def append_extra(conn: Conn, size: int, leaf: bytes) -> None:
    """A well-formed row past the head (inserted without going through the sequencer)."""
    conn.execute(
        insert(ENTRY).values(
            leaf_index=size, leaf=leaf, leaf_hash=merkle.leaf_hash(leaf), nodes=b""
        )
    )


def rewrite_leaf(conn: Conn, index: int, leaf: bytes) -> None:
    """Replace a leaf and its leaf hash consistently (but not the subtree hashes above it)."""
    _set(conn, index, leaf=leaf, leaf_hash=merkle.leaf_hash(leaf))


def rebuild_tree(conn: Conn) -> None:
    """Recompute every stored subtree hash and the head from the stored leaves, as someone with
    write access and patience would after rewriting history: only signed heads still tell."""
    rows = conn.execute(select(ENTRY.c.leaf_index, ENTRY.c.leaf).order_by(ENTRY.c.leaf_index)).all()
    frontier: list[bytes] = []
    for position, (index, leaf) in enumerate(rows):
        digest = merkle.leaf_hash(bytes(leaf))
        nodes = merkle.frontier_append(frontier, position, digest)
        _set(conn, index, leaf_hash=digest, nodes=b"".join(nodes))
    conn.execute(
        update(HEAD)
        .where(HEAD.c.id == HEAD_ID)
        .values(
            tree_size=len(rows),
            root_hash=merkle.frontier_root(frontier),
            frontier=b"".join(frontier),
        )
    )
