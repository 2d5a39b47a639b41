"""预警 — early warning when a grid's or a category's volume departs from its forecast.

Pure functions (no DB). For one daily series and a recent window of ``window`` days:

1. Fit :class:`~civicgrid.intel.forecast.CalendarModel` on the days before the window and
   forecast the window; ``expected`` is the forecast total, and its interval is the central
   ``level`` interval of the window total (negative binomial with the model's dispersion and
   level uncertainty, as for the daily intervals).
2. Robust z-score: the window's residual total (observed − expected) is compared with the
   residual totals of the same-length windows over the reference period (the ``reference``
   days before the window, in-sample): z = (r − median) / (1.4826 · MAD). The MAD has a floor
   at √expected so that a quiet series (all residuals near 0) does not make every small
   difference look extreme.

A departure is reported when the observed total is outside the interval **or** |z| ≥
``z_threshold``, and the absolute difference is at least ``min_difference`` reports.
``severity`` is "high" when both tests fire, otherwise "medium".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from civicgrid.intel.forecast import CalendarModel, count_interval
from civicgrid.kit.i18n import _


@dataclass(frozen=True)
class Departure:
    group: str
    start: date
    end: date  # last day of the window (inclusive)
    observed: float
    expected: float
    lower: float
    upper: float
    z: float
    direction: str  # "surge" (more than expected) or "drop"
    severity: str  # "high" or "medium"
    outside_interval: bool

    @property
    def ratio(self) -> float:
        return self.observed / self.expected if self.expected > 0 else float("inf")

    def message(self) -> str:
        """One sentence for the dashboard and the CLI, in the current language."""
        word = _("激增") if self.direction == "surge" else _("骤降")
        return _(
            "{group}：{start}至{end} 实际 {observed} 件，预测 {expected} 件"
            "（区间 {lower}–{upper}），{word}，稳健 z = {z}"
        ).format(
            group=self.group,
            start=f"{self.start:%m-%d}",
            end=f"{self.end:%m-%d}",
            observed=f"{self.observed:.0f}",
            expected=f"{self.expected:.1f}",
            lower=f"{self.lower:.0f}",
            upper=f"{self.upper:.0f}",
            word=word,
            z=f"{self.z:.1f}",
        )


@dataclass(frozen=True)
class WarningParams:
    window: int = 7
    reference: int = 182
    level: float = 0.99
    z_threshold: float = 3.0
    min_difference: float = 3.0
    min_history: int = 28
    country: str | None = "CN"


def check_series(
    y: pd.Series, *, group: str, params: WarningParams | None = None
) -> Departure | None:
    """The departure of the last ``window`` days of ``y`` from its forecast, or None.

    ``y`` is a daily series (DatetimeIndex); gaps (NaN) are masked.
    """
    params = params or WarningParams()
    w = params.window
    y = y.astype(float).sort_index()
    full = pd.date_range(y.index.min(), y.index.max(), freq="D")
    y = y.reindex(full)
    if len(y) < params.min_history + w:
        return None
    history, recent = y.iloc[:-w], y.iloc[-w:].to_numpy()
    if np.isnan(recent).all():
        return None
    model = CalendarModel(country=params.country).fit(history, w)
    fc = model.predict(w, level=params.level)
    mu = fc["forecast"].to_numpy()
    seen = ~np.isnan(recent)
    observed = float(np.nansum(recent))
    expected = float(mu[seen].sum())
    lo, hi = count_interval(
        np.array([expected]),
        model.dispersion,
        np.array([model.drift * (w + 1) / 2]),
        params.level,
    )
    lower, upper = float(lo[0]), float(hi[0])
    z = _robust_z(model, history, observed - expected, w, params.reference, expected)
    outside = observed < lower or observed > upper
    big = abs(observed - expected) >= params.min_difference
    if not big or not (outside or abs(z) >= params.z_threshold):
        return None
    return Departure(
        group=group,
        start=y.index[-w].date(),
        end=y.index[-1].date(),
        observed=observed,
        expected=round(expected, 2),
        lower=lower,
        upper=upper,
        z=round(z, 2),
        direction="surge" if observed > expected else "drop",
        severity="high" if outside and abs(z) >= params.z_threshold else "medium",
        outside_interval=outside,
    )


def _robust_z(
    model: CalendarModel,
    history: pd.Series,
    residual: float,
    window: int,
    reference: int,
    expected: float,
) -> float:
    ref = history.iloc[-reference:]
    fitted = model.fitted(pd.DatetimeIndex(ref.index))
    resid = ref.to_numpy() - fitted
    resid = np.where(np.isnan(resid), 0.0, resid)
    if len(resid) < window:
        return 0.0
    sums = np.convolve(resid, np.ones(window), mode="valid")
    med = float(np.median(sums))
    mad = float(np.median(np.abs(sums - med)))
    scale = max(1.4826 * mad, float(np.sqrt(max(expected, 1.0))))
    return (residual - med) / scale


def check_all(series: dict[str, pd.Series], params: WarningParams | None = None) -> list[Departure]:
    """Departures over many series, the largest |z| first."""
    found = []
    for name, y in series.items():
        dep = check_series(y, group=name, params=params)
        if dep is not None:
            found.append(dep)
    found.sort(key=lambda d: -abs(d.z))
    return found
