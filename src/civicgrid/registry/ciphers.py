"""加密批处理 — batch encryption and blind indexes for bulk imports, optionally in a worker process.

``BulkCipher`` produces exactly what ``FieldCipher.encrypt``/``blind_index`` produce (tests hold
them together) at about half the cost per value: one ``os.urandom`` call per batch for the
nonces, and HMAC-SHA256 from pre-keyed inner/outer SHA-256 states instead of a new HMAC object
per value.

``CryptoPool`` runs that work in one forked worker process.
"""

from __future__ import annotations

import binascii
import hashlib
import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from civicgrid.kit.crypto import PREFIX, FieldCipher


class BulkCipher:
    """Batch ``encrypt`` and ``blind_index`` with the first (current) key of a FieldCipher."""

    def __init__(self, cipher: FieldCipher) -> None:
        self.cipher = cipher
        key_id, key = cipher.keys[0]
        self._aead = AESGCM(key)
        self._prefix = f"{PREFIX}.{key_id}."
        block = cipher.index_key.ljust(64, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))

    def encrypt_many(self, values: Sequence[str]) -> list[str]:
        nonces = os.urandom(12 * len(values))
        seal = self._aead.encrypt
        b64 = binascii.b2a_base64
        prefix = self._prefix
        out = []
        for i, value in enumerate(values):
            nonce = nonces[12 * i : 12 * i + 12]
            sealed = b64(nonce + seal(nonce, value.encode(), None), newline=False)
            out.append(prefix + sealed.decode())
        return out

    def index_many(self, values: Sequence[str]) -> list[str]:
        """HMAC-SHA256 over the normalised value, identical to ``FieldCipher.blind_index``."""
        inner, outer = self._inner.copy, self._outer.copy
        out = []
        for value in values:
            h = inner()
            if value.isascii() and (value.isdigit() or value.isupper()) and value == value.strip():
                h.update(value.encode())  # already normalised (ID numbers, phones): skip
            else:
                h.update(value.strip().upper().encode())
            o = outer()
            o.update(h.digest())
            out.append(o.hexdigest())
        return out


_WORKER: BulkCipher | None = None


def _crypto_init(keys: tuple[tuple[str, bytes], ...], index_key: bytes) -> None:
    global _WORKER
    _WORKER = BulkCipher(FieldCipher(keys=keys, index_key=index_key))


def _split(joined: str) -> list[str]:
    return joined.split("\n") if joined else []


def _job(cipher: BulkCipher, ids: str, phones: str) -> tuple[str, str, str, str]:
    """Columns travel as newline-joined strings: one memcpy to pickle instead of 80,000 objects
    (ID numbers, phones, hex digests and base64 never contain a newline)."""
    id_values, phone_values = _split(ids), _split(phones)
    return (
        "\n".join(cipher.index_many(id_values)),
        "\n".join(cipher.encrypt_many(id_values)),
        "\n".join(cipher.index_many(phone_values)),
        "\n".join(cipher.encrypt_many(phone_values)),
    )


def _crypto_job(ids: str, phones: str) -> tuple[str, str, str, str]:
    assert _WORKER is not None
    return _job(_WORKER, ids, phones)


def _unpack(joined: tuple[str, ...]) -> tuple[list[str], ...]:
    return tuple(_split(s) for s in joined)


class CryptoResult:
    """The pending result of one ``CryptoPool.submit``; ``fallback`` computes the same values
    in this process, should the worker be gone."""

    def __init__(
        self,
        future: Future[tuple[str, str, str, str]] | None,
        fallback: Callable[[], tuple[str, str, str, str]],
    ) -> None:
        self._future, self._fallback = future, fallback

    def result(self) -> tuple[list[str], ...]:
        """(id indexes, id ciphertexts, phone indexes, phone ciphertexts)."""
        if self._future is not None:
            try:
                return _unpack(self._future.result())
            except BrokenProcessPool:
                pass  # the worker died (killed, out of memory): do the work here instead
        return _unpack(self._fallback())


class CryptoPool:
    """Blind indexes and ciphertexts computed in one separate process.

    AES-GCM and HMAC hold the GIL for small inputs, so threads cannot share this work; a process
    can, and on two cores it takes the largest single cost of a bulk import off the main thread.

    The worker is *forked*, at construction, and ``available()`` refuses while other threads run:
    forking a single-threaded process is safe, and unlike ``spawn`` it never re-imports the
    caller's ``__main__`` (a script without an ``if __name__ == "__main__"`` guard would run again
    in the child). Results never depend on the worker: if it is gone, the work is done here.
    """

    def __init__(self, cipher: FieldCipher) -> None:
        self._local = BulkCipher(cipher)
        self._pool = ProcessPoolExecutor(
            1,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_crypto_init,
            initargs=(cipher.keys, cipher.index_key),
        )
        self._pool.submit(_crypto_job, "", "").result()  # fork now, while single-threaded

    @staticmethod
    def available() -> bool:
        return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1

    def submit(self, ids: list[str], phones: list[str]) -> CryptoResult:
        joined_ids, joined_phones = "\n".join(ids), "\n".join(phones)

        def here() -> tuple[str, str, str, str]:
            return _job(self._local, joined_ids, joined_phones)

        try:
            future = self._pool.submit(_crypto_job, joined_ids, joined_phones)
        except BrokenProcessPool:
            future = None
        return CryptoResult(future, here)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
