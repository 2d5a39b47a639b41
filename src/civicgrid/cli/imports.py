"""``civicgrid import people|entities|places FILE`` — 批量导入 the base registries.

Reads CSV (UTF-8, GBK or GB18030, detected) or Excel .xlsx, maps columns by their usual Chinese
headers (or a ``--mapping`` YAML/JSON file), validates every row, imports the good ones in one
transaction, prints a summary and writes the per-row report (CSV or XLSX).

Exit codes: 0 when every row was imported; 1 when some rows were rejected (the good ones are
still imported, as with every civicgrid import) unless ``--allow-rejects``; 2 when nothing could
be imported (unreadable file, missing columns, no keys configured).
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from civicgrid.cli.common import console, err_console, session_scope
from civicgrid.config import get_settings
from civicgrid.errors import CivicgridError
from civicgrid.org.service import get_node_by_code_or_raise
from civicgrid.registry.importer import CHUNK_ROWS, ImportOptions, ImportResult
from civicgrid.registry.report import Level, export_report, level_label
from civicgrid.registry.service import field_cipher, import_file

app = typer.Typer(
    help="批量导入 Bulk import of the registries (people, entities, places) from CSV or Excel.",
    no_args_is_help=True,
)

FILE_ARG = typer.Argument(
    ..., exists=True, dir_okay=False, help="CSV (UTF-8/GBK/GB18030) or Excel .xlsx file."
)
MAPPING_OPT = typer.Option(
    None, "--mapping", exists=True, dir_okay=False, help="YAML/JSON file: field → column header."
)
REPORT_OPT = typer.Option(
    None, "--report", help="Where to write the row report (.csv or .xlsx; default: next to FILE)."
)
NODE_OPT = typer.Option(
    None, "--node", help="Code of the node to import into: rows must land in its subtree."
)
SHEET_OPT = typer.Option(None, "--sheet", help="Excel sheet to read (default: the first).")
DB_OPT = typer.Option(None, "--db", help="SQLite file to use instead of the configured URL.")
DRY_OPT = typer.Option(False, "--dry-run", help="Validate and report only; write nothing.")
ALLOW_OPT = typer.Option(False, "--allow-rejects", help="Exit 0 even when rows were rejected.")
SHOWN_ISSUES = 20


def default_report_path(file: Path) -> Path:
    suffix = ".xlsx" if file.suffix.lower() in (".xlsx", ".xlsm") else ".csv"
    return file.with_name(f"{file.stem}-report{suffix}")


def _summary(result: ImportResult, report: Path) -> Table:
    table = Table(title=f"导入结果 {result.filename}", show_header=False)
    table.add_column("项目", style="bold")
    table.add_column("数值", justify="right")
    rows = [
        ("类型 kind", result.kind),
        ("编码 encoding", result.encoding or "xlsx"),
        ("总行数 rows", f"{result.rows_total:,}"),
        ("新增 inserted", f"{result.rows_inserted:,}"),
        ("更新 updated", f"{result.rows_updated:,}"),
        ("未变 unchanged", f"{result.rows_unchanged:,}"),
        ("拒绝 rejected", f"{result.rows_rejected:,}"),
        ("提醒 warnings", f"{result.rows_warned:,}"),
        ("用时 seconds", f"{result.seconds:.2f}"),
        ("速度 rows/s", f"{result.rows_per_second:,.0f}"),
        ("批次 batch", str(result.batch_id) if result.batch_id else "（试运行，未写入）"),
        ("报告 report", str(report)),
    ]
    if result.unused_columns:
        rows.append(("未使用的列 unused", "、".join(result.unused_columns)))
    for key, value in rows:
        table.add_row(key, value)
    return table


def _issues(result: ImportResult) -> Table:
    table = Table(title=f"问题行（前 {SHOWN_ISSUES} 条，完整内容见报告）")
    for column in ("行号", "列", "值（已脱敏）", "问题", "处理"):
        table.add_column(column)
    for issue in result.issues[:SHOWN_ISSUES]:
        style = "red" if issue.level == Level.ERROR else "yellow"
        table.add_row(
            str(issue.row),
            issue.column,
            issue.value,
            issue.reason,
            f"[{style}]{level_label(issue.level)}[/{style}]",
        )
    return table


def _run(
    kind: str,
    file: Path,
    mapping: Path | None,
    report: Path | None,
    node: str | None,
    sheet: str | None,
    db: str | None,
    dry_run: bool,
    allow_rejects: bool,
) -> None:
    report_path = report or default_report_path(file)
    settings = get_settings()
    try:
        cipher = field_cipher(settings.field_keys, settings.secret_key)
        with (
            session_scope(db) as session,
            Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                TaskProgressColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            ) as progress,
        ):
            task = progress.add_task(f"导入 {file.name}", total=None)

            def advance(done: int, total: int | None) -> None:
                progress.update(task, completed=done, total=max(total or 0, done) or None)

            options = ImportOptions(
                scope=get_node_by_code_or_raise(session, node) if node else None,
                dry_run=dry_run,
                chunk_rows=CHUNK_ROWS,
                progress=advance,
            )
            result = import_file(
                session, kind=kind, path=file, cipher=cipher, mapping=mapping, sheet=sheet,
                options=options,
            )  # fmt: skip
    except CivicgridError as exc:
        err_console.print(f"[red]导入失败，未写入任何数据：{exc.message}[/red]")
        raise typer.Exit(2) from exc
    export_report(report_path, result.issues)
    console.print(_summary(result, report_path))
    if result.issues:
        console.print(_issues(result))
    if result.issues_dropped:
        console.print(f"[yellow]另有 {result.issues_dropped:,} 条问题未列出（报告已截断）[/yellow]")
    if result.rows_total and result.rows_rejected == result.rows_total:
        raise typer.Exit(2)
    if result.rows_rejected and not allow_rejects:
        raise typer.Exit(1)


@app.command("people")
def people(
    file: Path = FILE_ARG,
    mapping: Path | None = MAPPING_OPT,
    report: Path | None = REPORT_OPT,
    node: str | None = NODE_OPT,
    sheet: str | None = SHEET_OPT,
    db: str | None = DB_OPT,
    dry_run: bool = DRY_OPT,
    allow_rejects: bool = ALLOW_OPT,
) -> None:
    """人口库: residents and households (姓名, 身份证号, 联系电话, 户号, 现住址, 经纬度/网格…)."""
    _run("people", file, mapping, report, node, sheet, db, dry_run, allow_rejects)


@app.command("entities")
def entities(
    file: Path = FILE_ARG,
    mapping: Path | None = MAPPING_OPT,
    report: Path | None = REPORT_OPT,
    node: str | None = NODE_OPT,
    sheet: str | None = SHEET_OPT,
    db: str | None = DB_OPT,
    dry_run: bool = DRY_OPT,
    allow_rejects: bool = ALLOW_OPT,
) -> None:
    """法人库: enterprises, shops, social organisations (单位名称, 统一社会信用代码…)."""
    _run("entities", file, mapping, report, node, sheet, db, dry_run, allow_rejects)


@app.command("places")
def places(
    file: Path = FILE_ARG,
    mapping: Path | None = MAPPING_OPT,
    report: Path | None = REPORT_OPT,
    node: str | None = NODE_OPT,
    sheet: str | None = SHEET_OPT,
    db: str | None = DB_OPT,
    dry_run: bool = DRY_OPT,
    allow_rejects: bool = ALLOW_OPT,
) -> None:
    """地理库: houses, facilities with type and capacity, POIs, hazards (名称, 设施类型…)."""
    _run("places", file, mapping, report, node, sheet, db, dry_run, allow_rejects)
