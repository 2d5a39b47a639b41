"""需求预测 — daily demand forecasting per category × area, with a seasonal-naive baseline.

Two models, both a few milliseconds to fit on a CPU:

- ``SeasonalNaive``: repeats the last observed week (the baseline MASE is measured against).
- ``CalendarModel``: a Poisson regression (log link) of daily counts on calendar features
  (weekday, annual Fourier terms, public holidays incl. the Spring Festival, make-up working days;
  see :mod:`civicgrid.intel.calendar`), fitted with exponentially decaying sample weights so the
  level follows the recent past without extrapolating a trend. Missing days are masked, not
  zero-filled. Prediction intervals combine over-dispersed count noise (negative binomial with
  the fitted dispersion) with a random walk of the log level, so they widen with the horizon.

Why this model (see docs/domains/intelligence.md for the backtests): at horizons of months,
lags are unavailable and trend extrapolation is the main source of error; a recency-weighted
calendar regression keeps the weekly and annual shape and the holiday dips that seasonal-naive
misses, and is robust to gaps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd
from scipy import stats
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from civicgrid.intel.calendar import Calendar

SEASON = 7
LONG_MEMORY = 365.0


class Forecaster(Protocol):
    def fit(self, y: pd.Series, horizon: int | None = None) -> Forecaster: ...

    def predict(self, horizon: int, level: float = 0.9) -> pd.DataFrame: ...


def _check_series(y: pd.Series) -> pd.Series:
    """A daily series on a contiguous DatetimeIndex (missing days present as NaN)."""
    if not isinstance(y.index, pd.DatetimeIndex):
        raise TypeError("series must have a DatetimeIndex")
    y = y.astype(float).sort_index()
    full = pd.date_range(y.index.min().normalize(), y.index.max().normalize(), freq="D")
    return y.reindex(full)


def _future_index(y: pd.Series, horizon: int) -> pd.DatetimeIndex:
    return pd.date_range(y.index[-1] + pd.Timedelta(days=1), periods=horizon, freq="D")


def seasonal_naive_values(y: np.ndarray, horizon: int, season: int = SEASON) -> np.ndarray:
    """Repeat the last ``season`` observations; a missing one takes the value a season earlier."""
    if len(y) == 0:
        raise ValueError("empty series")
    last = np.full(season, np.nan)
    n = len(y)
    for k in range(season):
        i = n - season + k
        while i >= 0 and np.isnan(y[i]):
            i -= season
        if i >= 0:
            last[k] = y[i]
    if np.isnan(last).any():
        fill = float(np.nanmean(y)) if np.isfinite(y).any() else 0.0
        last = np.where(np.isnan(last), fill, last)
    reps = int(np.ceil(horizon / season))
    return np.tile(last, reps)[:horizon]


def mase_scale(train: np.ndarray, season: int = SEASON) -> float:
    """Mean absolute seasonal difference of the training series (pairs with a gap are skipped)."""
    if len(train) <= season:
        raise ValueError("training series shorter than one season")
    diffs = np.abs(train[season:] - train[:-season])
    diffs = diffs[~np.isnan(diffs)]
    if len(diffs) == 0:
        raise ValueError("no complete seasonal pairs in the training series")
    return float(np.mean(diffs))


def mase(
    actual: np.ndarray, predicted: np.ndarray, train: np.ndarray, season: int = SEASON
) -> float:
    """Mean Absolute Scaled Error (Hyndman & Koehler 2006); NaN actuals are ignored."""
    actual = np.asarray(actual, dtype=float)
    predicted = np.asarray(predicted, dtype=float)
    mask = ~np.isnan(actual)
    if not mask.any():
        raise ValueError("no observed values to score")
    scale = mase_scale(np.asarray(train, dtype=float), season)
    mae = float(np.mean(np.abs(actual[mask] - predicted[mask])))
    if scale == 0.0:
        return 0.0 if mae == 0.0 else float("inf")
    return mae / scale


@dataclass
class SeasonalNaive:
    """ŷ(T+h) = y(T+h-7k): the last observed week, repeated. Intervals from seasonal errors."""

    season: int = SEASON
    _y: pd.Series | None = field(default=None, repr=False)

    def fit(self, y: pd.Series, horizon: int | None = None) -> SeasonalNaive:
        self._y = _check_series(y)
        return self

    def predict(self, horizon: int, level: float = 0.9) -> pd.DataFrame:
        if self._y is None:
            raise RuntimeError("fit first")
        values = self._y.to_numpy()
        point = seasonal_naive_values(values, horizon, self.season)
        diffs = values[self.season :] - values[: -self.season]
        diffs = diffs[~np.isnan(diffs)]
        sd = float(np.std(diffs)) if len(diffs) > 1 else float(np.sqrt(max(point.mean(), 1.0)))
        z = stats.norm.ppf(0.5 + level / 2)
        k = np.ceil(np.arange(1, horizon + 1) / self.season)
        half = z * sd * np.sqrt(k)
        return pd.DataFrame(
            {
                "date": _future_index(self._y, horizon),
                "forecast": point,
                "lower": np.maximum(point - half, 0.0),
                "upper": point + half,
            }
        )


@dataclass
class CalendarModel:
    """Recency-weighted Poisson regression on calendar features (see the module docstring).

    ``half_life`` (days) sets how fast old observations lose weight. When None (the default) it
    is 365 days for a series of two years or more, whose annual cycle the Fourier terms model;
    a shorter series cannot separate season from level, so its half-life is chosen from
    ``candidates`` by a validation on its last days (as many as the horizon, 14 to 91): a level
    that moves (the season, a new hot spot) gets a short memory, a stable one a long memory.
    ``level_drift`` (per day, log scale) is estimated from the history when None.
    """

    country: str | None = "CN"
    fourier: int = 4
    half_life: float | None = None
    candidates: tuple[float, ...] = (14.0, 28.0, 56.0, 120.0, 365.0)
    alpha: float = 1e-4
    history: int | None = 6 * 365
    level_drift: float | None = None
    _cal: Calendar | None = field(default=None, repr=False)
    _reg: np.ndarray | None = field(default=None, repr=False)
    _y: pd.Series | None = field(default=None, repr=False)
    _dispersion: float = field(default=1.0, repr=False)
    _drift: float = field(default=0.0, repr=False)
    _constant: float | None = field(default=None, repr=False)
    _half_life: float = field(default=365.0, repr=False)

    def fit(self, y: pd.Series, horizon: int | None = None) -> CalendarModel:
        y = _check_series(y)
        if self.history is not None and len(y) > self.history:
            y = y.iloc[-self.history :]
        if self.half_life is not None:
            half = self.half_life
        elif self.effective_fourier(len(y)) == self.fourier:
            half = LONG_MEMORY  # annual terms carry the season: a long memory generalises best
        else:
            half = self._select_half_life(y, horizon)
        return self._fit(y, half)

    def _select_half_life(self, y: pd.Series, horizon: int | None) -> float:
        window = int(min(max(horizon or 28, 14), 91))
        if len(y) < window + 8 * SEASON or np.isnan(y.to_numpy()[-window:]).all():
            return self.candidates[len(self.candidates) // 2]
        train, valid = y.iloc[:-window], y.to_numpy()[-window:]
        seen = ~np.isnan(valid)
        best, best_err = self.candidates[-1], float("inf")
        for half in self.candidates:
            probe = CalendarModel(
                country=self.country,
                fourier=self.fourier,
                half_life=half,
                alpha=self.alpha,
                history=self.history,
                level_drift=0.0,
            )._fit(train, half)
            pred = probe.fitted(pd.DatetimeIndex(y.index[-window:]))
            err = float(np.mean(np.abs(valid[seen] - pred[seen])))
            if err < best_err - 1e-9:
                best, best_err = half, err
        return best

    def _fit(self, y: pd.Series, half_life: float) -> CalendarModel:
        self._half_life = half_life
        self._y = y
        values = y.to_numpy()
        mask = ~np.isnan(values)
        if mask.sum() == 0:
            raise ValueError("no observations")
        self._cal = Calendar(self.country, self.effective_fourier(len(y)))
        x = self._cal.matrix(pd.DatetimeIndex(y.index))
        if np.nanmax(values) <= 0:
            self._constant = 0.0
            self._reg = None
            return self
        age = (len(y) - 1 - np.arange(len(y)))[mask]
        weights = 0.5 ** (age / half_life)
        reg = poisson_irls(x[mask], values[mask], weights, alpha=self.alpha)
        self._reg = reg
        self._constant = None
        fitted = np.exp(x[mask] @ reg)
        obs = values[mask]
        pearson = (obs - fitted) ** 2 / np.maximum(fitted, 1e-6)
        dof = max(mask.sum() - x.shape[1] - 1, 1)
        self._dispersion = max(
            float(np.sum(weights * pearson) / np.sum(weights) * mask.sum() / dof), 1.0
        )
        self._drift = (
            self.level_drift
            if self.level_drift is not None
            else self._estimate_drift(values, np.exp(x @ reg))
        )
        return self

    def effective_fourier(self, days: int) -> int:
        """Annual terms need history: none under a year (they would alias with a trend and
        extrapolate it), at most two under two years."""
        if days < 365:
            return 0
        if days < 730:
            return min(self.fourier, 2)
        return self.fourier

    def _estimate_drift(self, values: np.ndarray, fitted: np.ndarray, block: int = 28) -> float:
        """Variance per day of a random walk in the log level, from 28-day block residual means.

        Consecutive block means of log(y/ŷ) differ by the level change over a block plus noise;
        the noise part (dispersion / expected block total) is subtracted.
        """
        n_blocks = len(values) // block
        if n_blocks < 4:
            return 0.0005
        start = len(values) - n_blocks * block
        logs = []
        noise = []
        for b in range(n_blocks):
            sl = slice(start + b * block, start + (b + 1) * block)
            v, f = values[sl], fitted[sl]
            m = ~np.isnan(v)
            if m.sum() < block // 2 or f[m].sum() <= 0:
                logs.append(np.nan)
                noise.append(np.nan)
                continue
            logs.append(np.log((v[m].sum() + 0.5) / (f[m].sum() + 0.5)))
            noise.append(self._dispersion / max(f[m].sum(), 1.0))
        arr = np.array(logs)
        diffs = np.diff(arr)
        noise_arr = np.array(noise)
        pair_noise = noise_arr[1:] + noise_arr[:-1]
        ok = ~np.isnan(diffs) & ~np.isnan(pair_noise)
        if ok.sum() < 3:
            return 0.0005
        var = float(np.mean(diffs[ok] ** 2) - np.mean(pair_noise[ok])) / 2.0
        return max(var / block, 1e-5)

    def predict(self, horizon: int, level: float = 0.9) -> pd.DataFrame:
        if self._y is None or self._cal is None:
            raise RuntimeError("fit first")
        days = _future_index(self._y, horizon)
        if self._reg is None:
            mu = np.full(horizon, self._constant or 0.0)
        else:
            mu = np.exp(self._cal.matrix(days) @ self._reg)
        lower, upper = count_interval(
            mu, self._dispersion, self._drift * np.arange(1, horizon + 1), level
        )
        return pd.DataFrame({"date": days, "forecast": mu, "lower": lower, "upper": upper})

    def fitted(self, days: pd.DatetimeIndex) -> np.ndarray:
        """Model mean for any days (in-sample or not)."""
        if self._cal is None:
            raise RuntimeError("fit first")
        if self._reg is None:
            return np.full(len(days), self._constant or 0.0)
        out: np.ndarray = np.exp(self._cal.matrix(days) @ self._reg)
        return out

    @property
    def dispersion(self) -> float:
        return self._dispersion

    @property
    def chosen_half_life(self) -> float:
        return self._half_life

    @property
    def drift(self) -> float:
        """Variance per day of the log level's random walk (used for interval widths)."""
        return self._drift


