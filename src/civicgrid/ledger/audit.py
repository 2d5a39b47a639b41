"""账本核验 — recompute the whole log from the stored rows and name the first bad entry.

Three layers of checks, each against what the layer below cannot hide:

1. Rows (exact): every position 0..n-1 has a row; each leaf hashes to its stored leaf hash, is a
   JSON object whose ``seq`` is its position (so a deleted, inserted or reordered row shows at
   the first displaced position); every event record matches the salted commitment in its leaf.
2. Tree (ranges): the stored subtree hashes (``nodes``), the head's frontier and root agree with
   the stored leaf hashes. A leaf rewritten together with its leaf hash shows here, bounded to the
   smallest subtree whose stored hash no longer matches.
3. Signed heads: every stored STH carries a valid signature and its root equals the recomputed
   root at its size. Only this layer resists someone who rewrote rows, hashes and head alike.

``first_bad`` is the first position with a row-level problem, else the start of the first
range-level one.
"""

from __future__ import annotations

import hashlib
import json
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.ledger import merkle
from civicgrid.ledger.records import RecordError, check_record, parse_leaf
from civicgrid.ledger.signing import SignatureError, SignedTreeHead, log_id_of, verify_sth
from civicgrid.ledger.store import ENTRY, EVENT, get_head, stored_sths

MAX_PROBLEMS = 100
EXACT_KINDS = frozenset(
    {"missing", "extra", "leaf_hash", "leaf_json", "seq", "event", "event_missing"}
)


@dataclass(frozen=True)
class Problem:
    kind: str
    message: str
    index: int | None  # first leaf position concerned; None for the head itself
    end: int | None  # last leaf position concerned (inclusive)

    @property
    def exact(self) -> bool:
        return self.kind in EXACT_KINDS

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "index": self.index, "end": self.end, "message": self.message}


@dataclass
class VerifyReport:
    tree_size: int
    entries_checked: int = 0
    events_checked: int = 0
    events_erased: int = 0
    sths_checked: int = 0
    sths_skipped: int = 0
    problem_count: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    @property
    def first_problem(self) -> Problem | None:
        exact = [p for p in self.problems if p.exact and p.index is not None]
        ranged = [p for p in self.problems if not p.exact and p.index is not None]
        for group in (exact, ranged):
            if group:
                return min(group, key=lambda p: (p.index or 0, p.end or 0))
        return self.problems[0] if self.problems else None

    @property
    def first_bad(self) -> int | None:
        first = self.first_problem
        return first.index if first is not None else None

    def add(self, kind: str, message: str, index: int | None, end: int | None = None) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(kind, message, index, index if end is None else end))

    def to_json(self) -> dict[str, Any]:
        first = self.first_problem
        return {
            "ok": self.ok,
            "tree_size": self.tree_size,
            "entries_checked": self.entries_checked,
            "events_checked": self.events_checked,
            "events_erased": self.events_erased,
            "sths_checked": self.sths_checked,
            "sths_skipped": self.sths_skipped,
            "problem_count": self.problem_count,
            "first_bad": self.first_bad,
            "first_problem": first.to_json() if first else None,
            "problems": [p.to_json() for p in self.problems],
        }


def _rows(session: Session, batch_size: int) -> Iterator[Any]:
    stmt = select(ENTRY.c.leaf_index, ENTRY.c.leaf, ENTRY.c.leaf_hash, ENTRY.c.nodes).order_by(
        ENTRY.c.leaf_index
    )
    return iter(session.execute(stmt.execution_options(yield_per=batch_size)))


def _signed_heads(
    report: VerifyReport, sths: list[SignedTreeHead], public_key: bytes | None, size: int
) -> dict[int, SignedTreeHead]:
    """Check signatures; return the heads whose roots the tree pass must match, by size."""
    checks: dict[int, SignedTreeHead] = {}
    for sth in sths:
        if public_key is not None:
            if sth.log_id != log_id_of(public_key):
                report.sths_skipped += 1  # signed by another key (rotated): cannot judge it
                continue
            try:
                verify_sth(sth, public_key)
            except SignatureError as exc:
                report.add("sth_signature", f"signed head at size {sth.tree_size}: {exc}", None)
                continue
        if sth.tree_size > size:
            report.add(
                "truncated",
                f"a signed head covers {sth.tree_size} entries but the log holds {size}",
                size,
                sth.tree_size - 1,
            )
            continue
        checks[sth.tree_size] = sth
    return checks


