"""RFC 6962 / RFC 9162 §2.1 Merkle tree hashing, proofs and proof verification (pure: no I/O).

- leaf hash ``SHA-256(0x00 || leaf)``, node hash ``SHA-256(0x01 || left || right)``,
  empty tree ``SHA-256("")``; a tree of ``n > 1`` leaves splits at ``k``, the largest power of two
  smaller than ``n`` (trees of any size, not only powers of two).
- A *range* ``(start, end)`` is the subtree ``MTH(D[start:end])`` as it occurs in the RFC recursion;
  every such range is a run of *perfect* subtrees ``(start, height)`` (2**height leaves, aligned),
  whose hashes a store keeps, so a proof over a stored log costs O(log n) lookups.
- The *frontier* (compact range ``[0, n)``) is the list of perfect-subtree hashes of the binary
  decomposition of ``n``, largest first; appending a leaf updates it in amortised O(1) hashes.
- Verification follows RFC 9162 §2.1.3.2 and §2.1.4.2, with the two stricter conventions of the
  transparency-dev/merkle reference implementation: hashes are exactly 32 bytes, and a consistency
  proof from an empty tree is an error.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

Range = tuple[int, int]  # (start, end), end exclusive
Perfect = tuple[int, int]  # (start, height): leaves [start, start + 2**height)


class ProofError(ValueError):
    """A proof that does not verify, or arguments no proof can exist for."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (``n >= 2``)."""
    if n < 2:
        raise ValueError("a split needs at least two leaves")
    return 1 << ((n - 1).bit_length() - 1)


# -- frontier (compact range) --------------------------------------------------------------------


def frontier_append(frontier: list[bytes], size: int, leaf: bytes) -> list[bytes]:
    """Append leaf hash ``leaf`` to the frontier of a tree of ``size`` leaves, in place.

    Returns the hashes of the perfect subtrees this leaf completes, heights 1, 2, ... (one per
    trailing 1-bit of ``size``): the node hashes a store keeps next to the leaf.
    """
    frontier.append(leaf)
    completed: list[bytes] = []
    while size & 1:
        right = frontier.pop()
        merged = node_hash(frontier.pop(), right)
        frontier.append(merged)
        completed.append(merged)
        size >>= 1
    return completed


def frontier_root(frontier: Sequence[bytes]) -> bytes:
    """The root of the tree whose frontier this is (a right fold of the perfect subtrees)."""
    if not frontier:
        return EMPTY_ROOT
    acc = frontier[-1]
    for left in reversed(frontier[:-1]):
        acc = node_hash(left, acc)
    return acc


def frontier_ranges(size: int) -> list[Perfect]:
    """The perfect subtrees ``(start, height)`` that make up the frontier of ``size`` leaves."""
    return perfect_parts(0, size)


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH of a list of leaf hashes, in O(n) hashes."""
    frontier: list[bytes] = []
    for i, leaf in enumerate(leaf_hashes):
        frontier_append(frontier, i, leaf)
    return frontier_root(frontier)


def mth_reference(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH written exactly as the RFC's recursive definition (slow; the oracle in tests)."""
    n = len(leaf_hashes)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaf_hashes[0]
    k = split_point(n)
    return node_hash(mth_reference(leaf_hashes[:k]), mth_reference(leaf_hashes[k:]))


# -- ranges: which subtrees a proof is made of ---------------------------------------------------


def perfect_parts(start: int, end: int) -> list[Perfect]:
    """Split the RFC subtree ``[start, end)`` into aligned perfect subtrees, largest first."""
    parts: list[Perfect] = []
    pos = start
    while pos < end:
        height = (end - pos).bit_length() - 1
        if pos % (1 << height):
            raise ValueError(f"range [{start}, {end}) is not a subtree of an RFC 6962 tree")
        parts.append((pos, height))
        pos += 1 << height
    return parts


