"""``civicgrid demo`` — build the generated demo city on SQLite and serve it."""

from __future__ import annotations

import os
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import Engine, func, inspect, select

from civicgrid.cli.common import console, err_console
from civicgrid.config import get_settings
from civicgrid.demo import steps as demo_steps
from civicgrid.demo.generator import (
    GENERATOR_VERSION,
    CitySummary,
    generate_city,
    key_fingerprint,
    read_manifest,
)
from civicgrid.demo.keys import FIELD_VAR, SECRET_VAR, demo_keys
from civicgrid.demo.sizes import DEFAULT_SEED
from civicgrid.demo.summary import load_summary
from civicgrid.kit import migrate
from civicgrid.kit.db import make_engine, make_sessionmaker, transaction
from civicgrid.kit.i18n import _
from civicgrid.kit.timeutil import LOCAL_TZ, utcnow
from civicgrid.models.org import OrgNode
from civicgrid.models.registry import Person
from civicgrid.models.workorder import WorkOrder


class DemoSize(StrEnum):
    small = "small"
    default = "default"
    city = "city"


class RichReporter:
    """Progress bars for the generator's stages."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, tuple[object, int | None]] = {}

    def start(self, key: str, label: str, total: int | None) -> None:
        self.tasks[key] = (self.progress.add_task(label, total=total), total)

    def advance(self, key: str, n: int) -> None:
        if key in self.tasks:
            self.progress.advance(self.tasks[key][0], n)  # type: ignore[arg-type]

    def finish(self, key: str) -> None:
        if key in self.tasks:
            task, total = self.tasks[key]
            self.progress.update(task, total=total or 1, completed=total or 1)  # type: ignore[arg-type]


def _show_step(progress: Progress, step: demo_steps.Step) -> None:
    progress.add_task(step.label, total=None)


def _sqlite_files(path: Path) -> list[Path]:
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]


def _state(engine: Engine) -> tuple[str, dict[str, str] | None]:
    """("empty" | "demo" | "foreign", manifest) of an existing database file."""
    tables = set(inspect(engine).get_table_names())
    if not tables:
        return "empty", None
    if "org_node" not in tables:
        return "foreign", None
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        manifest = read_manifest(session)
        if manifest is not None:
            return "demo", manifest
        counts = [
            session.execute(select(func.count()).select_from(m)).scalar_one()
            for m in (OrgNode, Person, WorkOrder)
        ]
    return ("empty" if not any(counts) else "foreign"), None


def _print_summary(summary: CitySummary, path: Path, reused: bool) -> None:
    title = _("演示城市（沿用已有数据库）") if reused else _("演示城市已生成")
    table = Table(title=f"{title} — {path}", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_row(
        _("规模 / 种子 / 截止日期"),
        f"{summary.size} / {summary.seed} / {summary.reference_date.isoformat()}",
    )
    labels = {
        "district": _("区县"),
        "street": _("街道"),
        "community": _("社区"),
        "grid": _("网格"),
        "building": _("楼栋"),
    }
    for level, label in labels.items():
        table.add_row(label, f"{summary.levels.get(level, 0):,}")
    names = {
        "household": _("户"),
        "person": _("人口"),
        "entity": _("法人"),
        "place": _("场所设施"),
        "work_order": _("工单"),
        "grid_member": _("网格力量"),
    }
    for key, label in names.items():
        table.add_row(label, f"{summary.tables.get(key, 0):,}")
    group_labels = {
        "elderly_alone": _("独居老人"),
        "disabled": _("残疾人"),
        "low_income": _("低保"),
        "left_behind_child": _("留守儿童"),
        "party_member": _("党员"),
        "veteran": _("退役军人"),
    }
    for key, label in group_labels.items():
        if key in summary.groups:
            table.add_row(label, f"{summary.groups[key]:,}")
    if summary.orders:
        o = summary.orders
        table.add_row(
            _("未办结 / 超期 / 已评价"),
            f"{o.get('open', 0):,} / {o.get('overdue', 0):,} / {o.get('rated', 0):,}",
        )
    if not reused:
        table.add_row(_("耗时"), f"{summary.elapsed:.1f} s (CPU {summary.cpu:.1f} s)")
    console.print(table)


def yesterday() -> date:
    """The last full local day (Asia/Shanghai): the default end of the demo year."""
    return utcnow().astimezone(LOCAL_TZ).date() - timedelta(days=1)


def demo(
    db: Path | None = typer.Option(None, "--db", help="SQLite file (default: <data_dir>/demo.db)."),
    size: DemoSize = typer.Option(DemoSize.default, "--size", help="City size."),
    seed: int = typer.Option(DEFAULT_SEED, "--seed", help="Random seed: same seed, same city."),
    as_of: str | None = typer.Option(
        None,
        "--as-of",
        help="Last day of the generated year (YYYY-MM-DD); default: yesterday, so that the "
        "dashboard's recent days, SLA lights and warnings are live. Give a date for a city that "
        "is the same on every run.",
    ),
    fresh: bool = typer.Option(False, "--fresh", help="Rebuild even if the city is up to date."),
    no_serve: bool = typer.Option(False, "--no-serve", help="Build (or check) and exit."),
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to serve on."),
    port: int = typer.Option(8000, "--port", help="TCP port to serve on."),
) -> None:
    """Generate the demo city (districts, grids, registries, a year of work orders) and serve it.

    The city is rebuilt when --size, --seed, --as-of or the keys change, or with --fresh.

    A database that holds anything other than a demo city is never overwritten.
    """
    settings = get_settings()
    path = (db or settings.data_dir / "demo.db").resolve()
    try:
        reference = date.fromisoformat(as_of) if as_of else yesterday()
    except ValueError:
        err_console.print(f"[red]{_('日期格式应为 YYYY-MM-DD')}: {as_of}[/red]")
        raise typer.Exit(2) from None
    keys = demo_keys(settings.data_dir, settings.secret_key, settings.field_keys)
    cipher = keys.cipher()
    wanted = {
        "size": size.value,
        "seed": str(seed),
        "reference": reference.isoformat(),
        "keys": key_fingerprint(cipher),
        "version": str(GENERATOR_VERSION),
    }

    build = True
    if path.exists():
        engine = make_engine(f"sqlite:///{path}")
        state, manifest = _state(engine)
        engine.dispose()
        if state == "foreign":
            err_console.print(
                f"[red]{_('拒绝覆盖：该数据库中有非演示数据')}: {path}[/red]\n"
                + _("请用 --db 指定另一个文件。")
            )
            raise typer.Exit(1)
        if state == "demo" and manifest is not None and not fresh:
            changed = [k for k, v in wanted.items() if manifest.get(k) != v]
            build = bool(changed)
            if changed:
                console.print(
                    _("参数已变化（{changed}），重新生成演示城市").format(
                        changed=", ".join(changed)
                    )
                )
        if build:
            for f in _sqlite_files(path):
                f.unlink(missing_ok=True)

    # The served app (and any step) must see the same database and keys.
    os.environ["CIVICGRID_DATABASE_URL"] = f"sqlite:///{path.as_posix()}"
    os.environ[SECRET_VAR] = keys.secret_key
    os.environ[FIELD_VAR] = keys.field_keys
    os.environ["CIVICGRID_DEMO"] = "true"
    get_settings.cache_clear()
    if keys.source == "created":
        console.print(_("已生成演示密钥：{file}").format(file=settings.data_dir / "demo.env"))

    engine = make_engine(f"sqlite:///{path}")
    try:
        migrate.upgrade(engine)
        factory = make_sessionmaker(engine)
        if build:
            with (
                Progress(
                    TextColumn("{task.description}"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TimeElapsedColumn(),
                    console=console,
                    transient=True,
                ) as progress,
                transaction(factory) as session,
            ):
                summary = generate_city(
                    session,
                    size=size.value,
                    seed=seed,
                    cipher=cipher,
                    reference=reference,
                    reporter=RichReporter(progress),
                )
                demo_steps.run_steps(
                    session,
                    summary,
                    "build",
                    on_step=lambda step: _show_step(progress, step),
                )
        with transaction(factory) as session:
            loaded = load_summary(session)
            assert loaded is not None
            if not build:
                summary = loaded
            demo_steps.run_steps(session, summary, "start")
    finally:
        engine.dispose()
    _print_summary(summary, path, reused=not build)
    for line in summary.messages:
        console.print(line)
    if no_serve:
        return
    from civicgrid.cli.serve import serve

    serve(host=host, port=port, workers=1)
