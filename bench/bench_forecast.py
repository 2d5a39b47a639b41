"""Demand forecasting benchmark: accuracy against seasonal-naive, and fit + predict time.

    .venv/bin/python bench/bench_forecast.py [--series 200] [--demo-db /tmp/demo.db]

1. Philadelphia 311 illegal dumping (../shared/data): rolling-origin backtests at 7, 28, 90, 365
   and 530 days (530 = the length of the held-out period) — MASE of the calendar model, of
   seasonal-naive (the baseline) and of Holt-Winters (statsmodels ETS, additive damped trend,
   multiplicative weekly season) as the other candidate considered; ratio model / naive.
2. Speed: fit + predict (90 days) of N synthetic two-year daily series, calendar model vs
   seasonal-naive in the same run (ms per series and the ratio).
3. Optional ``--demo-db``: the generated demo city (a year of work orders), per top-level
   category, 7/28/90-day backtests, geometric mean of the relative MASE.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from civicgrid.intel.forecast import (
    CalendarModel,
    SeasonalNaive,
    _future_index,
    backtest,
    daily_series,
)

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
PHILLY = DATA / "philly311_illegal_dumping" / "illegal_dumping_daily_train.csv"
PLAN = ((7, 12, 7), (28, 8, 14), (90, 6, 45), (365, 4, 91), (530, 3, 91))


class HoltWinters:
    """statsmodels ETS with weekly season; missing days interpolated (ETS needs no gaps)."""

    def fit(self, y: pd.Series, horizon: int | None = None) -> HoltWinters:
        from statsmodels.tsa.holtwinters import ExponentialSmoothing

        y = y.asfreq("D").interpolate(limit_direction="both").clip(lower=0.0) + 1.0
        self._y = y.iloc[-3 * 365 :]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self._fit = ExponentialSmoothing(
                self._y, trend="add", damped_trend=True, seasonal="mul", seasonal_periods=7
            ).fit()
        return self

    def predict(self, horizon: int, level: float = 0.9) -> pd.DataFrame:
        point = np.maximum(np.asarray(self._fit.forecast(horizon)) - 1.0, 0.0)
        return pd.DataFrame(
            {
                "date": _future_index(self._y, horizon),
                "forecast": point,
                "lower": point,
                "upper": point,
            }
        )


def philly() -> None:
    if not PHILLY.exists():
        print(f"skipped: {PHILLY} not found")
        return
    y = daily_series(pd.read_csv(PHILLY), date_col="day", value_col="cnt")["all"]
    print(f"Philadelphia illegal dumping: {len(y)} days, {int(y.isna().sum())} missing (masked)")
    print(
        f"{'horizon':>7} {'origins':>7} {'MASE calendar':>13} {'MASE s-naive':>12} "
        f"{'MASE Holt-W.':>12} {'cal/naive':>9} {'HW/naive':>8} {'90% cover':>9}"
    )
    for horizon, origins, step in PLAN:
        cal = backtest(
            y, lambda: CalendarModel(country="US"), horizon=horizon, origins=origins, step=step
        )
        hw = backtest(y, HoltWinters, horizon=horizon, origins=origins, step=step)
        print(
            f"{horizon:>7} {len(cal.origins):>7} {cal.mase_model:>13.3f} {cal.mase_naive:>12.3f} "
            f"{hw.mase_model:>12.3f} {cal.relative:>9.3f} {hw.relative:>8.3f} "
            f"{cal.coverage:>9.2f}"
        )


def synthetic(n: int, days: int = 730, seed: int = 0) -> list[pd.Series]:
    rng = np.random.default_rng(seed)
    index = pd.date_range("2023-01-01", periods=days, freq="D")
    weekly = np.where(index.day_of_week >= 5, 0.6, 1.0)
    annual = 1 + 0.25 * np.sin(2 * np.pi * index.day_of_year.to_numpy() / 365.25)
    out = []
    for _ in range(n):
        level = rng.uniform(2, 60)
        out.append(pd.Series(rng.poisson(level * weekly * annual).astype(float), index=index))
    return out


def speed(n: int) -> None:
    series = synthetic(n)
    wall: dict[str, float] = {}
    cpu: dict[str, float] = {}
    for name, factory in (("seasonal-naive", SeasonalNaive), ("calendar", CalendarModel)):
        start, start_cpu = time.perf_counter(), time.process_time()
        for y in series:
            factory().fit(y, 90).predict(90)
        wall[name] = (time.perf_counter() - start) / n * 1000
        cpu[name] = (time.process_time() - start_cpu) / n * 1000
    for label, t in (("wall", wall), ("CPU", cpu)):
        print(
            f"fit + predict 90 d, {n} series of 730 days ({label}): "
            f"calendar {t['calendar']:.1f} ms/series, "
            f"seasonal-naive {t['seasonal-naive']:.2f} ms/series, "
            f"ratio {t['calendar'] / t['seasonal-naive']:.1f}x"
        )


def demo(path: Path) -> None:
    import sqlite3

    with sqlite3.connect(path) as conn:
        frame = pd.read_sql("select reported_at, category from work_order", conn)
    when = pd.to_datetime(frame["reported_at"], format="mixed", utc=True)
    frame["day"] = when.dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
    frame["top"] = frame["category"].fillna("未分类").str.split("/").str[0]
    series = daily_series(frame, date_col="day", group_col="top")
    print(f"demo city: {len(frame)} orders, {len(series)} top-level categories, one year")
    for horizon in (7, 28, 90):
        rel = [
            backtest(y, CalendarModel, horizon=horizon, origins=4).relative for y in series.values()
        ]
        better = sum(r < 1 for r in rel)
        print(
            f"  h={horizon:>2}: geometric mean of MASE calendar / seasonal-naive "
            f"{np.exp(np.mean(np.log(rel))):.3f}, calendar better on {better}/{len(rel)}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=200)
    parser.add_argument("--demo-db", type=Path, default=None)
    args = parser.parse_args()
    philly()
    speed(args.series)
    if args.demo_db is not None:
        demo(args.demo_db)


if __name__ == "__main__":
    main()