def poisson_irls(
    x: np.ndarray, y: np.ndarray, w: np.ndarray, *, alpha: float = 1e-4, iters: int = 50
) -> np.ndarray:
    """Weighted ridge Poisson regression (log link) by iteratively reweighted least squares.

    Minimises ``sum w * (mu - y log mu) + alpha/2 * sum(w) * |beta|^2`` — a few Newton steps on a
    (features × features) system, milliseconds for years of daily data.
    """
    beta = np.zeros(x.shape[1])
    mean = max(float(np.average(y, weights=w)), 1e-3)
    beta[:7] = np.log(mean)  # the first 7 columns are weekday indicators (sum to one)
    penalty = alpha * float(np.sum(w)) * np.eye(x.shape[1])
    # Tiny matrices: BLAS threads only add contention (30x slower on a loaded 2-core machine).
    with threadpool_limits(limits=1, user_api="blas"):
        return _irls_steps(x, y, w, beta, penalty, iters)


def _irls_steps(
    x: np.ndarray, y: np.ndarray, w: np.ndarray, beta: np.ndarray, penalty: np.ndarray, iters: int
) -> np.ndarray:
    for _ in range(iters):
        eta = np.clip(x @ beta, -30.0, 30.0)
        mu = np.exp(eta)
        grad = x.T @ (w * (y - mu)) - penalty @ beta
        hess = (x * (w * mu)[:, None]).T @ x + penalty
        step = np.linalg.solve(hess, grad)
        beta = beta + step
        if float(np.max(np.abs(step))) < 1e-8:
            break
    return beta


