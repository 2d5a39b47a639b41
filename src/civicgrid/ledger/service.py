"""上链存证 service — append to the log, record events, sign tree heads, serve proofs.

Every write happens inside the caller's transaction (flush, never commit), so a ledger entry and
the change it records commit together or not at all. Appenders take the sequencer lock on the
``ledger_head`` row first (``SELECT ... FOR UPDATE`` on PostgreSQL; the database write lock on
SQLite), so two transactions can never append at the same position: the log cannot fork.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from civicgrid.errors import Invalid, NotFound
from civicgrid.kit.i18n import _
from civicgrid.kit.timeutil import utcnow
from civicgrid.ledger import audit, merkle, records
from civicgrid.ledger.canonical import CanonicalError, encode_unchecked
from civicgrid.ledger.events import EventType, is_known
from civicgrid.ledger.records import EventRecord, RecordError
from civicgrid.ledger.signing import SignedTreeHead, Signer, b64
from civicgrid.ledger.store import (
    ENTRY,
    HEAD,
    HEAD_ID,
    STH,
    Head,
    LedgerIntegrityError,
    get_head,
    insert_entries,
    insert_events,
    latest_sth,
    lock_head,
    stored_sth,
)
from civicgrid.models.ledger import LedgerEntry, LedgerEvent

H = merkle.HASH_SIZE


def now_ms() -> int:
    return int(utcnow().timestamp() * 1000)


def _append(
    session: Session,
    make_leaf: Callable[[int, int], bytes],
    count: int,
    head: Head | None = None,
) -> range:
    """Append ``count`` leaves built by ``make_leaf(i, seq)`` under the sequencer lock (taken
    here, unless the caller already holds it and passes the ``head`` it read under it)."""
    if count == 0:
        return range(0)
    if head is None:
        head = lock_head(session)
    size, frontier = head.tree_size, head.frontier
    sha256, frontier_append = hashlib.sha256, merkle.frontier_append
    rows = []
    try:
        for i in range(count):
            seq = size + i
            leaf = make_leaf(i, seq)
            digest = sha256(b"\x00" + leaf).digest()
            nodes = frontier_append(frontier, seq, digest)
            rows.append((seq, leaf, digest, b"".join(nodes)))
    except CanonicalError as exc:  # a lone surrogate only shows when encoding
        raise Invalid(_("账本条目无效") + f": {exc}") from exc
    insert_entries(session, rows)
    session.execute(
        _MOVE_HEAD,
        {
            "b_size": size + count,
            "b_root": merkle.frontier_root(frontier),
            "b_frontier": b"".join(frontier),
            "b_at": utcnow(),
        },
    )
    return range(size, size + count)


# Built once: it runs on every append.
_MOVE_HEAD = (
    update(HEAD)
    .where(HEAD.c.id == HEAD_ID)
    .values(
        tree_size=bindparam("b_size"),
        root_hash=bindparam("b_root"),
        frontier=bindparam("b_frontier"),
        updated_at=bindparam("b_at"),
    )
)


def append(session: Session, item: Mapping[str, Any]) -> int:
    """Append one leaf document (the log adds its ``seq``); returns its index."""
    return append_many(session, [item])[0]


def append_many(session: Session, items: Sequence[Mapping[str, Any]]) -> range:
    """Append leaf documents in one batch; returns their indices (consecutive)."""
    checked = list(items)
    for item in checked:  # validate everything before taking the lock
        try:
            records.check_leaf_document(item)
        except RecordError as exc:
            raise Invalid(_("账本条目无效") + f": {exc}") from exc

    def make_leaf(i: int, seq: int) -> bytes:
        return encode_unchecked({**checked[i], "seq": seq})

    return _append(session, make_leaf, len(checked))


def _invalid_event(exc: RecordError) -> Invalid:
    return Invalid(_("账本事件无效") + f": {exc}")


def record(
    session: Session,
    *,
    event_type: int,
    subject_type: str,
    subject_id: str | int,
    payload: Mapping[str, Any],
    actor_id: int | None,
) -> LedgerEntry:
    """Record one event: its record (payload + salt) in ``ledger_event``, a salted commitment
    to it in a new leaf. Returns the leaf's entry (``entry.leaf_index`` is its position)."""
    event = EventRecord(event_type, subject_type, subject_id, payload, actor_id)
    index = record_many(session, [event])[0]
    return get_entry_or_raise(session, index)


