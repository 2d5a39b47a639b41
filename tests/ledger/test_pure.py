"""Canonical JSON, event codes, salted commitments and Ed25519 tree heads (no database)."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid.config import Settings
from civicgrid.ledger import canonical, events, records
from civicgrid.ledger.canonical import CanonicalError
from civicgrid.ledger.records import EventRecord, RecordError
from civicgrid.ledger.signing import (
    KEY_FILE,
    SignatureError,
    SignedTreeHead,
    Signer,
    signer_for,
    sth_message,
    verify_sth,
)

# -- canonical JSON ------------------------------------------------------------------------------


def test_canonical_form_is_sorted_compact_utf8() -> None:
    value = {"b": 1, "a": ["x", True, None], "中": '文\n"', "A": {"z": -3, "y": ""}}
    assert canonical.dumps(value) == (
        '{"A":{"y":"","z":-3},"a":["x",true,null],"b":1,"中":"文\\n\\""}'.encode()
    )
    assert canonical.loads(canonical.dumps(value)) == value


@pytest.mark.parametrize(
    "bad",
    [
        {"amount": 1.5},
        {"amount": float("nan")},
        {"n": 2**53},
        {1: "non-string key"},
        {"s": "\ud800"},  # lone surrogate
        {"set": {1, 2}},
        {"nested": [{"x": 0.0}]},
    ],
)
def test_values_without_a_canonical_form_are_rejected(bad: object) -> None:
    with pytest.raises(CanonicalError):
        canonical.dumps(bad)


def test_error_names_the_offending_place() -> None:
    with pytest.raises(CanonicalError, match=r"\$\.payload\.items\[1\]"):
        canonical.check({"payload": {"items": [1, 2.5]}})


@pytest.mark.parametrize(
    "text", [b'{"b":1,"a":2}', b'{"a": 1}', b'{"a":1.0}', b'{"a":"\\u0041"}', b"[1,]", b"\xff"]
)
def test_loads_rejects_non_canonical_bytes(text: bytes) -> None:
    with pytest.raises(CanonicalError):
        canonical.loads(text)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(value=json_values)
def test_canonical_round_trip(value: object) -> None:
    data = canonical.dumps(value)
    standard = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert data == standard.encode()  # the same bytes as the standard library's encoder
    assert canonical.loads(data) == value
    assert canonical.dumps(canonical.loads(data)) == data


# -- event codes -----------------------------------------------------------------------------


def test_event_codes_are_unique_grouped_and_exported() -> None:
    codes = [e.value for e in events.EventType]
    assert len(codes) == len(set(codes))
    for member in events.EventType:
        assert getattr(events, member.name) is member  # module-level alias exists
        assert events.domain_of(member.value) != "unknown"
    assert events.WORKORDER_OPENED == 301
    assert events.domain_of(events.VOTE_CAST) == "participation"
    assert events.domain_of(events.TIMEBANK_POINTS_TRANSFERRED) == "timebank"
    assert events.domain_of(events.BENEFIT_APPROVED) == "benefits"
    assert events.domain_of(events.ASSET_FUNDS_DISBURSED) == "collective_assets"
    assert events.name_of(303) == "WORKORDER_DISPATCHED"
    assert events.name_of(4242) == "EVENT_4242"
    assert not events.is_known(4242)


# -- records and commitments ------------------------------------------------------------------


def _event(**kw: object) -> EventRecord:
    base: dict[str, object] = {
        "event_type": 303,
        "subject_type": "work_order",
        "subject_id": 42,
        "payload": {"to": "dispatched", "dept": "城管"},
        "actor_id": 7,
    }
    base.update(kw)
    return EventRecord(**base)  # type: ignore[arg-type]


def test_leaf_commits_to_the_record_without_revealing_it() -> None:
    event = _event()
    salt = bytes(range(16))
    data = canonical.dumps(event.document())
    leaf = records.event_leaf(seq=9, event=event, commit=records.commitment(salt, data), ts_ms=5)
    assert leaf == {
        "commit": records.commitment(salt, data).hex(),
        "seq": 9,
        "subject": "work_order:42",
        "ts": 5,
        "type": 303,
        "v": 1,
    }
    assert "城管" not in canonical.dumps(leaf).decode()
    records.check_record(leaf, event.document(), salt)
    with pytest.raises(RecordError, match="commitment"):
        records.check_record(leaf, _event(payload={"to": "closed"}).document(), salt)
    with pytest.raises(RecordError, match="commitment"):
        records.check_record(leaf, event.document(), bytes(16))
    with pytest.raises(RecordError):
        records.check_record(leaf, "not a record", salt)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"subject_type": "person"}, "person"),
        ({"subject_type": "Work Order"}, "identifier"),
        ({"subject_id": "11010519491231002X 张三"}, "record id"),
        ({"payload": {"lat": 28.2}}, "float"),
        ({"payload": ["not", "an", "object"]}, "object"),
        ({"event_type": "301"}, "integer"),
        ({"actor_id": "7"}, "actor_id"),
    ],
)
def test_events_that_would_leak_or_are_ambiguous_are_refused(
    change: dict[str, object], message: str
) -> None:
    with pytest.raises(RecordError, match=message):
        records.validate_event(_event(**change))


subject_types = st.from_regex(records.SUBJECT_TYPE_RE, fullmatch=True).filter(
    lambda s: s not in records.PERSONAL_SUBJECT_TYPES
)
subject_ids = st.from_regex(records.SUBJECT_ID_RE, fullmatch=True) | st.integers(0, 2**53 - 1)


@settings(max_examples=200, deadline=None)
@given(
    seq=st.integers(0, 2**53 - 1),
    code=st.sampled_from(list(events.EventType)),
    subject_type=subject_types,
    subject_id=subject_ids,
    commit=st.binary(min_size=32, max_size=32),
    ts=st.integers(0, 2**53 - 1),
)
def test_fast_event_leaf_is_exactly_the_canonical_one(
    seq: int, code: int, subject_type: str, subject_id: str | int, commit: bytes, ts: int
) -> None:
    event = EventRecord(code, subject_type, subject_id, {})
    records.validate_event(event)
    fast = records.event_leaf_bytes(seq=seq, event=event, commit=commit, ts_ms=ts)
    slow = canonical.dumps(records.event_leaf(seq=seq, event=event, commit=commit, ts_ms=ts))
    assert fast == slow
    assert canonical.loads(fast)["subject"] == f"{subject_type}:{subject_id}"


def test_generic_leaf_gets_its_seq_from_the_log() -> None:
    assert records.generic_leaf(3, {"k": "v"}) == b'{"k":"v","seq":3}'
    with pytest.raises(RecordError, match="seq"):
        records.generic_leaf(3, {"seq": 1})
    with pytest.raises(RecordError, match="reserved"):
        records.generic_leaf(3, {"commit": "ab"})  # only event leaves commit to records


# -- signed tree heads ----------------------------------------------------------------------


def test_sth_signature_covers_every_field() -> None:
    signer = Signer.from_seed(bytes(32))
    sth = signer.sign(tree_size=7, timestamp=1_700_000_000_000, root_hash=bytes(range(32)))
    verify_sth(sth, signer.public_key)
    assert sth.message() == sth_message(
        log_id=signer.log_id, tree_size=7, timestamp=1_700_000_000_000, root_hash=bytes(range(32))
    )
    assert sth.message().startswith(b"civicgrid-ledger-sth-v1\n")
    again = SignedTreeHead.from_json(sth.to_json())
    assert again == sth
    for field, value in [
        ("tree_size", 8),
        ("timestamp", 1_700_000_000_001),
        ("root_hash", bytes(32)),
        ("signature", bytes(64)),
    ]:
        forged = SignedTreeHead(**{**sth.__dict__, field: value})
        with pytest.raises(SignatureError):
            verify_sth(forged, signer.public_key)
    other = Signer.from_seed(bytes([1]) * 32)
    with pytest.raises(SignatureError, match="another log"):
        verify_sth(sth, other.public_key)


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"tree_size": -1, "timestamp": 0},
        {"tree_size": True, "timestamp": 0},
        {"tree_size": 1, "timestamp": 0, "sha256_root_hash": "***"},
        {"tree_size": 1, "timestamp": 0, "signature_algorithm": "rsa"},
    ],
)
def test_malformed_tree_heads_are_refused(data: object) -> None:
    with pytest.raises(SignatureError):
        SignedTreeHead.from_json(data)


def test_signing_key_from_the_environment(signer: Signer) -> None:
    from civicgrid.config import get_settings

    assert signer_for(get_settings()).public_key == signer.public_key


def test_demo_key_is_generated_once_with_mode_0600(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", ledger_signing_key="")
    first = signer_for(settings)
    path = tmp_path / "data" / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(base64.b64decode(path.read_text().strip())) == 32
    # a new process (empty cache) reads the same key back
    from civicgrid.ledger import signing

    signing._cache.clear()
    assert signer_for(settings).public_key == first.public_key
    path.write_text("not a key")
    signing._cache.clear()
    with pytest.raises(SignatureError):
        signer_for(settings)