def count_interval(
    mu: np.ndarray, dispersion: float, level_var: np.ndarray, level: float
) -> tuple[np.ndarray, np.ndarray]:
    """Central interval of a negative binomial with mean ``mu`` and variance
    ``dispersion * mu + mu**2 * (exp(level_var) - 1)`` (count noise + uncertain log level)."""
    mu = np.maximum(np.asarray(mu, dtype=float), 1e-9)
    var = dispersion * mu + mu**2 * np.expm1(np.asarray(level_var, dtype=float))
    var = np.maximum(var, mu * (1.0 + 1e-9))
    n = mu**2 / (var - mu)
    p = n / (n + mu)
    lo_q, hi_q = 0.5 - level / 2, 0.5 + level / 2
    lower = stats.nbinom.ppf(lo_q, n, p)
    upper = stats.nbinom.ppf(hi_q, n, p)
    return np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)


MODELS: dict[str, Callable[..., Forecaster]] = {
    "calendar": CalendarModel,
    "snaive": SeasonalNaive,
}


def make_model(name: str, *, country: str | None = "CN") -> Forecaster:
    if name == "snaive":
        return SeasonalNaive()
    if name == "calendar":
        return CalendarModel(country=country)
    raise ValueError(f"unknown model {name!r}; choose from {sorted(MODELS)}")