def record_many(session: Session, events: Sequence[EventRecord]) -> range:
    """Record a batch of events in one append (consecutive leaves, one lock, one transaction);
    returns their leaf indices."""
    return _record_prepared(session, _prepare(events))


def record_at_next_index(session: Session, build: Callable[[int], EventRecord]) -> int:
    """Record one event whose record needs its own leaf index: ``build(index)`` is called under
    the sequencer lock with the index the leaf will have, and returns the event. For a domain
    row that keeps its leaf index and whose id goes into the record (a work-order timeline row):
    the row is written once, already knowing its index. ``build`` may write; its writes commit
    with the leaf or not at all. Take the lock late: it is held until the transaction ends."""
    head = lock_head(session)
    return _record_prepared(session, _prepare([build(head.tree_size)]), head)[0]


_Prepared = list[tuple[EventRecord, bytes, bytes]]


def _prepare(events: Sequence[EventRecord]) -> _Prepared:
    """Validate each event and commit to it (record, salt, commitment)."""
    prepared: _Prepared = []
    for event in events:
        try:
            records.validate_event(event)
        except RecordError as exc:
            raise _invalid_event(exc) from exc
        if not is_known(event.event_type):
            raise Invalid(_("未知的账本事件类型") + f": {event.event_type}")
        salt = records.new_salt()
        try:
            data = encode_unchecked(event.document())
        except CanonicalError as exc:
            raise _invalid_event(RecordError(str(exc))) from exc
        prepared.append((event, salt, records.commitment(salt, data)))
    return prepared


def _record_prepared(session: Session, prepared: _Prepared, head: Head | None = None) -> range:
    if not prepared:
        return range(0)
    ts = now_ms()
    leaf_bytes = records.event_leaf_bytes

    def make_leaf(i: int, seq: int) -> bytes:
        event, _salt, commit = prepared[i]
        return leaf_bytes(seq=seq, event=event, commit=commit, ts_ms=ts)

    indices = _append(session, make_leaf, len(prepared), head)
    insert_events(
        session,
        [
            (
                seq,
                int(event.event_type),
                event.subject_type,
                str(event.subject_id),
                event.actor_id,
                encode_unchecked(event.payload).decode(),
                salt,
            )
            for seq, (event, salt, _commit) in zip(indices, prepared, strict=True)
        ],
        utcnow(),
    )
    return indices


def events_of(session: Session, *, subject_type: str, subject_id: str | int) -> list[LedgerEvent]:
    """The recorded events of one subject, in log order."""
    return list(
        session.scalars(
            select(LedgerEvent)
            .where(
                LedgerEvent.subject_type == subject_type,
                LedgerEvent.subject_id == str(subject_id),
            )
            .order_by(LedgerEvent.leaf_index)
        )
    )


def erase_events(
    session: Session, *, subject_type: str, subject_id: str | int, actor_id: int | None = None
) -> list[int]:
    """Erase the records (payload and salt) of one subject's events, e.g. under PIPL.

    The leaves stay: the log still verifies, but nobody can learn or confirm what the erased
    records said. The erasure itself is recorded (which leaves, never what they held) and is
    never erased.
    """
    rows = events_of(session, subject_type=subject_type, subject_id=subject_id)
    erased = [
        e for e in rows if e.salt is not None and e.event_type != EventType.LEDGER_RECORD_ERASED
    ]
    if not erased:
        return []
    at = utcnow()
    for event in erased:
        event.payload = None
        event.salt = None
        event.erased_at = at
    session.flush()
    indices = [e.leaf_index for e in erased]
    record(
        session,
        event_type=EventType.LEDGER_RECORD_ERASED,
        subject_type=subject_type,
        subject_id=subject_id,
        payload={"leaf_indices": indices},
        actor_id=actor_id,
    )
    return indices


