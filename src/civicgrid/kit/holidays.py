"""Public holidays and 调休 make-up working days, from the ``holidays`` package.

For China (``CN``) the package lists the Spring Festival and the other lunar holidays, the
substituted days off (调休放假) and — read from the "substituted from" dates — the weekend days made
working days (调休上班). Used by SLA clocks (working hours) and by demand forecasting.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

import holidays

_SUBSTITUTED_FROM = re.compile(r"substituted from (\d{2})/(\d{2})/(\d{4})")
SPRING_FESTIVAL = "Spring Festival"


@lru_cache(maxsize=64)
def holiday_table(country: str, year: int) -> tuple[frozenset[date], frozenset[date], date | None]:
    """(days off, make-up working days, Spring Festival day) for one country and year."""
    table = holidays.country_holidays(country, years=[year - 1, year, year + 1])
    off: set[date] = set()
    makeup: set[date] = set()
    spring: date | None = None
    for day, name in sorted(table.items()):
        if day.year == year:
            off.add(day)
            if spring is None and SPRING_FESTIVAL in name and "Eve" not in name:
                spring = day
        for match in _SUBSTITUTED_FROM.finditer(name):
            month, dom, yr = (int(g) for g in match.groups())
            moved = date(yr, month, dom)
            if moved.year == year:
                makeup.add(moved)
    return frozenset(off), frozenset(makeup), spring
