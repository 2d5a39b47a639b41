"""`verify_log` catches every way of editing the stored log and names the first bad entry."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from civicgrid.ledger import audit, service
from civicgrid.ledger.audit import VerifyReport
from civicgrid.ledger.signing import Signer
from civicgrid.ledger.store import EVENT, STH, get_head
from tests.ledger import tamper

DB_SETTINGS = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _build(db: Session, signer: Signer, n: int) -> tuple[int, int]:
    """Append ``n`` entries (and sign a head); return (first new index, tree size)."""
    start = get_head(db).tree_size
    service.append_many(db, [{"i": i, "note": f"第{i}条"} for i in range(n)])
    size = service.current_sth(db, signer=signer).tree_size
    return start, size


def _verify(db: Session, signer: Signer) -> VerifyReport:
    return service.verify_log(db, public_key=signer.public_key)


def test_an_untouched_log_verifies(db: Session, signer: Signer) -> None:
    _build(db, signer, 37)
    report = _verify(db, signer)
    assert report.ok, report.problems
    assert report.entries_checked == report.tree_size == get_head(db).tree_size
    assert report.sths_checked >= 1
    assert report.first_bad is None


@DB_SETTINGS
@given(
    data=st.data(),
    n=st.integers(min_value=2, max_value=40),
    how=st.sampled_from(
        [
            "leaf_byte",
            "hash_byte",
            "drop",
            "drop_renumber",
            "swap",
            "insert_copy",
            "append_extra",
        ]
    ),
)
def test_single_tampering_is_named_exactly(
    db: Session, signer: Signer, data: st.DataObject, n: int, how: str
) -> None:
    savepoint = db.begin_nested()
    try:
        start, size = _build(db, signer, n)
        i = data.draw(st.integers(min_value=start, max_value=size - 1), label="i")
        expected = i
        if how == "leaf_byte":
            pos = data.draw(st.integers(min_value=0, max_value=1000), label="byte")
            tamper.flip_byte(db, i, "leaf", pos)
        elif how == "hash_byte":
            tamper.flip_byte(db, i, "leaf_hash", data.draw(st.integers(0, 31), label="byte"))
        elif how == "drop":
            tamper.drop(db, i)
        elif how == "drop_renumber":
            tamper.drop(db, i, renumber=True)
        elif how == "swap":
            j = data.draw(st.integers(min_value=start, max_value=size - 1).filter(lambda j: j != i))
            tamper.swap(db, i, j)
            expected = min(i, j)
        elif how == "insert_copy":
            j = data.draw(st.integers(min_value=start, max_value=size - 1).filter(lambda j: j != i))
            tamper.insert_copy(db, i, j)
        elif how == "append_extra":
            tamper.append_extra(db, size, b'{"forged":true,"seq":%d}' % size)
            expected = size
        report = _verify(db, signer)
        assert not report.ok
        assert report.first_bad == expected, report.problems
    finally:
        savepoint.rollback()


@DB_SETTINGS
@given(data=st.data(), n=st.integers(min_value=1, max_value=40))
def test_a_rewritten_leaf_is_bounded_by_the_subtree_that_no_longer_matches(
    db: Session, signer: Signer, data: st.DataObject, n: int
) -> None:
    """Leaf and leaf hash rewritten together: the stored subtree hashes give it away."""
    savepoint = db.begin_nested()
    try:
        start, size = _build(db, signer, n)
        i = data.draw(st.integers(min_value=start, max_value=size - 1))
        tamper.rewrite_leaf(db, i, b'{"forged":true,"seq":%d}' % i)
        report = _verify(db, signer)
        assert not report.ok
        first = report.first_problem
        assert first is not None and first.index is not None and first.end is not None
        assert first.index <= i <= first.end, report.problems
        assert {p.kind for p in report.problems} & {"nodes", "frontier", "sth_root"}
    finally:
        savepoint.rollback()


@DB_SETTINGS
@given(data=st.data(), n=st.integers(min_value=1, max_value=30))
def test_a_fully_rebuilt_history_is_caught_by_the_signed_heads(
    db: Session, signer: Signer, data: st.DataObject, n: int
) -> None:
    """Someone rewrote a leaf and recomputed every hash and the head: only signatures tell."""
    savepoint = db.begin_nested()
    try:
        start, size = _build(db, signer, n)
        i = data.draw(st.integers(min_value=start, max_value=size - 1))
        tamper.rewrite_leaf(db, i, b'{"forged":true,"seq":%d}' % i)
        tamper.rebuild_tree(db)
        report = _verify(db, signer)
        assert [p.kind for p in report.problems] == ["sth_root"]
        first = report.first_problem
        assert first is not None and first.index is not None and first.end is not None
        assert first.index <= i <= first.end
    finally:
        savepoint.rollback()


def test_truncation_behind_a_signed_head_is_caught(db: Session, signer: Signer) -> None:
    _, size = _build(db, signer, 12)
    for index in range(size - 3, size):
        tamper.drop(db, index)
    tamper.rebuild_tree(db)
    report = _verify(db, signer)
    assert [p.kind for p in report.problems] == ["truncated"]
    assert report.first_bad == size - 3


def test_a_forged_signed_head_is_caught(db: Session, signer: Signer) -> None:
    _, size = _build(db, signer, 5)
    db.execute(update(STH).where(STH.c.tree_size == size).values(timestamp=1))
    report = _verify(db, signer)
    assert [p.kind for p in report.problems] == ["sth_signature"]
    # heads signed by another key (a rotated one) are skipped, not judged
    other = Signer.from_seed(bytes(32))
    report = service.verify_log(db, public_key=other.public_key)
    assert report.ok and report.sths_skipped >= 1


def _record(db: Session, subject_id: int) -> int:
    entry = service.record(
        db,
        event_type=602,
        subject_type="benefit_decision",
        subject_id=subject_id,
        payload={"benefit": "高龄津贴", "fen": 10000},
        actor_id=1,
    )
    return entry.leaf_index


def test_edited_event_records_are_named(db: Session, signer: Signer) -> None:
    _build(db, signer, 3)
    first, second, third = _record(db, 1), _record(db, 2), _record(db, 3)
    assert _verify(db, signer).ok
    db.execute(
        update(EVENT).where(EVENT.c.leaf_index == second).values(payload={"fen": 99_999_999})
    )
    report = _verify(db, signer)
    assert report.first_bad == second and report.first_problem
    assert report.first_problem.kind == "event"
    db.execute(update(EVENT).where(EVENT.c.leaf_index == first).values(salt=None))  # fake erasure
    assert _verify(db, signer).first_bad == first
    db.execute(delete(EVENT).where(EVENT.c.leaf_index == third))
    kinds = {p.index: p.kind for p in _verify(db, signer).problems}
    assert kinds[third] == "event_missing"


def test_progress_is_reported(db: Session, signer: Signer) -> None:
    _build(db, signer, 25)
    seen: list[int] = []
    report = audit.verify_log(db, public_key=signer.public_key, progress=seen.append, batch_size=10)
    assert report.ok
    assert seen[-1] == report.entries_checked
    assert seen == sorted(seen) and len(seen) >= 2
