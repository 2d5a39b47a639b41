"""Masking of personal fields for display (e.g. 4301**********1234)."""

from __future__ import annotations


def mask_id_number(value: str | None) -> str | None:
    if not value:
        return value
    if len(value) <= 8:
        return value[:1] + "*" * (len(value) - 1)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str | None) -> str | None:
    if not value:
        return value
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_address(value: str | None) -> str | None:
    """Keep the coarse part of an address (up to the residential compound), hide the unit."""
    if not value:
        return value
    for marker in ("栋", "幢", "号楼", "号"):
        cut = value.find(marker)
        if cut != -1:
            return value[: cut + len(marker)] + "****"
    keep = max(1, len(value) // 2)
    return value[:keep] + "****"


def mask_name(value: str | None) -> str | None:
    if not value:
        return value
    return value[0] + "*" * (len(value) - 1)
