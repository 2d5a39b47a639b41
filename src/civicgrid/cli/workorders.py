"""``civicgrid workorders`` — historic imports, the SLA job, the responsibility list."""

from __future__ import annotations

from pathlib import Path

import typer
import yaml
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select

from civicgrid.cli.common import console, engine_from_settings, err_console, session_scope
from civicgrid.errors import CivicgridError
from civicgrid.kit.db import make_sessionmaker
from civicgrid.kit.i18n import _
from civicgrid.kit.tabular import open_table, write_table
from civicgrid.models.org import OrgNode
from civicgrid.workorders import bulk_import, tasks
from civicgrid.workorders import responsibility as rl

app = typer.Typer(
    help="工单 Work orders: import history, SLA job, responsibility list.", no_args_is_help=True
)
resp = typer.Typer(help="权责清单 The responsibility list.", no_args_is_help=True)
app.add_typer(resp, name="responsibility")


def _fail(exc: CivicgridError) -> None:
    err_console.print(f"[red]{exc.message}[/red]")
    rows = exc.details.get("rows") if isinstance(exc.details, dict) else None
    for row in rows or []:
        err_console.print(f"  第{row['row']}行 {row['column']}: {row['reason']}")
    raise typer.Exit(code=2)


@app.command("import")
def import_orders(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV or .xlsx file"),
    mapping: str = typer.Option("civicgrid", help="nyc311 | gov_messages | civicgrid | FILE.yaml"),
    source: str = typer.Option("", help="Prefix of the imported codes (default: the mapping name)"),
    default_node: str | None = typer.Option(None, help="Node code for rows without a location"),
    report: Path | None = typer.Option(None, help="Write rejected rows to this CSV/XLSX file"),
    db: str | None = typer.Option(None, help="SQLite file instead of the configured database"),
) -> None:
    """Import historic orders (one transaction; bad rows reported, never half-imported)."""
    if mapping in bulk_import.BUILTIN:
        spec = bulk_import.BUILTIN[mapping]
        source = source or mapping
    else:
        spec = bulk_import.OrderMapping.from_dict(yaml.safe_load(Path(mapping).read_text("utf-8")))
        source = source or Path(mapping).stem
    try:
        with session_scope(db) as session, open_table(file) as table:
            node_id = None
            if default_node:
                node = session.scalar(select(OrgNode).where(OrgNode.code == default_node))
                if node is None:
                    raise CivicgridError(f"node {default_node!r} not found")
                node_id = node.id
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
            ) as bar:
                task = bar.add_task("导入工单", total=table.estimated_rows)
                result = bulk_import.import_orders(
                    session,
                    rows=table,  # column-wise reading: the fast path
                    mapping=spec,
                    source=source,
                    filename=file.name,
                    default_node_id=node_id,
                    progress=lambda n: bar.advance(task, n),
                )
    except CivicgridError as exc:
        _fail(exc)
        return
    summary = Table(title=f"{file.name}")
    for col in ("rows", "inserted", "duplicates", "rejected"):
        summary.add_column(col, justify="right")
    summary.add_row(
        *(str(x) for x in (result.rows_total, result.inserted, result.duplicates, result.rejected))
    )
    console.print(summary)
    for p in result.problems[:20]:
        console.print(f"  第{p.row}行 {p.column}: {p.reason}")
    if report is not None:
        write_table(
            report, ["行号", "列", "原因"], ([p.row, p.column, p.reason] for p in result.problems)
        )
        console.print(f"report: {report}")


@app.command("sla-check")
def sla_check(db: str | None = typer.Option(None, help="SQLite file")) -> None:
    """Update SLA lights, escalate overdue orders, auto-close unrated replies (run from cron)."""
    engine = engine_from_settings(db)
    try:
        r = tasks.scheduled_sla_check(make_sessionmaker(engine))
    finally:
        engine.dispose()
    if r is None:
        console.print(_("另一个进程正在执行时限检查，本次跳过"))
        return
    console.print(
        f"checked {r.checked}, yellow {r.yellow}, red {r.red}, escalated {r.escalated}, "
        f"auto-closed {r.auto_closed}"
    )


@resp.command("import")
def resp_import(
    file: Path = typer.Argument(..., exists=True, dir_okay=False),
    note: str = typer.Option("", help="Why this version"),
    db: str | None = typer.Option(None, help="SQLite file"),
) -> None:
    """Publish a new version of the responsibility list from Excel/CSV (all rows valid, or none)."""
    try:
        with session_scope(db) as session, open_table(file) as table:
            version = rl.import_rows(session, rows=table.rows(), note=note or file.name)
            number = version.number
    except CivicgridError as exc:
        _fail(exc)
        return
    console.print(f"[green]published version {number}[/green]")


@resp.command("export")
def resp_export(
    file: Path = typer.Argument(..., dir_okay=False, help="Output .xlsx or .csv"),
    db: str | None = typer.Option(None, help="SQLite file"),
) -> None:
    """Write the list in force to Excel/CSV (the same columns the importer reads)."""
    with session_scope(db) as session:
        version = rl.version_in_force(session)
        if version is None:
            err_console.print("[red]尚未发布权责清单[/red]")
            raise typer.Exit(code=2)
        data = rl.export_rows(session, version)
    header = list(data[0]) if data else []
    write_table(file, header, ([row[h] for h in header] for row in data))
    console.print(f"wrote {len(data)} rows to {file}")
