"""Leaves and salted commitments to event records (pure: no DB, no I/O but the salt's randomness).

An *event leaf* never carries personal data. It reads, in canonical JSON::

    {"commit":"<hex SHA-256(salt || record)>","seq":7,"subject":"workorder:42",
     "ts":1795400000000,"type":303,"v":1}

and the *event record* it commits to, kept in the ordinary table ``ledger_event`` with its salt,
is the canonical JSON of::

    {"actor_id":5,"event_type":303,"payload":{...},"subject_id":"42","subject_type":"workorder"}

Erasing the record and its salt leaves a leaf that still verifies but no longer reveals, or lets
anyone confirm a guess about, what the record said.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from civicgrid.ledger import canonical

LEAF_VERSION = 1
SALT_SIZE = 16
SUBJECT_TYPE_RE = re.compile(r"[a-z][a-z0-9_]{0,39}")
SUBJECT_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")
# Subjects are the ids of domain records (an order, a decision, a transfer), never of a person:
# a leaf outlives the person's erasure, so it must not point at them.
PERSONAL_SUBJECT_TYPES = frozenset({"person", "resident", "household", "user", "account"})


class RecordError(ValueError):
    """An event or leaf that breaks the rules above."""


@dataclass(frozen=True)
class EventRecord:
    """What a domain asks the ledger to record."""

    event_type: int
    subject_type: str
    subject_id: str | int
    payload: Mapping[str, Any] = field(default_factory=dict)
    actor_id: int | None = None

    def document(self) -> dict[str, Any]:
        return {
            "actor_id": self.actor_id,
            "event_type": int(self.event_type),
            "payload": dict(self.payload),
            "subject_id": str(self.subject_id),
            "subject_type": self.subject_type,
        }


def validate_event(event: EventRecord) -> None:
    """Raise RecordError unless the event can be recorded as it is."""
    if isinstance(event.event_type, bool) or not isinstance(event.event_type, int):
        raise RecordError("event_type must be an integer code")
    if not SUBJECT_TYPE_RE.fullmatch(event.subject_type):
        raise RecordError(f"subject_type {event.subject_type!r} is not a lowercase identifier")
    if event.subject_type in PERSONAL_SUBJECT_TYPES:
        raise RecordError(f"subject_type {event.subject_type!r} would put a person on the log")
    if not SUBJECT_ID_RE.fullmatch(str(event.subject_id)):
        raise RecordError(f"subject_id {event.subject_id!r} is not a plain record id")
    if event.actor_id is not None and (
        isinstance(event.actor_id, bool) or not isinstance(event.actor_id, int)
    ):
        raise RecordError("actor_id must be an integer or None")
    if not isinstance(event.payload, Mapping):
        raise RecordError("payload must be a JSON object")
    try:
        canonical.check(event.payload, "payload")
    except canonical.CanonicalError as exc:
        raise RecordError(str(exc)) from exc


def new_salt() -> bytes:
    return secrets.token_bytes(SALT_SIZE)


def commitment(salt: bytes, record: bytes) -> bytes:
    """``SHA-256(salt || record)``: hides the record, binds the leaf to it."""
    if len(salt) != SALT_SIZE:
        raise RecordError(f"salt must be {SALT_SIZE} bytes")
    return hashlib.sha256(salt + record).digest()


def subject_ref(subject_type: str, subject_id: str | int) -> str:
    return f"{subject_type}:{subject_id}"


def event_leaf(*, seq: int, event: EventRecord, commit: bytes, ts_ms: int) -> dict[str, Any]:
    """The leaf document of an event (no personal data: type, subject ref, commitment, time)."""
    return {
        "commit": commit.hex(),
        "seq": seq,
        "subject": subject_ref(event.subject_type, event.subject_id),
        "ts": ts_ms,
        "type": int(event.event_type),
        "v": LEAF_VERSION,
    }


def check_leaf_document(item: Mapping[str, Any]) -> None:
    """Raise RecordError unless ``item`` can be a leaf once the log adds its ``seq``."""
    if not isinstance(item, dict):
        raise RecordError("a leaf document is a JSON object (dict)")
    if "seq" in item:
        raise RecordError("a leaf document may not set 'seq'; the log assigns it")
    if "commit" in item:
        raise RecordError("'commit' is reserved for event leaves; use record() for events")
    try:
        canonical.check(item)
    except canonical.CanonicalError as exc:
        raise RecordError(str(exc)) from exc


def event_leaf_bytes(*, seq: int, event: EventRecord, commit: bytes, ts_ms: int) -> bytes:
    """``canonical.dumps(event_leaf(...))``, formatted directly (the hot path of record_many).

    Every field is an integer, a hex digest or a validated subject reference, none of which
    JSON escapes, so plain formatting gives the canonical bytes (a test checks they are equal).
    """
    return (
        f'{{"commit":"{commit.hex()}","seq":{seq},'
        f'"subject":"{event.subject_type}:{event.subject_id}","ts":{ts_ms},'
        f'"type":{int(event.event_type)},"v":{LEAF_VERSION}}}'
    ).encode()


def generic_leaf(seq: int, item: Mapping[str, Any]) -> bytes:
    """Canonical bytes of an arbitrary leaf document with its position ``seq`` added."""
    check_leaf_document(item)
    return canonical.encode_unchecked({**item, "seq": seq})


def parse_leaf(leaf: bytes) -> dict[str, Any]:
    """The JSON object in a leaf (fast: not re-checked for canonical form)."""
    try:
        doc = json.loads(leaf)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RecordError(f"leaf is not JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise RecordError("leaf is not a JSON object")
    return doc


def check_record(leaf_doc: Mapping[str, Any], record: Mapping[str, Any], salt: bytes) -> None:
    """Raise RecordError unless ``record`` with ``salt`` is exactly what the leaf commits to."""
    if not isinstance(record, dict):
        raise RecordError("record is not a JSON object")
    try:
        data = canonical.dumps(record)
    except canonical.CanonicalError as exc:
        raise RecordError(f"record has no canonical form: {exc}") from exc
    if commitment(salt, data).hex() != leaf_doc.get("commit"):
        raise RecordError("record and salt do not match the leaf's commitment")
    if record.get("event_type") != leaf_doc.get("type"):
        raise RecordError("record's event_type differs from the leaf's type")
    subject = subject_ref(str(record.get("subject_type")), str(record.get("subject_id")))
    if subject != leaf_doc.get("subject"):
        raise RecordError("record's subject differs from the leaf's subject")
