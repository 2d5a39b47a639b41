"""Signed tree heads (STH) with Ed25519, and the log's signing key.

The signature covers these exact bytes (UTF-8, every line ending in ``\\n``)::

    civicgrid-ledger-sth-v1
    <log_id, base64>
    <tree_size, decimal>
    <timestamp, milliseconds since 1970-01-01T00:00:00Z, decimal>
    <root hash, base64>

``log_id`` is SHA-256 of the raw 32-byte Ed25519 public key. Base64 is the standard alphabet
with padding (RFC 4648 §4).

The key comes from ``CIVICGRID_LEDGER_SIGNING_KEY`` (base64 of the raw 32-byte private key);
when that is empty (demo, development) one is generated once and kept in
``<data_dir>/ledger_signing.key`` (mode 0600). A production deployment sets the variable and
keeps a copy of the key offline.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from civicgrid.config import Settings

log = logging.getLogger(__name__)

STH_CONTEXT = "civicgrid-ledger-sth-v1"
SIGNATURE_ALGORITHM = "ed25519"
KEY_FILE = "ledger_signing.key"


class SignatureError(ValueError):
    """A tree head whose signature does not verify, or a malformed head or key."""


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: Any, what: str) -> bytes:
    if not isinstance(text, str):
        raise SignatureError(f"{what} must be a base64 string")
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise SignatureError(f"{what} is not valid base64") from exc


def log_id_of(public_key: bytes) -> bytes:
    return hashlib.sha256(public_key).digest()


def sth_message(*, log_id: bytes, tree_size: int, timestamp: int, root_hash: bytes) -> bytes:
    """The exact bytes an STH signature covers."""
    return (f"{STH_CONTEXT}\n{b64(log_id)}\n{tree_size}\n{timestamp}\n{b64(root_hash)}\n").encode()


@dataclass(frozen=True)
class SignedTreeHead:
    tree_size: int
    timestamp: int
    root_hash: bytes
    log_id: bytes
    signature: bytes

    def message(self) -> bytes:
        return sth_message(
            log_id=self.log_id,
            tree_size=self.tree_size,
            timestamp=self.timestamp,
            root_hash=self.root_hash,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "tree_size": self.tree_size,
            "timestamp": self.timestamp,
            "sha256_root_hash": b64(self.root_hash),
            "log_id": b64(self.log_id),
            "signature_algorithm": SIGNATURE_ALGORITHM,
            "tree_head_signature": b64(self.signature),
        }

    @classmethod
    def from_json(cls, data: Any) -> SignedTreeHead:
        if not isinstance(data, dict):
            raise SignatureError("a signed tree head is a JSON object")
        if data.get("signature_algorithm", SIGNATURE_ALGORITHM) != SIGNATURE_ALGORITHM:
            raise SignatureError("unsupported signature algorithm")
        return cls(
            tree_size=_count(data, "tree_size"),
            timestamp=_count(data, "timestamp"),
            root_hash=unb64(data.get("sha256_root_hash"), "sha256_root_hash"),
            log_id=unb64(data.get("log_id"), "log_id"),
            signature=unb64(data.get("tree_head_signature"), "tree_head_signature"),
        )


def _count(data: dict[str, Any], name: str) -> int:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SignatureError(f"{name} must be a non-negative integer")
    return value


def public_key_from_json(data: Any) -> bytes:
    """The raw public key from ``{"public_key": "<base64>", ...}`` or a bare base64 string."""
    text = data.get("public_key") if isinstance(data, dict) else data
    key = unb64(text, "public_key")
    if len(key) != 32:
        raise SignatureError("an Ed25519 public key is 32 bytes")
    return key


def public_key_json(public_key: bytes) -> dict[str, str]:
    return {
        "algorithm": SIGNATURE_ALGORITHM,
        "public_key": b64(public_key),
        "log_id": b64(log_id_of(public_key)),
    }


def verify_sth(sth: SignedTreeHead, public_key: bytes) -> None:
    """Raise SignatureError unless ``sth`` was signed by the holder of ``public_key``."""
    if sth.log_id != log_id_of(public_key):
        raise SignatureError("tree head names another log (log_id differs from the key's)")
    if len(sth.root_hash) != 32:
        raise SignatureError("root hash must be 32 bytes")
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(sth.signature, sth.message())
    except (InvalidSignature, ValueError) as exc:
        raise SignatureError("tree head signature does not verify") from exc


class Signer:
    """Holds the private key; signs tree heads."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self.public_key = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.log_id = log_id_of(self.public_key)

    @classmethod
    def from_seed(cls, seed: bytes) -> Signer:
        if len(seed) != 32:
            raise SignatureError("an Ed25519 private key is 32 bytes")
        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    def sign(self, *, tree_size: int, timestamp: int, root_hash: bytes) -> SignedTreeHead:
        message = sth_message(
            log_id=self.log_id, tree_size=tree_size, timestamp=timestamp, root_hash=root_hash
        )
        return SignedTreeHead(
            tree_size=tree_size,
            timestamp=timestamp,
            root_hash=root_hash,
            log_id=self.log_id,
            signature=self._key.sign(message),
        )

    def public_key_json(self) -> dict[str, str]:
        return public_key_json(self.public_key)


def _raw_private(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


def _read_key_file(path: Path) -> bytes:
    seed = unb64(path.read_text(encoding="ascii").strip(), str(path))
    if len(seed) != 32:
        raise SignatureError(f"{path} does not hold a 32-byte Ed25519 key")
    return seed


def _key_from_file(path: Path) -> bytes:
    """Read the key file, creating it (mode 0600, never overwriting) when it does not exist."""
    if path.exists():
        return _read_key_file(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    seed = _raw_private(Ed25519PrivateKey.generate())
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race: use its key
        return _read_key_file(path)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(b64(seed) + "\n")
    log.warning("generated a new ledger signing key in %s (set CIVICGRID_LEDGER_SIGNING_KEY)", path)
    return seed


_cache: dict[tuple[str, str], Signer] = {}
_lock = threading.Lock()


def signer_for(settings: Settings) -> Signer:
    """The log's signer for these settings (key from the environment or the data directory)."""
    configured = settings.ledger_signing_key.strip()
    path = Path(settings.data_dir) / KEY_FILE
    cache_key = (configured, "" if configured else str(path.resolve()))
    with _lock:
        signer = _cache.get(cache_key)
        if signer is None:
            if configured:
                seed = unb64(configured, "CIVICGRID_LEDGER_SIGNING_KEY")
            else:
                seed = _key_from_file(path)
            signer = Signer.from_seed(seed)
            _cache[cache_key] = signer
        return signer
