"""``civicgrid grids`` — 网格: import boundaries, generate grids, assign located records.

Exit codes of ``grids import``: 0 when every feature was imported, 1 when some feature was
rejected (the valid ones are still imported, as with every civicgrid import), unless
``--allow-rejects``; 2 when nothing could be imported or the file cannot be read.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from civicgrid.cli.common import console, err_console, session_scope
from civicgrid.errors import CivicgridError
from civicgrid.models.org import OrgLevel
from civicgrid.org import generate as gen
from civicgrid.org import service
from civicgrid.org.formats import read_source
from civicgrid.org.geocheck import DEFAULT_GAP_TOLERANCE_M2, DEFAULT_OVERLAP_TOLERANCE_M2
from civicgrid.org.importer import import_grids
from civicgrid.org.locate import LOCATED_TABLES, reassign_located

app = typer.Typer(
    help="网格 Grids: import boundaries, generate grids, assign located records.",
    no_args_is_help=True,
)
generate_app = typer.Typer(
    help="生成网格 Generate grids: H3 cells or buildings grouped by households.",
    no_args_is_help=True,
)
app.add_typer(generate_app, name="generate")

DB_OPTION = typer.Option(None, "--db", help="SQLite file to use instead of the configured URL.")


def _write_rows(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """The report as CSV (UTF-8 with BOM, opens cleanly in Excel) or .xlsx."""
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.append(list(header))
        for row in rows:
            ws.append([str(c) if c is not None else "" for c in row])
        wb.save(path)
        return
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


def _fail(exc: CivicgridError) -> typer.Exit:
    err_console.print(f"[red]{exc.message}[/red]")
    return typer.Exit(2)


@app.command("import")
def import_cmd(
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="GeoJSON, KML/KMZ, or a zipped Shapefile."
    ),
    parent: str | None = typer.Option(None, help="Code of the parent node of every feature."),
    level: str = typer.Option(OrgLevel.GRID, help="Level of the imported nodes."),
    name_prop: str | None = typer.Option(None, help="Property holding the name (default: name)."),
    code_prop: str | None = typer.Option(None, help="Property holding the code (default: code)."),
    parent_prop: str | None = typer.Option(
        None, help="Property with the parent's code or name; dotted paths allowed (parent.adcode)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check and report, write nothing."),
    allow_rejects: bool = typer.Option(
        False, "--allow-rejects", help="Exit 0 even when some features were rejected."
    ),
    overlap_tolerance: float = typer.Option(
        DEFAULT_OVERLAP_TOLERANCE_M2, help="Overlaps up to this many m² are not reported."
    ),
    gap_tolerance: float = typer.Option(
        DEFAULT_GAP_TOLERANCE_M2, help="Gaps up to this many m² are not reported."
    ),
    report: Path | None = typer.Option(None, help="Also write the report to this .csv/.xlsx."),
    db: str | None = DB_OPTION,
) -> None:
    """Import grid boundaries; prints the report (rejected, repaired, overlaps, gaps)."""
    try:
        source = read_source(file.read_bytes(), file.name)
        with session_scope(db) as session:
            parent_node = service.get_node_by_code_or_raise(session, parent) if parent else None
            result = import_grids(
                session,
                source=source,
                parent=parent_node,
                level=level,
                name_prop=name_prop,
                code_prop=code_prop,
                parent_prop=parent_prop,
                dry_run=dry_run,
                overlap_tolerance_m2=overlap_tolerance,
                gap_tolerance_m2=gap_tolerance,
            )
    except CivicgridError as exc:
        raise _fail(exc) from exc
    rows = result.rows()
    if rows:
        table = Table("类型 kind", "要素 feature", "说明 detail", title=f"{file.name}")
        for row in rows:
            table.add_row(*row)
        console.print(table)
    if report is not None:
        _write_rows(report, ["kind", "feature", "detail"], rows)
    prefix = "[yellow]dry run[/yellow] " if dry_run else ""
    console.print(
        f"{prefix}{result.features} features: {len(result.created)} created, "
        f"{len(result.updated)} updated, {len(result.unchanged)} unchanged, "
        f"{len(result.rejected)} rejected, {len(result.repaired)} repaired, "
        f"{len(result.overlaps)} overlaps, {len(result.gaps)} gaps"
    )
    if result.imported == 0:
        raise typer.Exit(2)
    if result.rejected and not allow_rejects:
        raise typer.Exit(1)


def _print_generated(result: gen.GenerateReport, show: int) -> None:
    table = Table("编码 code", "名称 name", "户数 households", "楼栋 buildings")
    for g in result.grids[:show]:
        table.add_row(g["code"], g["name"], str(g["households"] or ""), str(g["buildings"]))
    if result.grids:
        console.print(table)
    for warning in result.warnings:
        console.print(f"[yellow]{warning}[/yellow]")
    prefix = "[yellow]dry run[/yellow] " if result.dry_run else ""
    console.print(
        f"{prefix}{len(result.grids)} grids: {len(result.created)} created, "
        f"{len(result.updated)} updated, {len(result.unchanged)} unchanged, "
        f"{len(result.removed)} removed, {len(result.kept)} stale kept (still referenced), "
        f"{result.buildings_moved} buildings moved"
    )


@generate_app.command("h3")
def generate_h3(
    parent: str = typer.Option(..., help="Code of the area to cover (it needs a polygon)."),
    res: int = typer.Option(9, help="H3 resolution (8 ≈ 0.74 km², 9 ≈ 0.11 km² per cell)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Report, write nothing."),
    show: int = typer.Option(20, help="Grids to list in the table."),
    db: str | None = DB_OPTION,
) -> None:
    """Cover an area with H3 hexagons, one grid per cell (clipped to the area)."""
    try:
        with session_scope(db) as session:
            node = service.get_node_by_code_or_raise(session, parent)
            result = gen.generate_h3_grids(session, parent=node, res=res, dry_run=dry_run)
    except CivicgridError as exc:
        raise _fail(exc) from exc
    _print_generated(result, show)


@generate_app.command("buildings")
def generate_buildings(
    parent: str = typer.Option(..., help="Code of the area whose buildings are grouped."),
    target: int | None = typer.Option(
        None, help="Households per grid (default 300, or 200 when the area is tagged rural)."
    ),
    margin: float = typer.Option(
        30.0, help="Metres around the buildings when the area has no polygon."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Report, write nothing."),
    show: int = typer.Option(20, help="Grids to list in the table."),
    db: str | None = DB_OPTION,
) -> None:
    """Group buildings into compact grids of a target household count."""
    try:
        with session_scope(db) as session:
            node = service.get_node_by_code_or_raise(session, parent)
            result = gen.generate_building_grids(
                session, parent=node, target=target, margin_m=margin, dry_run=dry_run
            )
    except CivicgridError as exc:
        raise _fail(exc) from exc
    _print_generated(result, show)


@app.command("assign")
def assign_cmd(
    table: list[str] = typer.Option(
        list(LOCATED_TABLES), "--table", help="Tables to (re)assign; repeat the option."
    ),
    batch_size: int = typer.Option(50_000, help="Rows per batch."),
    db: str | None = DB_OPTION,
) -> None:
    """(Re)assign the grid (node_id) of every located record from its coordinates."""
    unknown = [t for t in table if t not in LOCATED_TABLES]
    if unknown:
        err_console.print(f"[red]unknown table(s): {', '.join(unknown)}[/red]")
        raise typer.Exit(2)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress, session_scope(db) as session:
        tasks: dict[str, TaskID] = {}

        def report(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = progress.add_task(name, total=total)
            progress.update(tasks[name], completed=done, total=total)

        stats = reassign_located(
            session,
            tables=[t for t in LOCATED_TABLES if t in table],
            batch_size=batch_size,
            progress=report,
        )
    out = Table("表 table", "有坐标 located", "变更 changed", "网格外 outside")
    for name, st in stats.items():
        out.add_row(name, str(st.located), str(st.changed), str(st.outside))
    console.print(out)
