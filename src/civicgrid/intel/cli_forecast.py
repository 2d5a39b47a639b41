"""``civicgrid intel forecast|forecast-eval|warnings|hotspots|risk`` — mounted on the intel group.

``register(app)`` adds the commands to the ``intel`` Typer app (src/civicgrid/cli/intel.py).
Files are CSV or Excel (.xlsx) by extension, in and out.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import typer
from rich.console import Console
from rich.progress import track
from rich.table import Table
from sqlalchemy.orm import Session

from civicgrid.kit.i18n import _
from civicgrid.kit.timeutil import LOCAL_TZ

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
            fc = make_model(model, country=country).fit(y, horizon).predict(horizon, level)
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


@contextmanager
def _session(db: str | None) -> Iterator[Session]:
    """One read transaction on the configured database (or a SQLite file given with --db).

    Same plumbing as ``civicgrid.cli.common.session_scope``, which this lower layer may not
    import.
    """
    from civicgrid.config import get_settings
    from civicgrid.kit.db import make_engine, make_sessionmaker, transaction

    url = f"sqlite:///{db}" if db else get_settings().resolved_database_url()
    engine = make_engine(url)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            yield session
    finally:
        engine.dispose()


def _as_of(value: str | None) -> datetime | None:
    """End of the given local day (so ``--as-of 2025-03-01`` includes that day), in UTC."""
    day = _parse_day(value)
    if day is None:
        return None
    local = datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ) + timedelta(days=1)
    return local.astimezone(UTC)


def _root(session: Session, code: str | None) -> int | None:
    if code is None:
        return None
    from sqlalchemy import select

    from civicgrid.models.org import OrgNode

    node_id = session.scalar(select(OrgNode.id).where(OrgNode.code == code))
    if node_id is None:
        raise typer.BadParameter(_("找不到编码为 {code} 的区划/网格").format(code=code))
    return int(node_id)


DB_HELP = "SQLite file to use instead of the configured database URL."
AS_OF_HELP = "Reference date YYYY-MM-DD (local), included; default: now."
ROOT_HELP = "Limit to the subtree of this org-node code (street, community…)."


def risk(
    as_of: str | None = typer.Option(None, help=AS_OF_HELP),
    days: int = typer.Option(30, min=1, max=3660, help="Look-back period for events (days)."),
    mode: str = typer.Option("fixed", help="Colour thresholds: fixed cut-offs or quantile."),
    root: str | None = typer.Option(None, help=ROOT_HELP),
    out: Path | None = typer.Option(None, help="Write per-grid results to CSV/Excel."),
    db: str | None = typer.Option(None, help=DB_HELP),
) -> None:
    """Five-colour grid risk (五色分级) with per-factor contributions and patrol frequency."""
    from civicgrid.errors import CivicgridError
    from civicgrid.intel.analytics import grade_grid_risk

    when = _as_of(as_of)
    with _session(db) as session:
        try:
            results = grade_grid_risk(
                session, as_of=when, days=days, root_id=_root(session, root), mode=mode
            )
        except CivicgridError as exc:
            raise typer.BadParameter(exc.message) from exc
    rows = []
    for r in results:
        row: dict[str, Any] = {
            "grid_id": r.grid_id,
            "grid": r.grid,
            "score": r.score,
            "colour": r.colour.value,
            "colour_zh": r.colour_label,
            "patrol_every_days": r.patrol_every_days,
        }
        for c in r.contributions:
            row[f"{c.factor}_value"] = round(c.value, 2)
            row[f"{c.factor}_points"] = round(c.points, 2)
        row["explanation"] = r.explain()
        rows.append(row)
    table = Table(title=_("网格五色风险分级"))
    for col in ("grid", "score", "colour", "patrol", "explanation"):
        table.add_column(col)
    for r in results:
        table.add_row(
            r.grid,
            f"{r.score:.1f}",
            f"{r.colour_label} {r.colour.value}",
            _("每 {n} 天").format(n=r.patrol_every_days),
            r.explain(),
        )
    console.print(table)
    if out is not None:
        write_table(pd.DataFrame(rows), out)
        console.print(_("已写入 {n} 个网格到 {out}").format(n=len(rows), out=out))


def warnings_command(
    as_of: str | None = typer.Option(None, help=AS_OF_HELP),
    by: str = typer.Option("grid", help="grid or category."),
    window: int = typer.Option(7, min=1, max=90, help="Recent window checked (days)."),
    history: int = typer.Option(365, min=28, max=3660, help="History used to forecast (days)."),
    root: str | None = typer.Option(None, help=ROOT_HELP),
    out: Path | None = typer.Option(None, help="Write the warnings to CSV/Excel."),
    db: str | None = typer.Option(None, help=DB_HELP),
) -> None:
    """Early warnings (预警): grids or categories whose recent volume departs from forecast."""
    from civicgrid.errors import CivicgridError
    from civicgrid.intel.analytics import early_warnings
    from civicgrid.intel.warnings import WarningParams

    with _session(db) as session:
        try:
            found = early_warnings(
                session,
                as_of=_as_of(as_of),
                by=by,
                history_days=history,
                root_id=_root(session, root),
                params=WarningParams(window=window),
            )
        except CivicgridError as exc:
            raise typer.BadParameter(exc.message) from exc
    for dep in found:
        colour = "red" if dep.severity == "high" else "yellow"
        console.print(f"[{colour}]{dep.message()}[/{colour}]", soft_wrap=True)
    if not found:
        console.print(_("无预警：各{by}的近期量均在预测区间内").format(by=by))
    if out is not None:
        frame = pd.DataFrame([{**asdict(d), "message": d.message()} for d in found])
        write_table(frame, out)


def register(app: typer.Typer) -> None:
    """Mount the forecasting, warning, hot-issue and risk commands on ``app``."""
    app.command("forecast")(forecast)
    app.command("forecast-eval")(forecast_eval)
    app.command("hotspots")(hotspots)
    app.command("warnings")(warnings_command)
    app.command("risk")(risk)
