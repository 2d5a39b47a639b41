"""Canonical JSON: the one byte form of every ledger leaf and every committed event record.

Rules (documented in docs/ledger.md so that anyone can reproduce them):

- objects with string keys sorted by Unicode code point, arrays in order;
- no whitespace: separators ``,`` and ``:``;
- strings as UTF-8, only ``"``, ``\\``, and the control characters U+0000..U+001F escaped
  (``\\n``, ``\\t``... or ``\\u00XX``), everything else written as is;
- integers in decimal within ±(2**53 - 1) so that every JSON implementation reads them exactly;
- ``true``, ``false`` and ``null`` allowed; floats (and NaN/Infinity) rejected: amounts are integers
  in the smallest unit (分 for money) or decimal strings.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

MAX_SAFE_INTEGER = 2**53 - 1
_STR = frozenset({str})


class CanonicalError(ValueError):
    """A value that has no canonical JSON form (a float, a non-string key, a huge integer...)."""


def check(value: Any, path: str = "$") -> None:
    """Raise CanonicalError unless ``value`` is made only of canonical JSON types.

    Lone surrogates in strings are caught when encoding (``encode_unchecked`` raises then).
    """
    try:
        _check_fast(value)
    except CanonicalError:
        _check_slow(value, path)  # again, to name the offending place
        raise


def _check_fast(value: Any) -> None:
    """The common shapes (dicts and lists of str/int/bool/None) without a call per scalar."""
    kind = type(value)
    if kind is dict:
        items = value.values()
        if not set(map(type, value)) <= _STR:  # every key a str, checked in C
            raise CanonicalError("object keys must be strings")
    elif kind is list:
        items = value
    else:
        items = (value,)
    for item in items:
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is int:
            if not -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
                raise CanonicalError("integer outside ±(2**53-1)")
            continue
        if kind is dict or kind is list:
            _check_fast(item)
            continue
        _check_slow(item, "$")


def _check_slow(value: Any, path: str) -> None:
    if value is None or isinstance(value, bool | str):
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise CanonicalError(f"{path}: string is not valid Unicode") from exc
        return
    if isinstance(value, int):
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise CanonicalError(f"{path}: integer outside ±(2**53-1)")
        return
    if isinstance(value, float):
        raise CanonicalError(f"{path}: floats are not allowed (use integers or decimal strings)")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalError(f"{path}: object keys must be strings")
            _check_slow(item, f"{path}.{key}")
        return
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _check_slow(item, f"{path}[{i}]")
        return
    raise CanonicalError(f"{path}: {type(value).__name__} has no canonical JSON form")


_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _no_default(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _make_encode() -> Callable[[Any], str]:
    """The C encoder built once (``JSONEncoder.encode`` rebuilds it on every call); same output."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover - CPython always has it
        return _ENCODER.encode
    chunks = make(
        None, _no_default, json.encoder.encode_basestring, None, ":", ",", True, False, False
    )

    def encode(value: Any) -> str:
        return "".join(chunks(value, 0))

    return encode


_encode = _make_encode()


def dumps(value: Any) -> bytes:
    """The canonical UTF-8 bytes of ``value`` (checked first)."""
    check(value)
    return encode_unchecked(value)


def encode_unchecked(value: Any) -> bytes:
    """Canonical bytes of a value already checked (the hot path of appends)."""
    try:
        return _encode(value).encode()
    except UnicodeEncodeError as exc:
        raise CanonicalError("string is not valid Unicode (lone surrogate)") from exc


def loads(data: bytes) -> Any:
    """Parse canonical bytes and insist they are canonical (re-encoding gives the same bytes)."""
    try:
        value = json.loads(data.decode("utf-8"), parse_float=_reject_float, parse_constant=_reject)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CanonicalError(f"not JSON: {exc}") from exc
    if dumps(value) != data:
        raise CanonicalError("JSON is not in canonical form")
    return value


def _reject_float(text: str) -> Any:
    raise CanonicalError(f"float {text} in canonical JSON")


def _reject(text: str) -> Any:
    raise CanonicalError(f"{text} in canonical JSON")
