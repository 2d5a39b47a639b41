"""上链存证 — tamper-evident RFC 6962 Merkle log with signed tree heads and proofs."""
