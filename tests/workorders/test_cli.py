"""``civicgrid workorders …`` through Typer's CliRunner, on a SQLite file of its own."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.fixtures.world import centre, world_file
from typer.testing import CliRunner

from civicgrid.cli.main import app
from civicgrid.kit.db import make_engine
from civicgrid.models.workorder import WorkOrder

runner = CliRunner()


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    return world_file(tmp_path / "orders.db")


def test_import_then_sla_check(db_file: Path, tmp_path: Path) -> None:
    lon, lat = centre(0)
    source = tmp_path / "history.csv"
    with source.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["编号", "上报时间", "标题", "状态", "纬度", "经度"])
        out.writerow(["H1", "2025-03-01 08:00", "路灯不亮", "", lat, lon])
        out.writerow(["H2", "2025-03-02 09:30", "井盖破损", "已办结", lat, lon])
        out.writerow(["H3", "昨天", "时间坏了", "", lat, lon])
    report = tmp_path / "problems.csv"
    result = runner.invoke(
        app,
        ["workorders", "import", str(source), "--db", str(db_file), "--report", str(report)],
    )
    assert result.exit_code == 0, result.output
    assert "第4行" in result.output
    assert "H3" not in report.read_text("utf-8") and "4" in report.read_text("utf-8")
    engine = make_engine(f"sqlite:///{db_file}")
    with Session(engine) as session:
        codes = session.scalars(select(WorkOrder.code).order_by(WorkOrder.code)).all()
        assert codes == ["civicgrid-H1", "civicgrid-H2"]
    checked = runner.invoke(app, ["workorders", "sla-check", "--db", str(db_file)])
    assert checked.exit_code == 0, checked.output
    assert "checked" in checked.output
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(WorkOrder)) == 2
    engine.dispose()


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["workorders", "--help"])
    assert result.exit_code == 0
    for command in ("import", "sla-check", "responsibility"):
        assert command in result.output
