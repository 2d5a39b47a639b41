"""日历特征 — calendar features for daily demand models (weekday, season, public holidays).

Public holidays come from the ``holidays`` package: for China (``CN``) it includes the Spring
Festival and the other lunar holidays, the substituted days off (调休放假) and — read from the
"substituted from" dates — the weekend days that are made working days (调休上班). Other
countries (``US`` for the Philadelphia 311 data) give their observed public holidays.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

import holidays
import numpy as np
import pandas as pd

from civicgrid.kit.holidays import holiday_table

ANNUAL_PERIOD = 365.25


class Calendar:
    """Design matrix of calendar features for a run of dates.

    Columns: 7 weekday indicators, ``2 * fourier`` annual Fourier terms and, when a country is
    given, ``holiday`` (a public holiday or day off on Monday-Friday), ``weekend_holiday``,
    ``makeup_workday`` (a weekend day made a working day, China), ``after_holiday`` (the first
    working day after a day off that was not a plain weekend) and, for China, ``spring_window``
    (Spring Festival day -3 … +10, when activity stays low beyond the official break).
    """

    def __init__(self, country: str | None = "CN", fourier: int = 4) -> None:
        if country is not None:
            holidays.country_holidays(country, years=[2020])  # fails early on an unknown code
        self.country = country
        self.fourier = fourier

    @property
    def names(self) -> list[str]:
        cols = [f"dow{i}" for i in range(7)]
        for k in range(1, self.fourier + 1):
            cols += [f"sin{k}", f"cos{k}"]
        if self.country is not None:
            cols += ["holiday", "weekend_holiday", "makeup_workday", "after_holiday"]
            if self.country == "CN":
                cols.append("spring_window")
        return cols

    def day_flags(self, days: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(is day off, is make-up workday, days since Spring Festival or NaN) per day."""
        n = len(days)
        off = np.zeros(n, dtype=bool)
        makeup = np.zeros(n, dtype=bool)
        since_spring = np.full(n, np.nan)
        if self.country is None:
            return off, makeup, since_spring
        for i, ts in enumerate(days):
            day = ts.date()
            off_days, makeup_days, spring = holiday_table(self.country, day.year)
            off[i] = day in off_days
            makeup[i] = day in makeup_days
            if spring is not None:
                since_spring[i] = (day - spring).days
        return off, makeup, since_spring

    def matrix(self, days: pd.DatetimeIndex) -> np.ndarray:
        days = pd.DatetimeIndex(days).normalize()
        n = len(days)
        if n > 1 and (days[-1] - days[0]).days == n - 1:  # a contiguous run: cached
            return _cached_matrix(self.country, self.fourier, days[0].date(), n)
        return self._matrix(days)

    def _matrix(self, days: pd.DatetimeIndex) -> np.ndarray:
        dow = days.day_of_week.to_numpy()
        cols: list[np.ndarray] = [(dow == i).astype(float) for i in range(7)]
        doy = days.day_of_year.to_numpy().astype(float)
        for k in range(1, self.fourier + 1):
            angle = 2.0 * np.pi * k * doy / ANNUAL_PERIOD
            cols += [np.sin(angle), np.cos(angle)]
        if self.country is not None:
            off, makeup, since_spring = self.day_flags(days)
            weekend = dow >= 5
            cols.append((off & ~weekend).astype(float))
            cols.append((off & weekend).astype(float))
            cols.append(makeup.astype(float))
            cols.append(_after_holiday(days, off, makeup, weekend).astype(float))
            if self.country == "CN":
                window = (since_spring >= -3) & (since_spring <= 10)
                cols.append(np.nan_to_num(window.astype(float)))
        return np.column_stack(cols)


@lru_cache(maxsize=256)
def _cached_matrix(country: str | None, fourier: int, start: date, n: int) -> np.ndarray:
    """Many series share one date range (every group spans the whole file): build it once."""
    days = pd.date_range(start, periods=n, freq="D")
    out = Calendar(country, fourier)._matrix(days)
    out.setflags(write=False)
    return out


def _after_holiday(
    days: pd.DatetimeIndex, off: np.ndarray, makeup: np.ndarray, weekend: np.ndarray
) -> np.ndarray:
    """First working day after a run of days off that contains a public holiday."""
    out = np.zeros(len(days), dtype=bool)
    for i in range(1, len(days)):
        working = (not weekend[i] and not off[i]) or makeup[i]
        if not working:
            continue
        j = i - 1
        saw_holiday = False
        while j >= 0 and ((weekend[j] and not makeup[j]) or off[j]):
            saw_holiday = saw_holiday or bool(off[j])
            j -= 1
        out[i] = saw_holiday
    return out


def as_day(value: date | datetime | str) -> pd.Timestamp:
    return pd.Timestamp(value).normalize()