# -- signed tree heads ---------------------------------------------------------------------------


def _store_sth(session: Session, sth: SignedTreeHead) -> None:
    """Keep the head for later audits; best effort (a concurrent request may store it first)."""
    try:
        with session.begin_nested():
            session.execute(
                insert(STH).values(
                    tree_size=sth.tree_size,
                    timestamp=sth.timestamp,
                    root_hash=sth.root_hash,
                    log_id=sth.log_id,
                    signature=sth.signature,
                    created_at=utcnow(),
                )
            )
    except (IntegrityError, OperationalError):
        pass


def current_sth(session: Session, *, signer: Signer) -> SignedTreeHead:
    """A signed head of the log as it is now (the newest stored one when the log has not grown)."""
    head = get_head(session)
    latest = latest_sth(session)
    if latest and latest.tree_size == head.tree_size and latest.log_id == signer.log_id:
        return latest
    sth = signer.sign(tree_size=head.tree_size, timestamp=now_ms(), root_hash=head.root_hash)
    _store_sth(session, sth)
    return sth


def sth_at(session: Session, *, tree_size: int, signer: Signer) -> SignedTreeHead:
    """A signed head for an earlier size: the stored one, else one signed now (not stored)."""
    head = get_head(session)
    if tree_size == head.tree_size:
        return current_sth(session, signer=signer)
    _check_size(tree_size, head)
    sth = stored_sth(session, tree_size)
    if sth is not None and sth.log_id == signer.log_id:
        return sth
    return signer.sign(
        tree_size=tree_size, timestamp=now_ms(), root_hash=root_at(session, tree_size)
    )


def _check_size(tree_size: int, head: Head) -> None:
    if not 0 <= tree_size <= head.tree_size:
        raise Invalid(
            _("树大小超出账本范围") + f": {tree_size} (0..{head.tree_size})",
            tree_size=head.tree_size,
        )


# -- proofs from stored subtree hashes -----------------------------------------------------------


def _perfect_hashes(
    session: Session, parts: Sequence[merkle.Perfect]
) -> dict[merkle.Perfect, bytes]:
    """Hashes of perfect subtrees from the rows that completed them: O(1) rows each."""
    rows_needed = {start + (1 << height) - 1 for start, height in parts}
    rows = {
        int(r.leaf_index): r
        for r in session.execute(
            select(ENTRY.c.leaf_index, ENTRY.c.leaf_hash, ENTRY.c.nodes).where(
                ENTRY.c.leaf_index.in_(sorted(rows_needed))
            )
        )
    }
    out: dict[merkle.Perfect, bytes] = {}
    for start, height in parts:
        last = start + (1 << height) - 1
        row = rows.get(last)
        if row is None:
            raise LedgerIntegrityError(_("账本条目缺失") + f": {last}")
        value = (
            bytes(row.leaf_hash) if height == 0 else bytes(row.nodes)[(height - 1) * H : height * H]
        )
        if len(value) != H:
            raise LedgerIntegrityError(_("账本子树哈希缺失") + f": {last}")
        out[(start, height)] = value
    return out


def _range_hashes(session: Session, ranges: Sequence[merkle.Range]) -> list[bytes]:
    parts = [p for a, b in ranges for p in merkle.perfect_parts(a, b)]
    known = _perfect_hashes(session, parts)
    return merkle.range_hashes(ranges, known.__getitem__)


def root_at(session: Session, tree_size: int) -> bytes:
    """The root of the tree of the first ``tree_size`` leaves, from stored subtree hashes."""
    if tree_size == 0:
        return merkle.EMPTY_ROOT
    return _range_hashes(session, [(0, tree_size)])[0]


