"""Builds the worked example of docs/ledger.md, deterministically (a test keeps docs honest).

Regenerate the files with ``.venv/bin/python -m tests.ledger.docs_example``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from civicgrid.ledger import canonical, merkle, records
from civicgrid.ledger.records import EventRecord
from civicgrid.ledger.signing import Signer, b64

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples" / "ledger"
# A published, worthless key: never use it for anything but this example.
EXAMPLE_SEED = hashlib.sha256(
    b"civicgrid ledger documentation example: never use this key"
).digest()
T0 = 1_795_400_000_000  # 2026-11-23T…Z in milliseconds

EVENTS = [
    EventRecord(301, "work_order", 1024, {"channel": "resident", "category": "占道经营"}, None),
    EventRecord(302, "work_order", 1024, {"triage": "government"}, 11),
    EventRecord(303, "work_order", 1024, {"department": "城管执法中队"}, 11),
    EventRecord(404, "vote_round", 7, {"project": 3, "choice": "B"}, None),
    EventRecord(304, "work_order", 1024, {"reason": ""}, 25),
    EventRecord(503, "timebank_transfer", "tb-88", {"points": 20}, 31),
    EventRecord(602, "benefit_decision", 9001, {"benefit": "高龄津贴", "fen": 10000}, 12),
]


def _salt(i: int) -> bytes:
    return hashlib.sha256(b"example salt %d" % i).digest()[:16]


def _dump(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def build() -> dict[str, str]:
    signer = Signer.from_seed(EXAMPLE_SEED)
    leaves: list[bytes] = []
    for seq, event in enumerate(EVENTS):
        commit = records.commitment(_salt(seq), canonical.dumps(event.document()))
        leaf = records.event_leaf(seq=seq, event=event, commit=commit, ts_ms=T0 + seq * 60_000)
        leaves.append(canonical.dumps(leaf))
    hashes = [merkle.leaf_hash(leaf) for leaf in leaves]
    old = signer.sign(tree_size=3, timestamp=T0 + 200_000, root_hash=merkle.root(hashes[:3]))
    new = signer.sign(tree_size=7, timestamp=T0 + 500_000, root_hash=merkle.root(hashes))
    index = 5
    entry = {
        "entry": {
            "leaf_index": index,
            "leaf_input": b64(leaves[index]),
            "leaf": json.loads(leaves[index]),
        },
        "inclusion_proof": {
            "leaf_index": index,
            "tree_size": 7,
            "leaf_hash": b64(hashes[index]),
            "audit_path": [b64(p) for p in merkle.inclusion_proof(hashes, index, 7)],
        },
        "sth": new.to_json(),
        "record": EVENTS[index].document(),
        "salt": b64(_salt(index)),
    }
    consistency = {
        "first": 3,
        "second": 7,
        "consistency": [b64(p) for p in merkle.consistency_proof(hashes, 3, 7)],
        "sth": new.to_json(),
    }
    return {
        "public_key.json": _dump(signer.public_key_json()),
        "sth_3.json": _dump(old.to_json()),
        "entry_5.json": _dump(entry),
        "consistency_3_7.json": _dump(consistency),
    }


if __name__ == "__main__":
    EXAMPLES.mkdir(parents=True, exist_ok=True)
    for name, text in build().items():
        (EXAMPLES / name).write_text(text, encoding="utf-8")
        print(EXAMPLES / name)
