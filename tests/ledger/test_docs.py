"""docs/ledger.md stays honest: its worked example is rebuilt from the code, shown verbatim, and
accepted by both verifiers (ours and the standalone one written from the page)."""

from __future__ import annotations

import base64
import copy
import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from civicgrid.ledger import canonical, merkle
from civicgrid.ledger.verify import VerificationError, verify_bundle, verify_consistency_bundle
from tests.ledger.docs_example import EXAMPLES, build

DOC = Path(__file__).resolve().parents[2] / "docs" / "ledger.md"


def _load(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def _standalone() -> ModuleType:
    spec = importlib.util.spec_from_file_location("verify_bundle", EXAMPLES / "verify_bundle.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_example_files_are_what_the_code_produces() -> None:
    for name, text in build().items():
        assert (EXAMPLES / name).read_text(encoding="utf-8") == text, (
            f"{name} is stale: run .venv/bin/python -m tests.ledger.docs_example"
        )


def test_the_page_shows_the_example_files_verbatim() -> None:
    page = DOC.read_text(encoding="utf-8")
    shown = dict(re.findall(r"<!-- example: (\S+) -->\n```json\n(.*?)```", page, flags=re.S))
    assert set(shown) == set(build())
    for name, text in shown.items():
        assert text == (EXAMPLES / name).read_text(encoding="utf-8"), name


def test_the_leaf_shown_in_the_text_is_the_example_leaf() -> None:
    page = DOC.read_text(encoding="utf-8")
    leaf = base64.b64decode(_load("entry_5.json")["entry"]["leaf_input"])
    record = canonical.dumps(_load("entry_5.json")["record"])
    assert record.decode() in page
    shown_leaf = re.search(r'\{"commit":"[^"]+","seq":5[^\n]+\}', page)
    assert shown_leaf is not None
    prefix, suffix = shown_leaf.group(0).split("…")
    assert leaf.decode().startswith(prefix) and leaf.decode().endswith(suffix)


def test_both_verifiers_accept_the_example() -> None:
    key, entry = _load("public_key.json"), _load("entry_5.json")
    old, prefix = _load("sth_3.json"), _load("consistency_3_7.json")
    assert verify_bundle(entry, key).record_checked
    verify_consistency_bundle(old, prefix, key)
    standalone = _standalone()
    assert standalone.check_entry(entry, key) == "entry 5 is in the log of size 7"
    assert "prefix" in standalone.check_prefix(prefix, old, key)
    path = [base64.b64decode(p) for p in entry["inclusion_proof"]["audit_path"]]
    leaf_hash = merkle.leaf_hash(base64.b64decode(entry["entry"]["leaf_input"]))
    root = merkle.node_hash(
        path[2], merkle.node_hash(merkle.node_hash(path[0], leaf_hash), path[1])
    )
    assert base64.b64encode(root).decode() == entry["sth"]["sha256_root_hash"]  # as the page says


def _altered(data: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(data)
    target = out
    *parents, last = dotted.split(".")
    for part in parents:
        target = target[part]
    target[last] = value(target[last]) if callable(value) else value
    return out


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("entry.leaf_input", lambda v: v[:-8] + "AAAAAAA="),
        ("entry.leaf_index", 4),
        ("inclusion_proof.leaf_index", 4),
        ("inclusion_proof.audit_path", lambda v: v[:-1]),
        ("inclusion_proof.audit_path", lambda v: [v[1], v[0], v[2]]),
        ("sth.tree_size", 8),
        ("sth.timestamp", 1),
        ("sth.sha256_root_hash", base64.b64encode(bytes(32)).decode()),
        ("record.payload", {"points": 2000}),
        ("record.subject_id", "tb-89"),
        ("salt", base64.b64encode(bytes(16)).decode()),
    ],
)
def test_both_verifiers_reject_an_altered_example(field: str, value: Any) -> None:
    key = _load("public_key.json")
    bad = _altered(_load("entry_5.json"), field, value)
    with pytest.raises(VerificationError):
        verify_bundle(bad, key)
    standalone = _standalone()
    with pytest.raises((standalone.NotVerified, KeyError, ValueError)):
        standalone.check_entry(bad, key)


def test_both_verifiers_reject_a_consistency_proof_against_another_head() -> None:
    key, prefix = _load("public_key.json"), _load("consistency_3_7.json")
    forged_old = _altered(_load("sth_3.json"), "sha256_root_hash", lambda v: v[::-1])
    with pytest.raises(VerificationError):
        verify_consistency_bundle(forged_old, prefix, key)
    standalone = _standalone()
    with pytest.raises(standalone.NotVerified):
        standalone.check_prefix(prefix, forged_old, key)
    shorter = _altered(prefix, "consistency", lambda v: v[:-1])
    with pytest.raises(VerificationError):
        verify_consistency_bundle(_load("sth_3.json"), shorter, key)
    with pytest.raises(standalone.NotVerified):
        standalone.check_prefix(shorter, _load("sth_3.json"), key)
