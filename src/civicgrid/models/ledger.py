"""上链存证 — the tamper-evident ledger: log head, leaves, event records, signed tree heads.

- ``ledger_head``: the single sequencer row (id 1). Appenders lock it, so the log never forks; it
  holds the tree size, the root and the frontier (compact range) that makes appends O(log n).
- ``ledger_entry``: one row per leaf, append-only. ``leaf`` is the canonical JSON the leaf hash
  covers; ``nodes`` holds the hashes of the perfect subtrees this leaf completes (heights 1, 2,
  ...), so any proof needs only O(log n) row reads.
- ``ledger_event``: the erasable event record a leaf commits to by a salted hash. Erasing a
  person's data (PIPL) clears ``payload`` and ``salt``; the leaf and every proof stay valid.
- ``ledger_sth``: every signed tree head the log has issued, checked again by ``ledger verify``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civicgrid.kit.classification import DataLevel, level_info
from civicgrid.kit.timeutil import utcnow
from civicgrid.models.base import Base

# INTEGER PRIMARY KEY on SQLite is the rowid itself (compact and fast); BIGINT elsewhere.
LeafIndex = BigInteger().with_variant(Integer(), "sqlite")


class LedgerHead(Base):
    __tablename__ = "ledger_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    tree_size: Mapped[int] = mapped_column(BigInteger, default=0)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    frontier: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LedgerEntry(Base):
    __tablename__ = "ledger_entry"

    leaf_index: Mapped[int] = mapped_column(LeafIndex, primary_key=True, autoincrement=False)
    leaf: Mapped[bytes] = mapped_column(LargeBinary)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    nodes: Mapped[bytes] = mapped_column(LargeBinary, default=b"")

    event: Mapped[LedgerEvent | None] = relationship(
        back_populates="entry", uselist=False, viewonly=True
    )


class LedgerEvent(Base):
    __tablename__ = "ledger_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    leaf_index: Mapped[int] = mapped_column(
        LeafIndex, ForeignKey("ledger_entry.leaf_index"), unique=True
    )
    event_type: Mapped[int] = mapped_column(Integer)
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(64))
    actor_id: Mapped[int | None] = mapped_column(default=None)
    payload: Mapped[dict[str, Any] | None] = mapped_column(
        JSON(none_as_null=True), default=None, info=level_info(DataLevel.SENSITIVE)
    )
    salt: Mapped[bytes | None] = mapped_column(LargeBinary(16), default=None)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    erased_at: Mapped[datetime | None] = mapped_column(default=None)

    entry: Mapped[LedgerEntry] = relationship(back_populates="event", viewonly=True)

    __table_args__ = (
        Index("ix_ledger_event_subject", "subject_type", "subject_id"),
        Index("ix_ledger_event_event_type", "event_type"),
    )


class LedgerSth(Base):
    __tablename__ = "ledger_sth"

    tree_size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    timestamp: Mapped[int] = mapped_column(BigInteger)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    log_id: Mapped[bytes] = mapped_column(LargeBinary(32))
    signature: Mapped[bytes] = mapped_column(LargeBinary(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