def verify_log(
    session: Session,
    *,
    public_key: bytes | None = None,
    progress: Callable[[int], None] | None = None,
    batch_size: int = 20_000,
) -> VerifyReport:
    """Recompute the log from the stored rows; every disagreement becomes a Problem."""
    head = get_head(session)
    size = head.tree_size
    report = VerifyReport(tree_size=size)
    checks = _signed_heads(report, stored_sths(session), public_key, size)
    check_sizes = sorted(checks)
    next_check = 0
    last_good = 0
    if check_sizes and check_sizes[0] == 0:
        if checks[0].root_hash != merkle.EMPTY_ROOT:
            report.add("sth_root", "signed head at size 0 is not the empty root", None)
        report.sths_checked += 1
        next_check = 1

    frontier: list[bytes] = []
    sha256, decode = hashlib.sha256, json.JSONDecoder().raw_decode
    tree_ok = True
    event_leaves = array("q")
    pos = 0
    for idx, leaf, stored_hash, nodes in _rows(session, batch_size):
        leaf, stored_hash, nodes = bytes(leaf), bytes(stored_hash), bytes(nodes)
        if idx != pos:
            report.add("missing", f"entries {pos}..{idx - 1} are missing (deleted)", pos, idx - 1)
            tree_ok = False
            pos = idx
        if idx >= size:
            report.add("extra", f"entry {idx} lies beyond the head (size {size}): inserted", idx)
        if sha256(b"\x00" + leaf).digest() != stored_hash:
            report.add("leaf_hash", f"entry {idx}: leaf does not hash to its leaf hash", idx)
        try:
            text = leaf.decode()
            doc, end = decode(text)
            if end != len(text):
                doc = None
        except ValueError:  # not UTF-8, not JSON
            doc = None
        seq = doc.get("seq") if isinstance(doc, dict) else None
        if not isinstance(doc, dict):
            report.add("leaf_json", f"entry {idx}: leaf is not a JSON object", idx)
        elif type(seq) is not int or seq != idx:
            report.add(
                "seq",
                f"entry {idx}: leaf says seq {seq!r} (rows deleted, inserted or reordered)",
                idx,
            )
            tree_ok = False
        elif "commit" in doc:
            event_leaves.append(idx)
        if tree_ok and idx < size:
            # the frontier append of merkle.frontier_append, inlined: this loop runs n times
            frontier.append(stored_hash)
            completed = b""
            bits = idx
            while bits & 1:
                right = frontier.pop()
                merged = sha256(b"\x01" + frontier.pop() + right).digest()
                frontier.append(merged)
                completed += merged
                bits >>= 1
            if completed != nodes:
                if len(completed) != len(nodes):
                    report.add("nodes", f"entry {idx}: stored subtree hashes are malformed", idx)
                else:
                    height = _first_difference(completed, nodes)
                    start = idx - (1 << height) + 1
                    report.add(
                        "nodes",
                        f"stored hash of subtree {start}..{idx} does not match its leaves",
                        start,
                        idx,
                    )
        if next_check < len(check_sizes) and check_sizes[next_check] == idx + 1:
            last_good = _check_root(report, checks[idx + 1], frontier, last_good)
            next_check += 1
        pos = idx + 1
        report.entries_checked += 1
        if progress is not None and report.entries_checked % batch_size == 0:
            progress(report.entries_checked)
    if pos < size:
        report.add("missing", f"entries {pos}..{size - 1} are missing (deleted)", pos, size - 1)
    elif tree_ok:
        _check_head(report, head.frontier, head.root_hash, frontier, size)
    report.sths_skipped += len(check_sizes) - next_check
    if progress is not None:
        progress(report.entries_checked)
    _check_events(session, report, event_leaves, batch_size)
    return report


def _first_difference(computed: bytes, stored: bytes) -> int:
    """The height (1-based) of the first subtree hash that differs."""
    height = 1
    while computed[(height - 1) * 32 : height * 32] == stored[(height - 1) * 32 : height * 32]:
        height += 1
    return height


def _check_root(
    report: VerifyReport, sth: SignedTreeHead, frontier: list[bytes], last_good: int
) -> int:
    report.sths_checked += 1
    if merkle.frontier_root(frontier) == sth.root_hash:
        return sth.tree_size
    report.add(
        "sth_root",
        f"signed head at size {sth.tree_size} does not match entries {last_good}.."
        f"{sth.tree_size - 1} as stored",
        last_good,
        sth.tree_size - 1,
    )
    return last_good


def _check_head(
    report: VerifyReport, stored: list[bytes], root: bytes, frontier: list[bytes], size: int
) -> None:
    parts = merkle.frontier_ranges(size)
    for i, (start, height) in enumerate(parts):
        if i >= len(stored) or stored[i] != frontier[i]:
            end = start + (1 << height) - 1
            report.add(
                "frontier", f"head's hash of subtree {start}..{end} does not match", start, end
            )
            return
    if len(stored) != len(parts):
        report.add("frontier", "head's frontier has the wrong length", None)
    elif merkle.frontier_root(frontier) != root:
        report.add("head_root", "head's root hash does not match the entries", None)


def _check_events(
    session: Session, report: VerifyReport, event_leaves: array[int], batch_size: int
) -> None:
    """Every event leaf has its record (or an erased one); every record matches its commitment."""
    stmt = (
        select(
            EVENT.c.leaf_index,
            EVENT.c.event_type,
            EVENT.c.subject_type,
            EVENT.c.subject_id,
            EVENT.c.actor_id,
            EVENT.c.payload,
            EVENT.c.salt,
            ENTRY.c.leaf,
        )
        .select_from(EVENT.outerjoin(ENTRY, EVENT.c.leaf_index == ENTRY.c.leaf_index))
        .order_by(EVENT.c.leaf_index)
        .execution_options(yield_per=batch_size)
    )
    expected = iter(event_leaves)
    want = next(expected, None)
    for row in session.execute(stmt):
        idx = int(row.leaf_index)
        while want is not None and want < idx:
            report.add("event_missing", f"entry {want}: its event record was deleted", want)
            want = next(expected, None)
        if want == idx:
            want = next(expected, None)
        report.events_checked += 1
        if row.leaf is None:
            report.add("event", f"event record for entry {idx} has no leaf", idx)
            continue
        if row.salt is None:
            report.events_erased += 1
            if row.payload is not None:
                report.add("event", f"entry {idx}: record has a payload but no salt", idx)
            continue
        record = {
            "actor_id": row.actor_id,
            "event_type": row.event_type,
            "payload": row.payload,
            "subject_id": row.subject_id,
            "subject_type": row.subject_type,
        }
        try:
            check_record(parse_leaf(bytes(row.leaf)), record, bytes(row.salt))
        except RecordError as exc:
            report.add("event", f"entry {idx}: event record altered ({exc})", idx)
    while want is not None:
        report.add("event_missing", f"entry {want}: its event record was deleted", want)
        want = next(expected, None)