def fold_parts(hashes: Sequence[bytes]) -> bytes:
    """The hash of a range given the hashes of its perfect parts (largest first)."""
    return frontier_root(hashes)


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The ranges whose hashes make the audit path of leaf ``index`` (RFC 9162 §2.1.3.1).

    In proof order: the sibling nearest the leaf first, the root's other child last.
    """
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} outside a tree of size {size}")
    path: list[Range] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = split_point(hi - lo)
        if index < lo + k:
            path.append((lo + k, hi))
            hi = lo + k
        else:
            path.append((lo, lo + k))
            lo += k
    path.reverse()
    return path


def consistency_ranges(old_size: int, new_size: int) -> list[Range]:
    """The ranges whose hashes make the consistency proof between two sizes (RFC 9162 §2.1.4.1)."""
    if not 0 < old_size <= new_size:
        raise ProofError(f"no consistency proof from size {old_size} to size {new_size}")
    proof: list[Range] = []
    lo, hi = 0, new_size
    whole = True  # the SUBPROOF flag b: the old tree is still a whole subtree of this one
    while old_size - lo != hi - lo:
        k = split_point(hi - lo)
        if old_size - lo <= k:
            proof.append((lo + k, hi))
            hi = lo + k
        else:
            proof.append((lo, lo + k))
            lo += k
            whole = False
    if not whole:
        proof.append((lo, hi))
    proof.reverse()
    return proof


def range_hashes(ranges: Sequence[Range], perfect: Callable[[Perfect], bytes]) -> list[bytes]:
    """The hash of each range, given a lookup for perfect subtree hashes (stored or computed)."""
    return [fold_parts([perfect(p) for p in perfect_parts(a, b)]) for a, b in ranges]


def perfect_from_leaves(leaf_hashes: Sequence[bytes]) -> Callable[[Perfect], bytes]:
    """A perfect-subtree lookup computed from an in-memory list of leaf hashes."""

    def lookup(part: Perfect) -> bytes:
        start, height = part
        return root(leaf_hashes[start : start + (1 << height)])

    return lookup


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int, size: int) -> list[bytes]:
    """Audit path for leaf ``index`` in the tree of the first ``size`` leaves (in memory)."""
    if size > len(leaf_hashes):
        raise ProofError("tree size larger than the list of leaves")
    return range_hashes(inclusion_ranges(index, size), perfect_from_leaves(leaf_hashes))


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int, new_size: int) -> list[bytes]:
    """Consistency proof between the first ``old_size`` and ``new_size`` leaves (in memory)."""
    if new_size > len(leaf_hashes):
        raise ProofError("tree size larger than the list of leaves")
    return range_hashes(consistency_ranges(old_size, new_size), perfect_from_leaves(leaf_hashes))


# -- verification --------------------------------------------------------------------------------


def _check_hashes(proof: Sequence[bytes], what: str) -> None:
    for i, item in enumerate(proof):
        if len(item) != HASH_SIZE:
            raise ProofError(f"{what}[{i}] is {len(item)} bytes, not {HASH_SIZE}")


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root an audit path leads to (RFC 9162 §2.1.3.2 steps 1-3); raises when malformed."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} outside a tree of size {size}")
    if len(leaf) != HASH_SIZE:
        raise ProofError(f"leaf hash is {len(leaf)} bytes, not {HASH_SIZE}")
    _check_hashes(proof, "audit path")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError("audit path is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("audit path is too short")
    return r


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root_hash: bytes
) -> None:
    """Raise ProofError unless ``proof`` puts ``leaf`` (a hash) at ``index`` under ``root_hash``."""
    if root_from_inclusion_proof(index, size, leaf, proof) != root_hash:
        raise ProofError("audit path does not lead to the root hash")


def verify_consistency(
    old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes
) -> None:
    """Raise ProofError unless ``proof`` shows the old tree is a prefix of the new one."""
    if new_size < old_size:
        raise ProofError(f"new size {new_size} is smaller than old size {old_size}")
    if old_size == 0:
        raise ProofError("a consistency proof from the empty tree is meaningless")
    if old_size == new_size:
        if proof:
            raise ProofError("sizes are equal but the proof is not empty")
        if old_root != new_root:
            raise ProofError("sizes are equal but the roots differ")
        return
    if not proof:
        raise ProofError("empty consistency proof")
    _check_hashes(proof, "consistency proof")
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # an exact power of two: the old root is a node itself
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof is too short")
    if fr != old_root:
        raise ProofError("consistency proof does not lead to the old root")
    if sr != new_root:
        raise ProofError("consistency proof does not lead to the new root")
