"""A civicgrid ledger verifier written from docs/ledger.md alone (standard library + Ed25519).

    python verify_bundle.py public_key.json entry_5.json
    python verify_bundle.py public_key.json consistency_3_7.json sth_3.json

It imports nothing from civicgrid: it is the proof that the formats are enough to re-implement
the checks (tests/ledger/test_docs.py runs it against the worked example).
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


class NotVerified(Exception):
    pass


def b64d(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def check_sth(sth: dict[str, Any], key: dict[str, str]) -> bytes:
    """Return the root hash of a signed tree head after checking its signature."""
    public_key = b64d(key["public_key"])
    log_id = hashlib.sha256(public_key).digest()
    if b64d(sth["log_id"]) != log_id:
        raise NotVerified("head signed for another log")
    message = (
        "civicgrid-ledger-sth-v1\n"
        f"{base64.b64encode(log_id).decode()}\n"
        f"{sth['tree_size']}\n{sth['timestamp']}\n{sth['sha256_root_hash']}\n"
    ).encode()
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(
            b64d(sth["tree_head_signature"]), message
        )
    except Exception as exc:
        raise NotVerified("bad signature") from exc
    return b64d(sth["sha256_root_hash"])


def check_inclusion(
    index: int, size: int, leaf_hash: bytes, path: list[bytes], root: bytes
) -> None:
    """RFC 9162 §2.1.3.2."""
    if index >= size:
        raise NotVerified("index outside the tree")
    fn, sn, r = index, size - 1, leaf_hash
    for p in path:
        if sn == 0:
            raise NotVerified("path too long")
        if fn & 1 or fn == sn:
            r = node(p, r)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0 or r != root:
        raise NotVerified("inclusion proof does not lead to the signed root")


def check_consistency(m: int, n: int, proof: list[bytes], old: bytes, new: bytes) -> None:
    """RFC 9162 §2.1.4.2 (m < n)."""
    if not 0 < m < n or not proof:
        raise NotVerified("no consistency proof between these sizes")
    if m & (m - 1) == 0:
        proof = [old, *proof]
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            raise NotVerified("proof too long")
        if fn & 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0 or fr != old or sr != new:
        raise NotVerified("consistency proof does not match the signed roots")


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def check_entry(bundle: dict[str, Any], key: dict[str, str]) -> str:
    root = check_sth(bundle["sth"], key)
    leaf = b64d(bundle["entry"]["leaf_input"])
    index = bundle["entry"]["leaf_index"]
    proof = bundle["inclusion_proof"]
    if proof["leaf_index"] != index or proof["tree_size"] != bundle["sth"]["tree_size"]:
        raise NotVerified("proof is about another leaf or head")
    leaf_hash = hashlib.sha256(b"\x00" + leaf).digest()
    check_inclusion(
        index, proof["tree_size"], leaf_hash, [b64d(p) for p in proof["audit_path"]], root
    )
    fields = json.loads(leaf)
    if fields["seq"] != index:
        raise NotVerified("leaf is not at its own position")
    if "record" in bundle:
        record = bundle["record"]
        commit = hashlib.sha256(b64d(bundle["salt"]) + canonical(record)).hexdigest()
        subject = f"{record['subject_type']}:{record['subject_id']}"
        if (commit, record["event_type"], subject) != (
            fields["commit"],
            fields["type"],
            fields["subject"],
        ):
            raise NotVerified("record is not the one the leaf commits to")
    return f"entry {index} is in the log of size {proof['tree_size']}"


def check_prefix(bundle: dict[str, Any], old_sth: dict[str, Any], key: dict[str, str]) -> str:
    old, new = check_sth(old_sth, key), check_sth(bundle["sth"], key)
    m, n = old_sth["tree_size"], bundle["sth"]["tree_size"]
    if (bundle["first"], bundle["second"]) != (m, n):
        raise NotVerified("proof is between other sizes")
    check_consistency(m, n, [b64d(p) for p in bundle["consistency"]], old, new)
    return f"the log of size {m} is a prefix of the log of size {n}"


def main(argv: list[str]) -> int:
    files = [json.loads(Path(path).read_text(encoding="utf-8")) for path in argv[1:]]
    key, bundle = files[0], files[1]
    try:
        if "consistency" in bundle:
            print(check_prefix(bundle, files[2], key))
        else:
            print(check_entry(bundle, key))
    except (NotVerified, KeyError, ValueError) as exc:
        print(f"NOT VERIFIED: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
