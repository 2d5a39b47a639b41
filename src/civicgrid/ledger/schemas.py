"""JSON shapes of the ledger API (documented field by field in docs/ledger.md)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class SignedTreeHeadOut(BaseModel):
    tree_size: int = Field(description="number of leaves the head covers")
    timestamp: int = Field(description="milliseconds since 1970-01-01T00:00:00Z when signed")
    sha256_root_hash: str = Field(description="RFC 6962 root hash, base64")
    log_id: str = Field(description="SHA-256 of the raw Ed25519 public key, base64")
    signature_algorithm: str = Field(description='always "ed25519"')
    tree_head_signature: str = Field(description="Ed25519 signature, base64 (docs/ledger.md)")


class PublicKeyOut(BaseModel):
    algorithm: str = Field(description='always "ed25519"')
    public_key: str = Field(description="raw 32-byte Ed25519 public key, base64")
    log_id: str = Field(description="SHA-256 of the raw public key, base64")


class EntryOut(BaseModel):
    leaf_index: int
    leaf_input: str = Field(description="the exact leaf bytes (canonical JSON), base64")
    leaf: dict[str, Any] = Field(description="leaf_input parsed, for reading only")


class InclusionProofOut(BaseModel):
    leaf_index: int
    tree_size: int
    leaf_hash: str = Field(description="SHA-256(0x00 || leaf), base64")
    audit_path: list[str] = Field(description="RFC 9162 inclusion path, leaf to root, base64")


class EntryBundleOut(BaseModel):
    entry: EntryOut
    inclusion_proof: InclusionProofOut
    sth: SignedTreeHeadOut


class ConsistencyOut(BaseModel):
    first: int = Field(description="the older tree size")
    second: int = Field(description="the newer tree size")
    consistency: list[str] = Field(description="RFC 9162 consistency proof, base64")
    sth: SignedTreeHeadOut = Field(description="the signed head of the newer size")
