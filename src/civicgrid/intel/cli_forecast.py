"""``civicgrid intel forecast|forecast-eval|warnings|hotspots|risk`` — mounted on the intel group.

``register(app)`` adds the commands to the ``intel`` Typer app (src/civicgrid/cli/intel.py).
Files are CSV or Excel (.xlsx) by extension, in and out.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import typer
from rich.console import Console
from rich.progress import track
from rich.table import Table

from civicgrid.kit.i18n import _

console = Console()

HOLIDAYS_HELP = "Public-holiday calendar: CN (default), US, … or 'none'."


def read_table(path: Path) -> pd.DataFrame:
    """A CSV (UTF-8, with or without BOM; GB18030 as a fallback) or an Excel sheet."""
    if not path.exists():
        raise typer.BadParameter(_("文件不存在：{path}").format(path=path))
    if path.suffix.lower() in {".xlsx", ".xlsm", ".xls"}:
        return pd.read_excel(path)
    try:
        return pd.read_csv(path, encoding="utf-8-sig")
    except UnicodeDecodeError:
        return pd.read_csv(path, encoding="gb18030")


def write_table(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".xlsx":
        frame.to_excel(path, index=False)
    else:
        frame.to_csv(path, index=False, encoding="utf-8")


def _require_columns(frame: pd.DataFrame, *cols: str | None) -> None:
    missing = [c for c in cols if c is not None and c not in frame.columns]
    if missing:
        raise typer.BadParameter(
            _("找不到列：{cols}（文件中的列：{have}）").format(
                cols="、".join(missing), have="、".join(map(str, frame.columns))
            )
        )


def _country(value: str) -> str | None:
    return None if value.lower() in {"none", "no", ""} else value.upper()


def _series(
    data: Path, date_col: str, group_col: str | None, value_col: str | None
) -> dict[str, pd.Series]:
    from civicgrid.intel.forecast import daily_series

    frame = read_table(data)
    _require_columns(frame, date_col, group_col, value_col)
    try:
        return daily_series(frame, date_col=date_col, group_col=group_col, value_col=value_col)
    except ValueError as exc:
        raise typer.BadParameter(
            _("无法读取日期列 {col}：{err}").format(col=date_col, err=exc)
        ) from exc


def forecast(
    data: Path = typer.Option(..., help="CSV/Excel of requests (one row each) or of daily counts."),
    date_col: str = typer.Option(..., help="Date or timestamp column."),
    horizon: int = typer.Option(..., min=1, max=3660, help="Days to forecast."),
    out: Path = typer.Option(..., help="Output CSV/Excel: group, date, forecast, lower, upper."),
    group_col: str | None = typer.Option(None, help="Series key, e.g. category or grid."),
    value_col: str | None = typer.Option(
        None, help="Pre-counted value column; without it each row counts as one request."
    ),
    model: str = typer.Option("calendar", help="calendar (default) or snaive."),
    holidays: str = typer.Option("CN", help=HOLIDAYS_HELP),
    level: float = typer.Option(0.9, min=0.5, max=0.99, help="Prediction-interval coverage."),
) -> None:
    """Forecast daily demand per group with prediction intervals."""
    from civicgrid.intel.forecast import make_model

    series = _series(data, date_col, group_col, value_col)
    country = _country(holidays)
    parts = []
    for name, y in track(list(series.items()), description="forecasting", console=console):
        try:
            fc = make_model(model, country=country).fit(y).predict(horizon, level)
        except (KeyError, NotImplementedError) as exc:
            raise typer.BadParameter(_("未知的节假日日历：{c}").format(c=holidays)) from exc
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from exc
        fc.insert(0, "group", name)
        parts.append(fc)
    result = pd.concat(parts, ignore_index=True)
    result["date"] = result["date"].dt.strftime("%Y-%m-%d")
    result[["forecast", "lower", "upper"]] = result[["forecast", "lower", "upper"]].round(3)
    write_table(result, out)
    console.print(
        _("已写入 {n} 行（{g} 个序列 × {h} 天）到 {out}").format(
            n=len(result), g=len(series), h=horizon, out=out
        )
    )


def forecast_eval(
    data: Path = typer.Option(..., help="CSV/Excel of requests or of daily counts."),
    date_col: str = typer.Option(..., help="Date or timestamp column."),
    horizon: list[int] = typer.Option(
        [7, 28, 90], help="Backtest horizon in days (repeat the option for several)."
    ),
    group_col: str | None = typer.Option(None, help="Series key, e.g. category or grid."),
    value_col: str | None = typer.Option(None, help="Pre-counted value column."),
    origins: int = typer.Option(4, min=1, max=100, help="Forecast origins per horizon."),
    step: int | None = typer.Option(None, min=1, help="Days between origins (default h/2)."),
    holidays: str = typer.Option("CN", help=HOLIDAYS_HELP),
    out: Path | None = typer.Option(None, help="Also write the table to CSV/Excel."),
) -> None:
    """Rolling-origin backtest: MASE of the calendar model and of seasonal-naive."""
    from civicgrid.intel.forecast import CalendarModel, backtest

    series = _series(data, date_col, group_col, value_col)
    country = _country(holidays)
    rows: list[dict[str, Any]] = []
    jobs = [(g, h) for g in series for h in horizon]
    for name, h in track(jobs, description="backtesting", console=console):
        try:
            res = backtest(
                series[name],
                lambda: CalendarModel(country=country),
                horizon=h,
                origins=origins,
                step=step,
            )
        except ValueError:
            console.print(_("[yellow]{g}：序列太短，跳过 {h} 天[/yellow]").format(g=name, h=h))
            continue
        rows.append(
            {
                "group": name,
                "horizon": h,
                "origins": len(res.origins),
                "mase_model": round(res.mase_model, 4),
                "mase_seasonal_naive": round(res.mase_naive, 4),
                "relative": round(res.relative, 4),
                "coverage_90": round(res.coverage, 3),
            }
        )
    table = Table(title=_("滚动起点回测 rolling-origin backtest"))
    for col in (
        "group",
        "horizon",
        "origins",
        "MASE model",
        "MASE seasonal-naive",
        "model/naive",
        "90% PI coverage",
    ):
        table.add_column(col)
    for r in rows:
        table.add_row(*(str(v) for v in r.values()))
    console.print(table)
    console.print(
        _("MASE：模型与 seasonal-naive（上周同日）基线；model/naive < 1 表示模型更好。"),
        soft_wrap=True,
    )
    if out is not None:
        write_table(pd.DataFrame(rows), out)


def _parse_day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError as exc:
        raise typer.BadParameter(_("日期格式应为 YYYY-MM-DD：{v}").format(v=value)) from exc


def register(app: typer.Typer) -> None:
    """Mount the forecasting, warning, hot-issue and risk commands on ``app``."""
    app.command("forecast")(forecast)
    app.command("forecast-eval")(forecast_eval)
