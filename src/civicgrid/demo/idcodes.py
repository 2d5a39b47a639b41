"""证件号码 — valid (but invented) resident ID numbers, credit codes and mobile numbers.

- Resident ID number (GB 11643-1999): 6-digit region code + birth date (YYYYMMDD) + 3-digit
  sequence (odd for men, even for women) + an ISO 7064 MOD 11-2 check character.
- Unified social credit code (GB 32100-2015): registration authority + entity type + region code +
  9-character organisation code (GB 11714, with its own MOD 11 check) + a MOD 31 check character.
- Mobile numbers: an 11-digit number on a real operator prefix.
All pure functions, vectorised with numpy where it matters.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
ID_CHECK = "10X98765432"

# Region codes of birth places: Changsha's districts and counties most, the rest of Hunan next,
# a few from neighbouring provinces.
BIRTH_REGIONS: tuple[tuple[str, float], ...] = (
    ("430102", 6),
    ("430103", 6),
    ("430104", 9),
    ("430105", 5),
    ("430111", 6),
    ("430112", 4),
    ("430121", 5),
    ("430181", 5),
    ("430182", 4),
    ("430202", 2),
    ("430302", 2),
    ("430321", 2),
    ("430421", 2),
    ("430521", 2),
    ("430602", 2),
    ("430621", 2),
    ("430722", 2),
    ("430903", 2),
    ("431003", 1),
    ("431102", 1),
    ("431202", 1),
    ("433101", 1),
    ("360102", 0.5),
    ("420106", 0.5),
    ("440106", 0.5),
    ("500103", 0.5),
    ("450102", 0.3),
    ("520102", 0.3),
)

CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "134",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "173",
    "175",
    "176",
    "177",
    "178",
    "180",
    "181",
    "182",
    "183",
    "184",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "198",
    "199",
)


def id_check_char(first17: str) -> str:
    """The GB 11643 check character of the first 17 digits."""
    total = sum(int(c) * int(w) for c, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11]


def is_valid_id_number(value: str) -> bool:
    """Structure, a real calendar date and the check character of an 18-character ID number."""
    from datetime import date

    if len(value) != 18 or not value[:17].isdigit():
        return False
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return value[17].upper() == id_check_char(value[:17])


def id_numbers(
    regions: NDArray[np.str_], births: NDArray[np.datetime64], sequences: NDArray[np.int64]
) -> list[str]:
    """Build ID numbers; ``sequences`` are the full 3-digit sequence (parity = gender)."""
    days = births.astype("datetime64[D]").astype(str)
    first17 = [
        f"{r}{d[0:4]}{d[5:7]}{d[8:10]}{s:03d}"
        for r, d, s in zip(regions.tolist(), days.tolist(), sequences.tolist(), strict=True)
    ]
    if not first17:
        return []
    digits = np.frombuffer("".join(first17).encode("ascii"), dtype=np.uint8).reshape(-1, 17)
    checks = ((digits.astype(np.int64) - 48) @ ID_WEIGHTS) % 11
    table = np.array(list(ID_CHECK))
    return [a + b for a, b in zip(first17, table[checks].tolist(), strict=True)]


def gender_sequences(rng: np.random.Generator, genders: NDArray[np.str_]) -> NDArray[np.int64]:
    """A 3-digit sequence whose parity says the gender (odd: male, even: female)."""
    base = rng.integers(0, 500, len(genders)) * 2 + (genders == "M").astype(np.int64)
    return np.asarray(base, dtype=np.int64)


def _org_code_check(body8: str) -> str:
    total = sum(_char_value(c) * w for c, w in zip(body8, ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def _char_value(c: str) -> int:
    return int(c) if c.isdigit() else ord(c) - ord("A") + 10


def credit_check_char(first17: str) -> str:
    total = sum(CREDIT_CHARS.index(c) * w for c, w in zip(first17, CREDIT_WEIGHTS, strict=True))
    return CREDIT_CHARS[(31 - total % 31) % 31]


def is_valid_credit_code(value: str) -> bool:
    if len(value) != 18 or any(c not in CREDIT_CHARS for c in value):
        return False
    org = value[8:17]
    if _org_code_check(org[:8]) != org[8]:
        return False
    return credit_check_char(value[:17]) == value[17]


def credit_code(kind_digit: str, region: str, org_body: str) -> str:
    """A valid unified social credit code; ``org_body`` is 8 digits."""
    org = org_body + _org_code_check(org_body)
    first17 = "9" + kind_digit + region + org
    return first17 + credit_check_char(first17)


def mobile_numbers(rng: np.random.Generator, n: int) -> list[str]:
    prefixes = np.array(MOBILE_PREFIXES)[rng.integers(0, len(MOBILE_PREFIXES), n)]
    tails = rng.integers(0, 100_000_000, n)
    return [f"{p}{t:08d}" for p, t in zip(prefixes.tolist(), tails.tolist(), strict=True)]


def birth_regions(rng: np.random.Generator, n: int) -> NDArray[np.str_]:
    codes = np.array([c for c, _ in BIRTH_REGIONS])
    w = np.array([w for _, w in BIRTH_REGIONS], dtype=np.float64)
    return codes[rng.choice(len(codes), size=n, p=w / w.sum())]
