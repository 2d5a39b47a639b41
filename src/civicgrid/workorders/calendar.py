"""The working calendar SLA clocks run on: Chinese public holidays and 调休 make-up working days."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from civicgrid.kit.holidays import holiday_table
from civicgrid.kit.timeutil import utcnow
from civicgrid.workorders.sla import WorkCalendar


@lru_cache(maxsize=8)
def for_years(first: int, last: int) -> WorkCalendar:
    off: set[date] = set()
    makeup: set[date] = set()
    for year in range(first, last + 1):
        days_off, workdays, _spring = holiday_table("CN", year)
        off |= days_off
        makeup |= workdays
    return WorkCalendar(holidays=frozenset(off), extra_workdays=frozenset(makeup))


def current() -> WorkCalendar:
    year = utcnow().year
    return for_years(year - 2, year + 1)
