"""``civicgrid evaluate`` — 考核评价: run an indicator system, list/copy/check systems, import
survey results, trends, Excel and printable reports.

Exit codes: 0 on success, 1 when the request is wrong (unknown system, bad file, inconsistent
AHP matrix…), with the reason in Chinese on standard error.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.tree import Tree

from civicgrid.cli.common import console, err_console, session_scope
from civicgrid.errors import CivicgridError
from civicgrid.evaluate import report, service
from civicgrid.evaluate.config import IndicatorSystem, load_file, parse_system
from civicgrid.evaluate.config_excel import write_excel
from civicgrid.evaluate.dataset import Level
from civicgrid.evaluate.periods import Period, Step, split

app = typer.Typer(
    help="考核评价 Evaluation: indicator systems, AHP/entropy weights, TOPSIS, reports.",
    no_args_is_help=True,
)

DB_OPTION = typer.Option(None, "--db", help="SQLite file to use instead of the configured URL.")
T = TypeVar("T")


def _guard(work: Callable[[], T]) -> T:
    try:
        return work()
    except CivicgridError as exc:
        err_console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from exc


def _with_method(system: IndicatorSystem, method: str | None) -> IndicatorSystem:
    if method is None or method == system.method.value:
        return system
    return parse_system({**system.to_data(), "method": method}, origin=system.name)


def _ranking_table(result: Any, top: int) -> Table:
    dims = [i for i in result.indicators if i.depth == 1]
    table = Table(
        title=(
            f"{result.system_title} · {result.level_label} · "
            f"{result.period_start}..{result.period_end}"
        )
    )
    table.add_column("排名", justify="right")
    table.add_column("名称")
    table.add_column("上级")
    table.add_column("总分", justify="right")
    for d in dims:
        table.add_column(d.name, justify="right")
    for e in result.entities[:top]:
        table.add_row(
            str(e.rank),
            e.name,
            e.parent or "",
            f"{e.score:.2f}",
            *[f"{e.dimension_scores[d.key]:.1f}" for d in dims],
        )
    return table


@app.command("run")
def run(
    system: str = typer.Option(
        ..., "--system", help="Template or stored system name, or a .yaml/.xlsx file."
    ),
    level: Level = typer.Option(..., "--level", help="Who is evaluated."),
    period: str = typer.Option(
        ..., "--period", help="2025-01-01..2025-12-31, or 2025, 2025-03, 2025Q1, 2025H1."
    ),
    out: Path | None = typer.Option(None, "--out", help="Write the Excel workbook here (.xlsx)."),
    html: Path | None = typer.Option(None, "--html", help="Write the printable HTML report here."),
    json_out: Path | None = typer.Option(
        None, "--json", help="Write the full result as JSON here."
    ),
    scope: str | None = typer.Option(
        None, "--scope", help="Only objects under this org node code."
    ),
    method: str | None = typer.Option(
        None, "--method", help="Override the ranking method: weighted_sum or topsis."
    ),
    save: bool = typer.Option(False, "--save", help="Store the run in the database."),
    top: int = typer.Option(20, "--top", help="Rows of the ranking to print."),
    db: str | None = DB_OPTION,
) -> None:
    """Evaluate every object of a level over a period and print the ranking."""
    if out is not None and out.suffix.lower() != ".xlsx":
        err_console.print("[red]--out 应为 .xlsx 文件[/red]")
        raise typer.Exit(1)

    def work() -> Any:
        with session_scope(db) as session:
            chosen, _version = service.resolve_system(session, system)
            return service.evaluate(
                session,
                system=_with_method(chosen, method),
                level=level,
                period=period,
                scope=scope,
                save=save,
            )

    result = _guard(work)
    console.print(_ranking_table(result, top))
    for warning in result.warnings:
        err_console.print(f"[yellow]提示：{warning}[/yellow]")
    if out is not None:
        out.write_bytes(report.excel_report(result))
        err_console.print(f"Excel 已写入 {out}")
    if html is not None:
        html.write_text(report.html_report(result), encoding="utf-8")
        err_console.print(f"报告已写入 {html}")
    if json_out is not None:
        json_out.write_text(result.model_dump_json(indent=2), encoding="utf-8")
        err_console.print(f"JSON 已写入 {json_out}")
    if result.run_id is not None:
        err_console.print(f"已保存为评价记录 #{result.run_id}")


@app.command("systems")
def systems(db: str | None = DB_OPTION) -> None:
    """List the built-in templates and the stored indicator systems."""

    def work() -> Any:
        with session_scope(db) as session:
            return service.list_systems(session)

    table = Table(title="指标体系")
    for name in ("名称", "标题", "来源", "适用层级", "一级/末级指标", "排名方法", "赋权"):
        table.add_column(name)
    for s in _guard(work):
        origin = (
            "内置模板"
            if s.builtin
            else f"自定义 v{s.version}" + (f"（复制自 {s.based_on}）" if s.based_on else "")
        )
        table.add_row(
            s.name,
            s.title,
            origin,
            ",".join(s.levels),
            f"{s.first_level}/{s.leaves}",
            s.method,
            s.weighting,
        )
    console.print(table)


@app.command("show")
def show(
    name: str = typer.Argument(..., help="System name or .yaml/.xlsx file."),
    db: str | None = DB_OPTION,
) -> None:
    """Print a system as a tree with local and global weights."""

    def work() -> IndicatorSystem:
        with session_scope(db) as session:
            return service.resolve_system(session, name)[0]

    system = _guard(work)
    weights = system.global_weights()
    tree = Tree(f"[bold]{system.title}[/bold]（{system.name}）")
    branches: dict[str, Tree] = {}
    for node, parent, _depth in system.walk():
        local = system.local_weight(node.key)
        label = f"{node.key} {node.name}  局部 {local:.3f} · 全局 {weights[node.key]:.3f}"
        if node.is_leaf:
            label += f"  [dim]{node.metric or node.resolved_source.value}[/dim]"
        branches[node.key] = (branches[parent.key] if parent else tree).add(label)
    console.print(tree)
    for key, result in system.ahp_results.items():
        owner = key or "一级指标"
        console.print(
            f"判断矩阵 {owner}: λmax={result.lambda_max:.4f} CI={result.ci:.4f} CR={result.cr:.4f}"
        )


@app.command("check")
def check(path: Path = typer.Argument(..., help="A .yaml or .xlsx indicator system.")) -> None:
    """Validate an indicator system file and report every problem."""
    system = _guard(lambda: load_file(path))
    console.print(
        f"[green]「{system.title}」有效：{len(system.indicators)} 个一级指标，"
        f"{len(system.leaves())} 个末级指标[/green]"
    )


@app.command("copy")
def copy(
    source: str = typer.Argument(..., help="Template or stored system to copy."),
    name: str = typer.Argument(..., help="Name of the new editable system."),
    title: str | None = typer.Option(None, "--title", help="Title of the copy."),
    db: str | None = DB_OPTION,
) -> None:
    """Copy a template into an editable system stored in the database."""

    def work() -> str:
        with session_scope(db) as session:
            return service.copy_template(session, source=source, name=name, title=title).name

    console.print(f"[green]已创建指标体系 {_guard(work)}[/green]")


@app.command("export")
def export(
    name: str = typer.Argument(..., help="System name or file."),
    out: Path = typer.Option(..., "--out", help="A .xlsx (office template) or .yaml file."),
    db: str | None = DB_OPTION,
) -> None:
    """Write a system to the Excel template or YAML, to edit it and load it back."""

    def work() -> IndicatorSystem:
        with session_scope(db) as session:
            return service.resolve_system(session, name)[0]

    system = _guard(work)
    if out.suffix.lower() == ".xlsx":
        out.write_bytes(write_excel(system))
    elif out.suffix.lower() in (".yaml", ".yml"):
        out.write_text(system.to_yaml(), encoding="utf-8")
    else:
        err_console.print("[red]--out 应为 .xlsx 或 .yaml 文件[/red]")
        raise typer.Exit(1)
    console.print(f"已写入 {out}")


@app.command("load")
def load(
    path: Path = typer.Argument(..., help="A .yaml or .xlsx indicator system."),
    name: str | None = typer.Option(
        None, "--name", help="Store under this name (default: the file's)."
    ),
    db: str | None = DB_OPTION,
) -> None:
    """Store a system from a file: create it, or replace a stored system of the same name."""

    def work() -> tuple[str, int]:
        system = load_file(path)
        data = system.to_data()
        target = name or system.name
        data["name"] = target
        with session_scope(db) as session:
            if service.get_stored_system(session, target) is None:
                row = service.store_system(session, definition=data)
            else:
                row = service.save_system(session, name=target, definition=data)
            return row.name, row.version

    stored, version = _guard(work)
    console.print(f"[green]已保存指标体系 {stored}（版本 {version}）[/green]")


@app.command("import-survey")
def import_survey(
    path: Path = typer.Argument(..., help="CSV or XLSX with 对象编码, 指标, 值 (and 样本量)."),
    survey: str = typer.Option(..., "--survey", help="Name of the survey or score sheet."),
    level: Level = typer.Option(..., "--level", help="Level of the codes in the file."),
    period: str = typer.Option(..., "--period", help="Period the values cover, e.g. 2025Q1."),
    manual: bool = typer.Option(False, "--manual", help="A manual score sheet, not a survey."),
    db: str | None = DB_OPTION,
) -> None:
    """Import third-party satisfaction survey results (or manual scores) as indicator values."""
    if not path.is_file():
        err_console.print(f"[red]文件不存在：{path}[/red]")
        raise typer.Exit(1)

    def work() -> Any:
        with session_scope(db) as session:
            return service.import_inputs(
                session,
                content=path.read_bytes(),
                filename=path.name,
                source="manual" if manual else "survey",
                survey=survey,
                level=level,
                period=period,
            )

    result = _guard(work)
    console.print(
        f"共 {result.rows_total} 行：新增 {result.rows_inserted}，更新 {result.rows_updated}，"
        f"拒绝 {result.rows_rejected}"
    )
    for error in result.errors[:50]:
        err_console.print(f"[yellow]第 {error['row']} 行：{error['reason']}[/yellow]")


@app.command("trend")
def trend(
    system: str = typer.Option(..., "--system", help="Template or stored system name, or a file."),
    level: Level = typer.Option(..., "--level", help="Who is evaluated."),
    period: str = typer.Option(..., "--period", help="The whole span, e.g. 2025."),
    step: str = typer.Option("month", "--step", help="week, month, quarter or year."),
    scope: str | None = typer.Option(
        None, "--scope", help="Only objects under this org node code."
    ),
    out: Path | None = typer.Option(None, "--out", help="Write the scores per period as JSON."),
    db: str | None = DB_OPTION,
) -> None:
    """Scores and ranks over consecutive periods."""

    def work() -> Any:
        whole = Period.parse(period)
        pieces = split(whole, cast(Step, step))
        with (
            session_scope(db) as session,
            Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=err_console,
            ) as progress,
        ):
            chosen = service.resolve_system(session, system)[0]
            task = progress.add_task("评价各期", total=len(pieces))
            results = []
            for piece in pieces:
                results.append(
                    service.evaluate(session, system=chosen, level=level, period=piece, scope=scope)
                )
                progress.advance(task)
            return results

    results = _guard(work)
    table = Table(title="趋势")
    table.add_column("名称")
    for r in results:
        table.add_column(f"{r.period_start:%m-%d}~{r.period_end:%m-%d}", justify="right")
    keys = sorted({e.key for r in results for e in r.entities})
    names = {e.key: e.name for r in results for e in r.entities}
    by_period = [{e.key: e for e in r.entities} for r in results]
    rows = []
    for key in keys:
        cells = [f"{p[key].score:.1f} (#{p[key].rank})" if key in p else "—" for p in by_period]
        table.add_row(names[key], *cells)
        rows.append(
            {
                "key": key,
                "name": names[key],
                "scores": [p[key].score if key in p else None for p in by_period],
            }
        )
    console.print(table)
    if out is not None:
        data = {"periods": [f"{r.period_start}..{r.period_end}" for r in results], "series": rows}
        out.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
