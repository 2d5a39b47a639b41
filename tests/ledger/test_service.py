"""The ledger service over a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicgrid.errors import Invalid, NotFound
from civicgrid.ledger import canonical, merkle, records, service
from civicgrid.ledger.events import EventType
from civicgrid.ledger.records import EventRecord
from civicgrid.ledger.signing import Signer, unb64
from civicgrid.ledger.store import ENTRY, LedgerIntegrityError, get_head, stored_sths
from civicgrid.ledger.verify import VerificationError, verify_bundle
from civicgrid.models.ledger import LedgerEntry, LedgerEvent
from tests.ledger import tamper

DB_SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _leaf_hashes(db: Session) -> list[bytes]:
    return [bytes(h) for h in db.scalars(select(ENTRY.c.leaf_hash).order_by(ENTRY.c.leaf_index))]


def test_append_assigns_positions_and_moves_the_head(db: Session) -> None:
    start = get_head(db).tree_size
    got = service.append_many(db, [{"n": i, "who": "甲"} for i in range(10)])
    assert list(got) == list(range(start, start + 10))
    assert service.append(db, {"n": 10}) == start + 10
    head = get_head(db)
    hashes = _leaf_hashes(db)
    assert head.tree_size == len(hashes) == start + 11
    assert head.root_hash == merkle.root(hashes) == service.root_at(db, head.tree_size)
    entry = db.get(LedgerEntry, start + 3)
    assert entry is not None
    assert bytes(entry.leaf) == canonical.dumps({"n": 3, "seq": start + 3, "who": "甲"})
    assert service.append_many(db, []) == range(0)


def test_record_keeps_personal_data_off_the_leaf(db: Session) -> None:
    entry = service.record(
        db,
        event_type=EventType.WORKORDER_DISPATCHED,
        subject_type="work_order",
        subject_id=42,
        payload={"to": "dispatched", "reporter": "张三", "phone": "13800138000"},
        actor_id=7,
    )
    leaf = records.parse_leaf(bytes(entry.leaf))
    assert set(leaf) == {"commit", "seq", "subject", "ts", "type", "v"}
    assert leaf["seq"] == entry.leaf_index
    assert leaf["subject"] == "work_order:42"
    assert leaf["type"] == 303
    assert "张三" not in bytes(entry.leaf).decode() and "13800" not in bytes(entry.leaf).decode()
    event = entry.event
    assert event is not None and event.salt is not None
    assert event.payload == {"to": "dispatched", "reporter": "张三", "phone": "13800138000"}
    records.check_record(
        leaf,
        {
            "actor_id": 7,
            "event_type": 303,
            "payload": event.payload,
            "subject_id": "42",
            "subject_type": "work_order",
        },
        bytes(event.salt),
    )
    assert [
        e.leaf_index for e in service.events_of(db, subject_type="work_order", subject_id=42)
    ] == [entry.leaf_index]


def test_record_many_is_one_batch(db: Session) -> None:
    batch = [
        EventRecord(EventType.VOTE_CAST, "vote_round", 3, {"choice": "B"}, None),
        EventRecord(EventType.TIMEBANK_POINTS_TRANSFERRED, "timebank_transfer", "t-9", {"pts": 20}),
        EventRecord(EventType.ASSET_FUNDS_DISBURSED, "asset_txn", 5, {"fen": 1_250_000}, 2),
    ]
    start = get_head(db).tree_size
    assert service.record_many(db, batch) == range(start, start + 3)
    rows = db.scalars(
        select(LedgerEvent).where(LedgerEvent.leaf_index >= start).order_by(LedgerEvent.leaf_index)
    ).all()
    assert [(r.leaf_index, r.event_type) for r in rows] == [
        (start, 404),
        (start + 1, 503),
        (start + 2, 704),
    ]
    assert rows[2].payload == {"fen": 1_250_000} and rows[2].actor_id == 2
    assert rows[0].recorded_at.tzinfo is not None
    assert service.verify_log(db).ok
    assert service.record_many(db, []) == range(0)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"event_type": 9999},  # unknown code
        {"subject_type": "person"},
        {"payload": {"lat": 28.2}},
        {"payload": {"note": "\ud800"}},
    ],
)
def test_bad_events_write_nothing(db: Session, kwargs: dict[str, object]) -> None:
    before = get_head(db)
    rows = db.scalar(select(func.count()).select_from(ENTRY))
    args: dict[str, object] = {
        "event_type": 301,
        "subject_type": "work_order",
        "subject_id": 1,
        "payload": {},
        "actor_id": None,
    }
    args.update(kwargs)
    with pytest.raises(Invalid):
        service.record(db, **args)  # type: ignore[arg-type]
    with pytest.raises(Invalid):
        service.append_many(db, [{"ok": 1}, {"bad": 0.5}])
    assert get_head(db) == before
    assert db.scalar(select(func.count()).select_from(ENTRY)) == rows


def test_an_entry_and_its_change_roll_back_together(db: Session) -> None:
    before = get_head(db)
    savepoint = db.begin_nested()
    service.record(
        db, event_type=301, subject_type="work_order", subject_id=1, payload={}, actor_id=None
    )
    assert get_head(db).tree_size == before.tree_size + 1
    savepoint.rollback()
    assert get_head(db) == before


@DB_SETTINGS
@given(data=st.data(), n=st.integers(min_value=1, max_value=70))
def test_proofs_from_stored_subtrees_equal_the_rfc(
    db: Session, data: st.DataObject, n: int
) -> None:
    savepoint = db.begin_nested()
    try:
        service.append_many(db, [{"i": i} for i in range(n)])
        hashes = _leaf_hashes(db)
        size = len(hashes)
        assert service.root_at(db, size) == merkle.root(hashes)
        tree_size = data.draw(st.integers(min_value=1, max_value=size))
        index = data.draw(st.integers(min_value=0, max_value=tree_size - 1))
        old = data.draw(st.integers(min_value=1, max_value=tree_size))
        assert service.inclusion_proof(db, index=index, tree_size=tree_size) == (
            merkle.inclusion_proof(hashes, index, tree_size)
        )
        assert service.consistency_proof(db, old_size=old, new_size=tree_size) == (
            merkle.consistency_proof(hashes, old, tree_size)
        )
        assert service.root_at(db, tree_size) == merkle.root(hashes[:tree_size])
    finally:
        savepoint.rollback()


def test_signed_heads_are_kept_once_per_size(db: Session, signer: Signer) -> None:
    service.append_many(db, [{"i": i} for i in range(5)])
    first = service.current_sth(db, signer=signer)
    assert service.current_sth(db, signer=signer) == first  # no new signature while unchanged
    service.append(db, {"i": 5})
    second = service.current_sth(db, signer=signer)
    assert second.tree_size == first.tree_size + 1
    assert second.root_hash == get_head(db).root_hash
    sizes = [s.tree_size for s in stored_sths(db)]
    assert first.tree_size in sizes and second.tree_size in sizes
    assert service.sth_at(db, tree_size=first.tree_size, signer=signer) == first
    older = service.sth_at(db, tree_size=2, signer=signer)  # never stored: signed on request
    assert older.root_hash == service.root_at(db, 2)


def test_bundles_verify_outside_and_records_only_in_receipts(db: Session, signer: Signer) -> None:
    service.append_many(db, [{"i": i} for i in range(6)])
    entry = service.record(
        db,
        event_type=EventType.BENEFIT_APPROVED,
        subject_type="benefit_decision",
        subject_id=77,
        payload={"benefit": "高龄津贴", "fen": 10000},
        actor_id=3,
    )
    bundle = service.entry_bundle(db, index=entry.leaf_index, signer=signer)
    assert "record" not in bundle
    result = verify_bundle(bundle, signer.public_key_json())
    assert result.leaf_index == entry.leaf_index and not result.record_checked
    receipt = service.event_receipt(db, index=entry.leaf_index, signer=signer)
    assert verify_bundle(receipt, signer.public_key).record_checked
    receipt["record"]["payload"]["fen"] = 1_000_000
    with pytest.raises(VerificationError, match="record"):
        verify_bundle(receipt, signer.public_key)
    old = service.entry_bundle(db, index=2, tree_size=4, signer=signer)
    assert old["sth"]["tree_size"] == 4
    verify_bundle(old, signer.public_key)


def test_erasure_keeps_the_log_verifiable(db: Session, signer: Signer) -> None:
    entries = [
        service.record(
            db,
            event_type=EventType.BENEFIT_APPROVED,
            subject_type="benefit_decision",
            subject_id=501,
            payload={"name": "李四", "id_last4": "002X"},
            actor_id=1,
        )
        for _ in range(2)
    ]
    erased = service.erase_events(db, subject_type="benefit_decision", subject_id=501, actor_id=9)
    assert erased == [e.leaf_index for e in entries]
    rows = service.events_of(db, subject_type="benefit_decision", subject_id=501)
    assert [r.payload for r in rows[:2]] == [None, None] and rows[0].salt is None
    assert rows[-1].event_type == EventType.LEDGER_RECORD_ERASED
    assert rows[-1].payload == {"leaf_indices": erased}
    receipt = service.event_receipt(db, index=erased[0], signer=signer)
    assert "record" not in receipt
    verify_bundle(receipt, signer.public_key)
    report = service.verify_log(db, public_key=signer.public_key)
    assert report.ok, report.problems
    assert report.events_erased >= 2
    assert service.erase_events(db, subject_type="benefit_decision", subject_id=501) == []


def test_bad_proof_requests(db: Session, signer: Signer) -> None:
    service.append_many(db, [{"i": i} for i in range(3)])
    size = get_head(db).tree_size
    with pytest.raises(NotFound):
        service.entry_bundle(db, index=size, signer=signer)
    with pytest.raises(Invalid):
        service.consistency_bundle(db, old_size=0, new_size=None, signer=signer)
    with pytest.raises(Invalid):
        service.consistency_bundle(db, old_size=1, new_size=size + 1, signer=signer)
    with pytest.raises(Invalid):
        service.entry_bundle(db, index=0, tree_size=size + 5, signer=signer)


def test_no_proof_is_served_from_a_tampered_log(db: Session, signer: Signer) -> None:
    service.append_many(db, [{"i": i} for i in range(8)])
    size = get_head(db).tree_size
    tamper.rewrite_leaf(db, size - 3, b'{"forged":1,"seq":%d}' % (size - 3))
    with pytest.raises(LedgerIntegrityError):
        service.entry_bundle(db, index=size - 3, signer=signer)


def test_ledger_rows_are_not_loaded_as_personal_data() -> None:
    """The payload column is classified; the leaf carries nothing to classify."""
    from civicgrid.kit.classification import DataLevel

    assert LedgerEvent.__table__.c.payload.info["level"] == DataLevel.SENSITIVE
    assert "level" not in LedgerEntry.__table__.c.leaf.info


def test_unb64_is_strict() -> None:
    from civicgrid.ledger.signing import SignatureError

    with pytest.raises(SignatureError):
        unb64("abc", "x")