def inclusion_proof(session: Session, *, index: int, tree_size: int) -> list[bytes]:
    head = get_head(session)
    _check_size(tree_size, head)
    if not 0 <= index < tree_size:
        raise NotFound(_("账本条目不存在") + f": {index}")
    return _range_hashes(session, merkle.inclusion_ranges(index, tree_size))


def consistency_proof(session: Session, *, old_size: int, new_size: int) -> list[bytes]:
    head = get_head(session)
    _check_size(new_size, head)
    if not 0 < old_size <= new_size:
        raise Invalid(_("一致性证明需要 0 < 旧大小 ≤ 新大小") + f": {old_size}, {new_size}")
    return _range_hashes(session, merkle.consistency_ranges(old_size, new_size))


def get_entry(session: Session, index: int) -> LedgerEntry | None:
    return session.get(LedgerEntry, index)


def get_entry_or_raise(session: Session, index: int) -> LedgerEntry:
    entry = get_entry(session, index)
    if entry is None:
        raise NotFound(_("账本条目不存在") + f": {index}")
    return entry


def entry_json(entry: LedgerEntry) -> dict[str, Any]:
    leaf = bytes(entry.leaf)
    return {
        "leaf_index": entry.leaf_index,
        "leaf_input": b64(leaf),
        "leaf": records.parse_leaf(leaf),
    }


def entry_bundle(
    session: Session, *, index: int, signer: Signer, tree_size: int | None = None
) -> dict[str, Any]:
    """An entry, its inclusion proof and the signed head the proof leads to (self-checked)."""
    sth = (
        current_sth(session, signer=signer)
        if tree_size is None
        else sth_at(session, tree_size=tree_size, signer=signer)
    )
    if not 0 <= index < sth.tree_size:
        raise NotFound(_("账本条目不存在") + f": {index}")
    entry = get_entry_or_raise(session, index)
    path = inclusion_proof(session, index=index, tree_size=sth.tree_size)
    digest = merkle.leaf_hash(bytes(entry.leaf))
    try:
        merkle.verify_inclusion(index, sth.tree_size, digest, path, sth.root_hash)
    except merkle.ProofError as exc:  # never hand out a proof that does not hold
        raise LedgerIntegrityError(_("账本数据与签名树头不一致") + f": {index}") from exc
    return {
        "entry": entry_json(entry),
        "inclusion_proof": {
            "leaf_index": index,
            "tree_size": sth.tree_size,
            "leaf_hash": b64(digest),
            "audit_path": [b64(p) for p in path],
        },
        "sth": sth.to_json(),
    }


def event_receipt(session: Session, *, index: int, signer: Signer) -> dict[str, Any]:
    """An entry bundle plus its event record and salt, for a domain API to show to someone
    allowed to see the record (the ledger API never exposes records)."""
    bundle = entry_bundle(session, index=index, signer=signer)
    event = session.scalar(select(LedgerEvent).where(LedgerEvent.leaf_index == index))
    if event is not None and event.salt is not None:
        bundle["record"] = {
            "actor_id": event.actor_id,
            "event_type": event.event_type,
            "payload": event.payload,
            "subject_id": event.subject_id,
            "subject_type": event.subject_type,
        }
        bundle["salt"] = b64(bytes(event.salt))
    return bundle


def consistency_bundle(
    session: Session, *, old_size: int, new_size: int | None, signer: Signer
) -> dict[str, Any]:
    """A consistency proof between two sizes and the signed head of the newer one."""
    sth = (
        current_sth(session, signer=signer)
        if new_size is None
        else sth_at(session, tree_size=new_size, signer=signer)
    )
    proof = consistency_proof(session, old_size=old_size, new_size=sth.tree_size)
    return {
        "first": old_size,
        "second": sth.tree_size,
        "consistency": [b64(p) for p in proof],
        "sth": sth.to_json(),
    }


def verify_log(
    session: Session,
    *,
    public_key: bytes | None = None,
    progress: Callable[[int], None] | None = None,
) -> audit.VerifyReport:
    """Recompute the whole log from the stored rows (see ledger.audit)."""
    return audit.verify_log(session, public_key=public_key, progress=progress)
