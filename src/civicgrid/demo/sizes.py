"""Sizes of the demo city and the seed-derived reference date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

DEFAULT_SEED = 2026


@dataclass(frozen=True)
class Size:
    name: str
    streets: int
    communities: int  # in the whole district
    grids: int  # in the whole district
    residents: int
    work_orders: int
    width: float  # degrees of longitude
    height: float  # degrees of latitude
    shops_per_1000: float = 18.0
    enterprises_per_1000: float = 6.0


SIZES: dict[str, Size] = {
    "small": Size("small", 2, 4, 12, 2_000, 3_000, 0.024, 0.02),
    "default": Size("default", 4, 12, 150, 50_000, 80_000, 0.07, 0.055),
    "city": Size("city", 16, 160, 1_300, 1_000_000, 2_000_000, 0.2, 0.18),
}


def reference_date(seed: int) -> date:
    """The last day of the generated year: 2026-06-30 plus (seed mod 184) days.

    Fixed by the seed (never "today") so that the same seed always yields the same data.
    """
    return date(2026, 6, 30) + timedelta(days=seed % 184)
