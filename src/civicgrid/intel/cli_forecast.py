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


# Column names of the 12345 / 市长信箱 message exports (e.g. Teddy Cup 附件3), used when present.
MESSAGE_COLUMNS = {
    "date": "留言时间",
    "likes": "点赞数",
    "against": "反对数",
    "user": "留言用户",
    "id": "留言编号",
}


def _optional(frame: pd.DataFrame, given: str | None, kind: str) -> str | None:
    if given is not None:
        _require_columns(frame, given)
        return given
    default = MESSAGE_COLUMNS.get(kind)
    return default if default in frame.columns else None


def _int(value: Any) -> int:
    number = pd.to_numeric(value, errors="coerce")
    return 0 if pd.isna(number) else int(number)


def _float_or_none(value: Any) -> float | None:
    number = pd.to_numeric(value, errors="coerce")
    return None if pd.isna(number) else float(number)


def hotspots(
    data: Path = typer.Option(..., help="CSV/Excel of messages or reports."),
    out: Path = typer.Option(..., help="Ranked table of hot issues (CSV/Excel)."),
    title_col: str = typer.Option("留言主题", help="Title column."),
    text_col: str = typer.Option("留言详情", help="Body text column."),
    date_col: str | None = typer.Option(None, help="Time column (default 留言时间 if present)."),
    likes_col: str | None = typer.Option(None, help="Likes column (default 点赞数)."),
    against_col: str | None = typer.Option(None, help="Votes-against column (default 反对数)."),
    user_col: str | None = typer.Option(None, help="Reporter id column (default 留言用户)."),
    id_col: str | None = typer.Option(None, help="Message id column (default 留言编号)."),
    lat_col: str | None = typer.Option(None, help="Latitude column, when reports are located."),
    lon_col: str | None = typer.Option(None, help="Longitude column."),
    since: str | None = typer.Option(None, help="Only reports on or after YYYY-MM-DD."),
    until: str | None = typer.Option(None, help="Only reports before YYYY-MM-DD."),
    threshold: float = typer.Option(0.3, min=0.05, max=0.95, help="Cluster similarity cut."),
    min_reports: int = typer.Option(3, min=2, help="Smallest cluster that counts as an issue."),
    top: int = typer.Option(50, min=1, help="Rows to write."),
) -> None:
    """Hot issues (热点问题): clusters of reports on one topic at one place, ranked by heat."""
    from civicgrid.intel.hotspots import HotReport, HotspotParams, find_hot_issues

    frame = read_table(data)
    _require_columns(frame, title_col, text_col, lat_col, lon_col)
    cols = {
        kind: _optional(frame, given, kind)
        for kind, given in (
            ("date", date_col),
            ("likes", likes_col),
            ("against", against_col),
            ("user", user_col),
            ("id", id_col),
        )
    }
    when = (
        pd.to_datetime(frame[cols["date"]], errors="coerce")
        if cols["date"]
        else pd.Series(pd.NaT, index=frame.index)
    )
    keep = pd.Series(True, index=frame.index)
    start, end = _parse_day(since), _parse_day(until)
    if start is not None:
        keep &= when >= pd.Timestamp(start)
    if end is not None:
        keep &= when < pd.Timestamp(end)
    reports = []
    kept = frame[keep]
    for i, row, ts in zip(kept.index, kept.to_dict("records"), when[keep].tolist(), strict=True):
        reports.append(
            HotReport(
                key=str(row[cols["id"]]) if cols["id"] else str(i),
                title=str(row[title_col]) if pd.notna(row[title_col]) else "",
                body=str(row[text_col]) if pd.notna(row[text_col]) else "",
                when=None if pd.isna(ts) else pd.Timestamp(ts).to_pydatetime(),
                likes=_int(row[cols["likes"]]) if cols["likes"] else 0,
                against=_int(row[cols["against"]]) if cols["against"] else 0,
                reporter=str(row[cols["user"]]) if cols["user"] else None,
                lat=_float_or_none(row[lat_col]) if lat_col else None,
                lon=_float_or_none(row[lon_col]) if lon_col else None,
            )
        )
    params = HotspotParams(threshold=threshold, min_reports=min_reports)
    with console.status(_("正在聚类 {n} 条留言…").format(n=len(reports))):
        try:
            issues = find_hot_issues(reports, params, top=top)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from exc
    table = hot_issue_table(issues)
    write_table(table, out)
    show = Table(title=_("热点问题 Hot issues"))
    for col in ("rank", "heat", "reports", "likes", "place", "title"):
        show.add_column(col)
    for rec in table.head(10).to_dict("records"):
        show.add_row(
            str(rec["rank"]),
            f"{rec['heat']:.2f}",
            str(rec["reports"]),
            str(rec["likes"]),
            str(rec["place"]),
            str(rec["title"]),
        )
    console.print(show)
    console.print(_("已写入 {n} 个热点到 {out}").format(n=len(table), out=out))


def hot_issue_table(issues: list[Any]) -> pd.DataFrame:
    columns = [
        "rank", "heat", "place", "title", "keywords", "reports", "reporters", "likes", "against",
        "start", "end", "span_days", "volume", "support", "intensity", "lat", "lon", "members",
    ]  # fmt: skip
    rows = [
        {
            "rank": h.rank,
            "heat": h.heat,
            "place": h.place,
            "title": h.title,
            "keywords": " ".join(h.keywords),
            "reports": h.reports,
            "reporters": h.reporters,
            "likes": h.likes,
            "against": h.against,
            "start": h.start.strftime("%Y-%m-%d") if h.start else "",
            "end": h.end.strftime("%Y-%m-%d") if h.end else "",
            "span_days": round(h.span_days, 1),
            "volume": h.volume,
            "support": h.support,
            "intensity": h.intensity,
            "lat": h.lat,
            "lon": h.lon,
            "members": ";".join(h.members),
        }
        for h in issues
    ]
    return pd.DataFrame(rows, columns=columns)


def register(app: typer.Typer) -> None:
    """Mount the forecasting, warning, hot-issue and risk commands on ``app``."""
    app.command("forecast")(forecast)
    app.command("forecast-eval")(forecast_eval)
    app.command("hotspots")(hotspots)
