"""Forecasting: known answers for the baseline and MASE, backtests, intervals, the CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from civicgrid.intel.calendar import Calendar
from civicgrid.intel.forecast import (
    CalendarModel,
    SeasonalNaive,
    backtest,
    daily_series,
    mase,
    mase_scale,
    seasonal_naive_values,
)
from tests.conftest import shared_data


def synthetic(days: int = 4 * 365, seed: int = 0, start: str = "2019-01-01") -> pd.Series:
    """Poisson counts with a trend, a weekly shape (quiet weekends) and an annual cycle."""
    rng = np.random.default_rng(seed)
    index = pd.date_range(start, periods=days, freq="D")
    t = np.arange(days)
    weekly = np.where(index.day_of_week >= 5, 0.5, 1.0)
    annual = 1.0 + 0.3 * np.sin(2 * np.pi * index.day_of_year.to_numpy() / 365.25)
    mu = (30.0 + 0.01 * t) * weekly * annual
    return pd.Series(rng.poisson(mu).astype(float), index=index)


def test_seasonal_naive_repeats_last_week() -> None:
    y = np.arange(1.0, 15.0)  # 1..14
    assert seasonal_naive_values(y, 10).tolist() == [8, 9, 10, 11, 12, 13, 14, 8, 9, 10]


def test_seasonal_naive_skips_a_missing_day_to_the_previous_week() -> None:
    y = np.arange(1.0, 15.0)
    y[-1] = np.nan  # last Sunday missing: the Sunday before (7) stands in
    assert seasonal_naive_values(y, 7).tolist() == [8, 9, 10, 11, 12, 13, 7]


def test_mase_known_answer() -> None:
    train = np.array([1.0, 2, 3, 4, 5, 6, 7, 3, 4, 5, 6, 7, 8, 9])  # seasonal diffs all 2
    assert mase_scale(train) == 2.0
    # errors 1, 3 → MAE 2 → MASE 1
    assert mase(np.array([10.0, 10.0]), np.array([9.0, 13.0]), train) == pytest.approx(1.0)
    # a gap in the training series drops the pairs that touch it, the scale is unchanged
    train_gap = train.copy()
    train_gap[3] = np.nan
    assert mase_scale(train_gap) == 2.0
    # a missing actual is ignored
    assert mase(np.array([10.0, np.nan]), np.array([9.0, 0.0]), train) == pytest.approx(0.5)


def test_seasonal_naive_is_exact_on_a_repeating_week() -> None:
    week = np.array([5.0, 6, 7, 8, 9, 2, 1])
    y = np.tile(week, 6)
    fc = seasonal_naive_values(y[:35], 7)
    assert fc.tolist() == week.tolist()
    assert mase(y[35:], fc, y[:35] + np.tile([0.0, 1.0], 18)[:35]) == 0.0


def test_calendar_marks_spring_festival_and_makeup_workdays() -> None:
    cal = Calendar("CN")
    days = pd.date_range("2024-02-01", "2024-02-29", freq="D")
    x = pd.DataFrame(cal.matrix(days), index=days, columns=cal.names)
    assert x.loc["2024-02-12", "holiday"] == 1  # Monday in the Spring Festival break
    assert x.loc["2024-02-04", "makeup_workday"] == 1  # Sunday made a working day (调休上班)
    # the break ends on Saturday 17th; Sunday 18th is a make-up working day, the first back
    assert x.loc["2024-02-18", "makeup_workday"] == 1
    assert x.loc["2024-02-18", "after_holiday"] == 1
    assert x.loc["2024-02-19", "after_holiday"] == 0
    assert x.loc["2024-02-10", "spring_window"] == 1
    assert x.loc["2024-02-29", "spring_window"] == 0


def test_calendar_model_beats_seasonal_naive_on_trend_and_seasonality() -> None:
    y = synthetic()
    for horizon in (7, 28, 90):
        res = backtest(y, lambda: CalendarModel(country=None), horizon=horizon, origins=4)
        assert res.mase_model < 0.85 * res.mase_naive, (horizon, res)


def test_interval_coverage_is_roughly_nominal() -> None:
    y = synthetic(seed=3)
    res = backtest(y, lambda: CalendarModel(country=None), horizon=28, origins=10, step=28)
    assert 0.82 <= res.coverage <= 0.98
    res50 = backtest(
        y, lambda: CalendarModel(country=None), horizon=28, origins=10, step=28, level=0.5
    )
    assert 0.38 <= res50.coverage <= 0.65


def test_gaps_in_precounted_data_are_masked_not_zero() -> None:
    frame = pd.DataFrame(
        {"day": pd.date_range("2023-01-01", periods=200, freq="D").strftime("%Y-%m-%d")}
    )
    frame["cnt"] = 50
    frame = frame.drop(index=[20, 21, 22])
    series = daily_series(frame, date_col="day", value_col="cnt")["all"]
    assert series.isna().sum() == 3
    fc = CalendarModel(country=None).fit(series).predict(14)
    assert fc["forecast"].between(48, 52).all()  # zeros would have pulled it down


def test_request_level_rows_are_counted_and_zero_filled() -> None:
    frame = pd.DataFrame(
        {
            "t": ["2024-01-01 08:00", "2024-01-01 09:00", "2024-01-03 10:00", "2024-01-03 11:00"],
            "cat": ["路灯", "路灯", "路灯", "噪音"],
        }
    )
    series = daily_series(frame, date_col="t", group_col="cat")
    assert series["路灯"].tolist() == [2.0, 0.0, 1.0]
    assert series["噪音"].tolist() == [0.0, 0.0, 1.0]


def test_seasonal_naive_model_interval_contains_point() -> None:
    fc = SeasonalNaive().fit(synthetic(days=120)).predict(21)
    assert (fc["lower"] <= fc["forecast"]).all()
    assert (fc["forecast"] <= fc["upper"]).all()


def philly() -> pd.Series:
    path = shared_data("philly311_illegal_dumping", "illegal_dumping_daily_train.csv")
    frame = pd.read_csv(path)
    return daily_series(frame, date_col="day", value_col="cnt")["all"]


def test_philly_backtest_beats_seasonal_naive() -> None:
    y = philly()
    assert y.isna().sum() >= 10  # the source's missing days stay missing
    for horizon, origins in ((28, 3), (365, 2)):
        res = backtest(y, lambda: CalendarModel(country="US"), horizon=horizon, origins=origins)
        # measured: relative MASE 0.68 (28 d), 0.54 (365 d); fail if it degrades markedly
        assert res.relative < 0.8, (horizon, res)
        assert res.mase_model < 0.85


def test_cli_forecast_and_eval(tmp_path: Path) -> None:
    from civicgrid.cli.main import app

    y = synthetic(days=400)
    rows = []
    for day, n in y.items():
        rows += [{"报告时间": f"{day:%Y-%m-%d} 09:00", "类别": "环境"}] * int(n // 4)
    data = tmp_path / "orders.csv"
    pd.DataFrame(rows).to_csv(data, index=False)
    out = tmp_path / "fc.csv"
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "intel", "forecast", "--data", str(data), "--date-col", "报告时间",
            "--group-col", "类别", "--horizon", "14", "--out", str(out),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    fc = pd.read_csv(out)
    assert list(fc.columns) == ["group", "date", "forecast", "lower", "upper"]
    assert len(fc) == 14
    assert (fc["group"] == "环境").all()
    assert (fc["lower"] <= fc["upper"]).all()

    result = runner.invoke(
        app,
        [
            "intel", "forecast-eval", "--data", str(data), "--date-col", "报告时间",
            "--horizon", "7", "--horizon", "28", "--origins", "2",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "MASE" in result.output
    assert "seasonal-naive" in result.output


def test_cli_forecast_rejects_unknown_column(tmp_path: Path) -> None:
    from civicgrid.cli.main import app

    data = tmp_path / "x.csv"
    data.write_text("day,cnt\n2024-01-01,3\n", encoding="utf-8")
    result = CliRunner().invoke(
        app,
        [
            "intel", "forecast", "--data", str(data), "--date-col", "日期",
            "--horizon", "7", "--out", str(tmp_path / "o.csv"),
        ],
    )  # fmt: skip
    assert result.exit_code != 0
    assert "日期" in result.output
