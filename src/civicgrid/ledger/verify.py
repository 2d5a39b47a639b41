"""The outsider's verifier: checks ledger JSON with the log's public key alone (no database).

Give it what the API or ``civicgrid ledger proof`` hands out:

- ``verify_bundle(bundle, public_key)``: an entry bundle (``entry``, ``inclusion_proof``, ``sth``
  and, for someone shown the record, ``record`` and ``salt``) — the STH is signed by the log, the
  leaf is the one the proof is about, the proof leads to the signed root, and the record is the
  one the leaf commits to;
- ``verify_consistency_bundle(old_sth, proof, public_key)``: a signed head kept earlier is a prefix
  of the newer signed head in the proof bundle (the log was only appended to);
- ``verify_sth(sth, public_key)``: a signed tree head on its own.

Each returns a short description of what it established and raises VerificationError otherwise.
The JSON formats are in docs/ledger.md; docs/examples/ledger/verify_bundle.py re-implements this
with hashlib and an Ed25519 library only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from civicgrid.ledger import merkle
from civicgrid.ledger.records import RecordError, check_record, parse_leaf
from civicgrid.ledger.signing import (
    SignatureError,
    SignedTreeHead,
    public_key_from_json,
    unb64,
)
from civicgrid.ledger.signing import verify_sth as _verify_signature


class VerificationError(ValueError):
    """The JSON does not prove what it claims."""


@dataclass(frozen=True)
class Verified:
    what: str
    tree_size: int
    leaf_index: int | None = None
    record_checked: bool = False

    def __str__(self) -> str:
        return self.what


def _key(public_key: bytes | str | dict[str, Any]) -> bytes:
    if isinstance(public_key, bytes):
        if len(public_key) != 32:
            raise VerificationError("an Ed25519 public key is 32 bytes")
        return public_key
    try:
        return public_key_from_json(public_key)
    except SignatureError as exc:
        raise VerificationError(str(exc)) from exc


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise VerificationError(f"{what} must be a non-negative integer")
    return value


def _hashes(values: Any, what: str) -> list[bytes]:
    if not isinstance(values, list):
        raise VerificationError(f"{what} must be a list of base64 hashes")
    try:
        return [unb64(v, what) for v in values]
    except SignatureError as exc:
        raise VerificationError(str(exc)) from exc


def verify_sth(sth: Any, public_key: bytes | str | dict[str, Any]) -> SignedTreeHead:
    """The signed tree head, once its signature is checked with ``public_key``."""
    try:
        head = SignedTreeHead.from_json(sth)
        _verify_signature(head, _key(public_key))
    except SignatureError as exc:
        raise VerificationError(f"signed tree head: {exc}") from exc
    return head


def verify_bundle(bundle: Any, public_key: bytes | str | dict[str, Any]) -> Verified:
    """Check an entry bundle end to end (see the module docstring)."""
    if not isinstance(bundle, dict):
        raise VerificationError("a bundle is a JSON object")
    head = verify_sth(bundle.get("sth"), public_key)
    entry, proof = bundle.get("entry"), bundle.get("inclusion_proof")
    if not isinstance(entry, dict) or not isinstance(proof, dict):
        raise VerificationError("bundle needs 'entry' and 'inclusion_proof' objects")
    index = _int(entry.get("leaf_index"), "entry.leaf_index")
    try:
        leaf = unb64(entry.get("leaf_input"), "entry.leaf_input")
    except SignatureError as exc:
        raise VerificationError(str(exc)) from exc
    leaf_hash = merkle.leaf_hash(leaf)
    if _int(proof.get("leaf_index"), "inclusion_proof.leaf_index") != index:
        raise VerificationError("proof is about another leaf index")
    if _int(proof.get("tree_size"), "inclusion_proof.tree_size") != head.tree_size:
        raise VerificationError("proof is for another tree size than the signed head")
    if "leaf_hash" in proof and _hashes([proof["leaf_hash"]], "leaf_hash")[0] != leaf_hash:
        raise VerificationError("proof's leaf_hash is not the hash of the entry")
    path = _hashes(proof.get("audit_path"), "inclusion_proof.audit_path")
    try:
        merkle.verify_inclusion(index, head.tree_size, leaf_hash, path, head.root_hash)
    except merkle.ProofError as exc:
        raise VerificationError(f"inclusion proof: {exc}") from exc
    try:
        doc = parse_leaf(leaf)
    except RecordError as exc:
        raise VerificationError(str(exc)) from exc
    if "leaf" in entry and entry["leaf"] != doc:
        raise VerificationError("entry.leaf is not what entry.leaf_input says")
    if doc.get("seq") != index:
        raise VerificationError("leaf's seq is not its index")
    checked = False
    if "record" in bundle:
        try:
            salt = unb64(bundle.get("salt"), "salt")
            check_record(doc, bundle["record"], salt)
        except (RecordError, SignatureError) as exc:
            raise VerificationError(f"event record: {exc}") from exc
        checked = True
    what = f"entry {index} is in the log signed at size {head.tree_size}"
    if checked:
        what += ", and the record shown is the one it commits to"
    return Verified(what, head.tree_size, index, checked)


def verify_consistency_bundle(
    old_sth: Any, bundle: Any, public_key: bytes | str | dict[str, Any]
) -> Verified:
    """Check that a signed head kept earlier is a prefix of the bundle's newer signed head."""
    old = verify_sth(old_sth, public_key)
    if not isinstance(bundle, dict):
        raise VerificationError("a consistency bundle is a JSON object")
    new = verify_sth(bundle.get("sth"), public_key)
    first = _int(bundle.get("first"), "first")
    second = _int(bundle.get("second"), "second")
    if (first, second) != (old.tree_size, new.tree_size):
        raise VerificationError("proof sizes differ from the signed heads' sizes")
    proof = _hashes(bundle.get("consistency"), "consistency")
    try:
        merkle.verify_consistency(first, second, proof, old.root_hash, new.root_hash)
    except merkle.ProofError as exc:
        raise VerificationError(f"consistency proof: {exc}") from exc
    return Verified(
        f"the log at size {first} is a prefix of the log signed at size {second}", second
    )
