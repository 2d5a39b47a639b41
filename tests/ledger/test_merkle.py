"""RFC 6962 hashing and proofs: the published test vectors, then properties over random trees."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid.ledger import merkle
from civicgrid.ledger.merkle import ProofError
from tests.conftest import shared_data


def _b(text: str) -> bytes:
    return base64.b64decode(text)


def _vectors(kind: str) -> list[tuple[str, dict[str, Any]]]:
    root = shared_data("rfc6962-vectors", "transparency-dev-merkle", "testdata", kind)
    files = sorted(root.rglob("*.json"))
    return [(str(p.relative_to(root)), json.loads(p.read_text())) for p in files]


def test_reference_tree_roots_and_hasher_vectors() -> None:
    ref = json.loads(shared_data("rfc6962-vectors", "reference-tree.json").read_text())
    leaves = [merkle.leaf_hash(bytes.fromhex(x)) for x in ref["leaf_inputs_hex"]]
    for size, want in enumerate(ref["root_hashes_hex_by_tree_size"]):
        assert merkle.root(leaves[:size]).hex() == want
        assert merkle.mth_reference(leaves[:size]).hex() == want
    for level, hashes in enumerate(ref["node_hashes_hex_by_level"]):
        for i, want in enumerate(hashes):
            start, height = i << level, level
            assert merkle.root(leaves[start : start + (1 << height)]).hex() == want
    by_desc = {v["desc"]: v for v in ref["hasher_vectors"]}
    assert merkle.EMPTY_ROOT.hex() == by_desc["empty tree root"]["want_hex"]
    assert merkle.leaf_hash(b"").hex() == by_desc["leaf hash of empty leaf"]["want_hex"]
    assert merkle.leaf_hash(b"L123456").hex() == by_desc["leaf hash"]["want_hex"]
    node = by_desc["children hash (raw 'N123','N456' as left/right)"]
    assert merkle.node_hash(b"N123", b"N456").hex() == node["want_hex"]


def test_inclusion_vectors() -> None:
    vectors = _vectors("inclusion")
    assert len(vectors) >= 98
    for name, v in vectors:
        try:
            merkle.verify_inclusion(
                v["leafIdx"],
                v["treeSize"],
                _b(v["leafHash"]),
                [_b(p) for p in v["proof"] or []],
                _b(v["root"]),
            )
            failed = False
        except ProofError:
            failed = True
        assert failed == v["wantErr"], name


def test_consistency_vectors() -> None:
    vectors = _vectors("consistency")
    assert len(vectors) >= 98
    for name, v in vectors:
        try:
            merkle.verify_consistency(
                v["size1"],
                v["size2"],
                [_b(p) for p in v["proof"] or []],
                _b(v["root1"]),
                _b(v["root2"]),
            )
            failed = False
        except ProofError:
            failed = True
        assert failed == v["wantErr"], name


def _reference_leaves() -> list[bytes]:
    ref = json.loads(shared_data("rfc6962-vectors", "reference-tree.json").read_text())
    return [merkle.leaf_hash(bytes.fromhex(x)) for x in ref["leaf_inputs_hex"]]


def test_generated_proofs_equal_the_vectors_happy_paths() -> None:
    """Our proof generator produces exactly the published proofs for the reference tree."""
    leaves = _reference_leaves()
    seen = 0
    for kind in ("inclusion", "consistency"):
        for name, v in _vectors(kind):
            if v["wantErr"] or not Path(name).name.startswith("happy-path"):
                continue
            if kind == "inclusion" and v["treeSize"] <= len(leaves):
                got = merkle.inclusion_proof(leaves, v["leafIdx"], v["treeSize"])
                if merkle.root(leaves[: v["treeSize"]]) == _b(v["root"]):
                    assert got == [_b(p) for p in v["proof"] or []], name
                    seen += 1
            if kind == "consistency" and v["size2"] <= len(leaves):
                got = merkle.consistency_proof(leaves, v["size1"], v["size2"])
                if merkle.root(leaves[: v["size2"]]) == _b(v["root2"]):
                    assert got == [_b(p) for p in v["proof"] or []], name
                    seen += 1
    assert seen == 10  # all five inclusion and five consistency happy paths


# -- the RFC's recursive definitions, written literally, as oracles --------------------------------


def path_reference(m: int, leaves: list[bytes]) -> list[bytes]:
    n = len(leaves)
    if n == 1:
        return []
    k = merkle.split_point(n)
    if m < k:
        return [*path_reference(m, leaves[:k]), merkle.mth_reference(leaves[k:])]
    return [*path_reference(m - k, leaves[k:]), merkle.mth_reference(leaves[:k])]


def subproof_reference(m: int, leaves: list[bytes], whole: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if whole else [merkle.mth_reference(leaves)]
    k = merkle.split_point(n)
    if m <= k:
        return [*subproof_reference(m, leaves[:k], whole), merkle.mth_reference(leaves[k:])]
    return [*subproof_reference(m - k, leaves[k:], False), merkle.mth_reference(leaves[:k])]


def _leaves(n: int) -> list[bytes]:
    return [merkle.leaf_hash(b'{"seq":%d}' % i) for i in range(n)]


sizes = st.integers(min_value=1, max_value=300)


@settings(max_examples=150, deadline=None)
@given(n=st.integers(min_value=0, max_value=300))
def test_root_equals_the_recursive_definition(n: int) -> None:
    leaves = _leaves(n)
    assert merkle.root(leaves) == merkle.mth_reference(leaves)


@settings(max_examples=150, deadline=None)
@given(data=st.data(), n=sizes)
def test_every_inclusion_proof_verifies_and_matches_the_rfc(data: st.DataObject, n: int) -> None:
    leaves = _leaves(n)
    root = merkle.root(leaves)
    index = data.draw(st.integers(min_value=0, max_value=n - 1))
    proof = merkle.inclusion_proof(leaves, index, n)
    assert proof == path_reference(index, leaves)
    merkle.verify_inclusion(index, n, leaves[index], proof, root)
    # another leaf, another position, a flipped bit, a dropped or an extra element: all fail
    other = data.draw(st.integers(min_value=0, max_value=n - 1).filter(lambda j: j != index))
    if n > 1:
        with pytest.raises(ProofError):
            merkle.verify_inclusion(index, n, leaves[other], proof, root)
        with pytest.raises(ProofError):
            merkle.verify_inclusion(other, n, leaves[index], proof, root)
        pos = data.draw(st.integers(min_value=0, max_value=len(proof) - 1))
        bit = data.draw(st.integers(min_value=0, max_value=255))
        bad = list(proof)
        bad[pos] = bytes(
            b ^ (1 << (bit % 8)) if i == bit // 8 else b for i, b in enumerate(bad[pos])
        )
        with pytest.raises(ProofError):
            merkle.verify_inclusion(index, n, leaves[index], bad, root)
        with pytest.raises(ProofError):
            merkle.verify_inclusion(index, n, leaves[index], proof[:-1], root)
    with pytest.raises(ProofError):
        merkle.verify_inclusion(index, n, leaves[index], [*proof, root], root)


@settings(max_examples=150, deadline=None)
@given(data=st.data(), n=sizes)
def test_every_consistency_proof_verifies_and_matches_the_rfc(data: st.DataObject, n: int) -> None:
    leaves = _leaves(n)
    m = data.draw(st.integers(min_value=1, max_value=n))
    proof = merkle.consistency_proof(leaves, m, n)
    assert proof == subproof_reference(m, leaves, True)
    old_root, new_root = merkle.root(leaves[:m]), merkle.root(leaves)
    merkle.verify_consistency(m, n, proof, old_root, new_root)
    if m < n:
        pos = data.draw(st.integers(min_value=0, max_value=len(proof) - 1))
        bad = list(proof)
        bad[pos] = bytes([bad[pos][0] ^ 1]) + bad[pos][1:]
        with pytest.raises(ProofError):
            merkle.verify_consistency(m, n, bad, old_root, new_root)
        with pytest.raises(ProofError):
            merkle.verify_consistency(m, n, proof, merkle.leaf_hash(b"x"), new_root)
        with pytest.raises(ProofError):
            merkle.verify_consistency(m, n, proof, old_root, merkle.leaf_hash(b"x"))


def _tamper(leaves: list[bytes], how: str, k: int, other: int) -> list[bytes]:
    out = list(leaves)
    if how == "change":
        out[k] = merkle.leaf_hash(b'{"seq":%d,"x":1}' % k)
    elif how == "drop":
        del out[k]
    elif how == "swap":
        out[k], out[other] = out[other], out[k]
    elif how == "insert":
        out.insert(k, merkle.leaf_hash(b'{"forged":true}'))
    return out


@settings(max_examples=200, deadline=None)
@given(
    data=st.data(),
    n=st.integers(min_value=2, max_value=200),
    how=st.sampled_from(["change", "drop", "swap", "insert"]),
)
def test_rewritten_history_fails_every_proof_against_old_heads(
    data: st.DataObject, n: int, how: str
) -> None:
    """Whoever kept an old signed head catches any change to the entries it covered."""
    leaves = _leaves(n)
    m = data.draw(st.integers(min_value=1, max_value=n))  # size of the head the auditor kept
    k = data.draw(st.integers(min_value=0, max_value=m - 1))  # a position that head covers
    other = data.draw(st.integers(min_value=0, max_value=n - 1).filter(lambda j: j != k))
    old_root = merkle.root(leaves[:m])
    forged = _tamper(leaves, how, k, other)
    size = len(forged)
    if size >= m:
        with pytest.raises(ProofError):
            merkle.verify_consistency(
                m,
                size,
                merkle.consistency_proof(forged, m, size),
                old_root,
                merkle.root(forged),
            )
    # the forged log holds something else at position k, so its proofs are about that
    if k < size:
        assert forged[k] != leaves[k]
        proof = merkle.inclusion_proof(forged, k, size)
        with pytest.raises(ProofError):
            merkle.verify_inclusion(k, size, leaves[k], proof, merkle.root(forged))


def test_proof_arguments_out_of_range() -> None:
    leaves = _leaves(5)
    with pytest.raises(ProofError):
        merkle.inclusion_proof(leaves, 5, 5)
    with pytest.raises(ProofError):
        merkle.consistency_proof(leaves, 0, 5)
    with pytest.raises(ProofError):
        merkle.consistency_proof(leaves, 3, 6)
    with pytest.raises(ProofError):
        merkle.verify_inclusion(0, 1, b"short", [], b"short")
    with pytest.raises(ValueError, match="subtree"):
        merkle.perfect_parts(1, 3)
    assert merkle.consistency_proof(leaves, 5, 5) == []


def test_frontier_append_reports_completed_subtrees() -> None:
    leaves = _leaves(8)
    frontier: list[bytes] = []
    completed = [merkle.frontier_append(frontier, i, h) for i, h in enumerate(leaves)]
    assert [len(c) for c in completed] == [0, 1, 0, 2, 0, 1, 0, 3]
    assert completed[7][-1] == merkle.root(leaves)
    assert completed[3][0] == merkle.node_hash(leaves[2], leaves[3])
    assert frontier == [merkle.root(leaves)]