# --- series preparation -------------------------------------------------------------------


def daily_series(
    frame: pd.DataFrame,
    *,
    date_col: str,
    group_col: str | None = None,
    value_col: str | None = None,
) -> dict[str, pd.Series]:
    """One daily series per group.

    Without ``value_col`` each row is one request: counts per day, days without a request are 0.
    With ``value_col`` rows are pre-counted: values are summed per day and days absent from the
    file stay NaN (a gap in the source is not a day with zero demand); models mask them.
    Every series spans the first to the last date of the whole file.
    """
    for col in (date_col, group_col, value_col):
        if col is not None and col not in frame.columns:
            raise KeyError(col)
    dates = pd.to_datetime(frame[date_col], errors="coerce")
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
    ok = dates.notna()
    if not ok.any():
        raise ValueError("no parseable dates")
    days = dates[ok].dt.normalize()
    groups = (
        frame.loc[ok, group_col].astype(str) if group_col else pd.Series("all", index=days.index)
    )
    full = pd.date_range(days.min(), days.max(), freq="D")
    if value_col is None:
        values = pd.Series(1.0, index=days.index)
    else:
        values = pd.to_numeric(frame.loc[ok, value_col], errors="coerce")
    data = pd.DataFrame({"day": days, "group": groups, "value": values})
    out: dict[str, pd.Series] = {}
    for name, part in data.groupby("group", sort=True):
        if value_col is None:
            series = part.groupby("day")["value"].sum().reindex(full, fill_value=0.0)
        else:
            series = part.dropna(subset=["value"]).groupby("day")["value"].sum().reindex(full)
        series.index.name = "date"
        out[str(name)] = series.astype(float)
    return out


# --- rolling-origin backtest ------------------------------------------------------------


@dataclass(frozen=True)
class BacktestResult:
    horizon: int
    origins: list[pd.Timestamp]
    mase_model: float
    mase_naive: float
    coverage: float
    per_origin: list[tuple[pd.Timestamp, float, float]]

    @property
    def relative(self) -> float:
        """MASE of the model divided by MASE of seasonal-naive (< 1: the model is better)."""
        return self.mase_model / self.mase_naive if self.mase_naive else float("nan")


def backtest(
    y: pd.Series,
    factory: Callable[[], Forecaster],
    *,
    horizon: int,
    origins: int = 4,
    step: int | None = None,
    level: float = 0.9,
    min_train: int = 8 * SEASON,
) -> BacktestResult:
    """Rolling-origin evaluation: fit on data up to each origin, score the next ``horizon`` days.

    The last origin leaves exactly ``horizon`` days; earlier ones step back by ``step`` days
    (default: half the horizon, at least a week). MASE uses each origin's own training scale.
    """
    y = _check_series(y)
    step = step or max(SEASON, horizon // 2)
    cuts = [len(y) - horizon - k * step for k in range(origins)]
    cuts = sorted(c for c in cuts if c >= min_train)
    if not cuts:
        raise ValueError("series too short for this horizon")
    per: list[tuple[pd.Timestamp, float, float]] = []
    inside = 0
    scored = 0
    for cut in cuts:
        train, test = y.iloc[:cut], y.iloc[cut : cut + horizon].to_numpy()
        fc = factory().fit(train, horizon).predict(horizon, level)
        naive = seasonal_naive_values(train.to_numpy(), horizon)
        tr = train.to_numpy()
        per.append((y.index[cut], mase(test, fc["forecast"].to_numpy(), tr), mase(test, naive, tr)))
        m = ~np.isnan(test)
        inside += int(
            np.sum((test[m] >= fc["lower"].to_numpy()[m]) & (test[m] <= fc["upper"].to_numpy()[m]))
        )
        scored += int(m.sum())
    return BacktestResult(
        horizon=horizon,
        origins=[o for o, _, _ in per],
        mase_model=float(np.mean([m for _, m, _ in per])),
        mase_naive=float(np.mean([n for _, _, n in per])),
        coverage=inside / scored if scored else float("nan"),
        per_origin=per,
    )
