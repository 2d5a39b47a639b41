"""Field encryption at rest (AES-256-GCM) and keyed blind indexes (HMAC-SHA256).

Keys come from the environment: ``CIVICGRID_FIELD_KEYS`` is a comma-separated list of
``<key_id>:<base64 32-byte key>``; the first key encrypts, all keys decrypt, which is what key
rotation needs (add a new key first, run ``civicgrid keys rotate``, then drop the old one).
Ciphertexts are text: ``v1.<key_id>.<base64(nonce|ciphertext|tag)>``.
The blind index key is derived from ``CIVICGRID_SECRET_KEY`` so that equal values (an ID number)
can be found and de-duplicated without decrypting anything.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import cached_property

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "v1"


class KeyError_(ValueError):
    """A key is missing or malformed."""


def generate_key() -> str:
    """A fresh base64 AES-256 key, for ``.env`` files and the demo."""
    return base64.b64encode(AESGCM.generate_key(bit_length=256)).decode("ascii")


@dataclass(frozen=True)
class FieldCipher:
    keys: tuple[tuple[str, bytes], ...]
    index_key: bytes

    @classmethod
    def from_config(cls, field_keys: str, secret_key: str) -> FieldCipher:
        parsed: list[tuple[str, bytes]] = []
        for part in filter(None, (p.strip() for p in field_keys.split(","))):
            key_id, sep, b64 = part.partition(":")
            if not sep or not key_id.isalnum():
                raise KeyError_("CIVICGRID_FIELD_KEYS entries must look like 'k1:<base64 key>'")
            raw = base64.b64decode(b64)
            if len(raw) != 32:
                raise KeyError_(f"field key {key_id!r} must be 32 bytes, got {len(raw)}")
            parsed.append((key_id, raw))
        if not parsed:
            raise KeyError_("no field encryption key configured (CIVICGRID_FIELD_KEYS)")
        if not secret_key:
            raise KeyError_("no CIVICGRID_SECRET_KEY configured")
        index_key = hashlib.sha256(b"civicgrid-blind-index\x00" + secret_key.encode()).digest()
        return cls(keys=tuple(parsed), index_key=index_key)

    @cached_property
    def _aead(self) -> dict[str, AESGCM]:
        return {kid: AESGCM(key) for kid, key in self.keys}

    @property
    def current_key_id(self) -> str:
        return self.keys[0][0]

    def encrypt(self, plaintext: str, *, context: str = "") -> str:
        key_id = self.keys[0][0]
        nonce = os.urandom(12)
        sealed = self._aead[key_id].encrypt(
            nonce, plaintext.encode("utf-8"), context.encode() or None
        )
        return f"{PREFIX}.{key_id}.{base64.b64encode(nonce + sealed).decode('ascii')}"

    def decrypt(self, token: str, *, context: str = "") -> str:
        prefix, key_id, b64 = token.split(".", 2)
        if prefix != PREFIX:
            raise KeyError_(f"unknown ciphertext version {prefix!r}")
        aead = self._aead.get(key_id)
        if aead is not None:
            blob = base64.b64decode(b64)
            return aead.decrypt(blob[:12], blob[12:], context.encode() or None).decode("utf-8")
        raise KeyError_(f"no key {key_id!r} to decrypt with (was it removed before rotation?)")

    def key_id_of(self, token: str) -> str:
        return token.split(".", 2)[1]

    def blind_index(self, value: str) -> str:
        """Deterministic keyed hash of a normalised value (hex, 64 chars)."""
        normalised = value.strip().upper().encode("utf-8")
        return hmac.new(self.index_key, normalised, hashlib.sha256).hexdigest()
