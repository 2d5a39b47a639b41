"""去标识化 — de-identified registry extracts for analysis and third parties (pure, no I/O).

Direct identifiers (name, ID number, phone, exact address, coordinates) are dropped; the birth date
becomes an age band (or, if asked, the birth year); the grid is kept; each person and household is
named by a pseudonym, a keyed hash (HMAC-SHA256 under a key derived from the secret key) that is
stable across exports — so extracts can be joined — but cannot be reversed or recomputed without
the key.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

PERSON_COLUMNS = ("pid", "household", "grid_code", "grid", "gender", "age_band", "tags")
PERSON_COLUMNS_BY_YEAR = ("pid", "household", "grid_code", "grid", "gender", "birth_year", "tags")


def pseudonym_key(secret_key: str) -> bytes:
    return hashlib.sha256(b"civicgrid-pseudonym\x00" + secret_key.encode()).digest()


def pseudonym(key: bytes, kind: str, object_id: int | None) -> str | None:
    """16 hex characters (64 bits): ``P-…`` for people, ``H-…`` for households."""
    if object_id is None:
        return None
    digest = hmac.new(key, f"{kind}:{object_id}".encode(), hashlib.sha256).hexdigest()[:16]
    return f"{kind[:1].upper()}-{digest}"


def age_on(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def age_band(birth: date | None, today: date, width: int = 5, top: int = 85) -> str | None:
    """ "0-4", "5-9" … "80-84", "85+"; None when the birth date is unknown."""
    if birth is None:
        return None
    age = max(0, age_on(birth, today))
    if age >= top:
        return f"{top}+"
    low = age - age % width
    return f"{low}-{low + width - 1}"


@dataclass(frozen=True)
class PersonRow:
    """What the extract needs of a person, nothing more."""

    id: int
    household_id: int | None
    grid_code: str | None
    grid: str | None
    gender: str | None
    birth_date: date | None
    tags: tuple[str, ...]


def deidentify_people(
    rows: Iterable[PersonRow], *, key: bytes, today: date, birth_year: bool = False
) -> Iterator[tuple[str | int | None, ...]]:
    """Rows in the order of ``PERSON_COLUMNS`` (or ``PERSON_COLUMNS_BY_YEAR``)."""
    for r in rows:
        generalised: str | int | None
        if birth_year:
            generalised = r.birth_date.year if r.birth_date else None
        else:
            generalised = age_band(r.birth_date, today)
        yield (
            pseudonym(key, "person", r.id),
            pseudonym(key, "household", r.household_id),
            r.grid_code,
            r.grid,
            r.gender,
            generalised,
            ";".join(sorted(r.tags)),
        )
