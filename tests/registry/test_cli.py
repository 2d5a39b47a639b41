"""``civicgrid import people|entities|places`` through the real CLI on a SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from civicgrid.cli.main import app
from civicgrid.kit.db import make_engine
from civicgrid.models.registry import Entity, ImportBatch, Person, Place
from tests.fixtures.world import centre, world_file
from tests.registry.factory import PEOPLE_HEADER, write_csv
from tests.registry.test_import_people import EXPECTED, broken_rows

runner = CliRunner()


@pytest.fixture
def dbfile(tmp_path: Path) -> Path:
    return world_file(tmp_path / "cli.db")


def count(path: Path, model: object) -> int:
    engine = make_engine(f"sqlite:///{path}")
    with Session(engine) as session:
        n = int(session.scalar(select(func.count()).select_from(model)) or 0)  # type: ignore[arg-type]
    engine.dispose()
    return n


def test_import_people_report_and_exit_codes(dbfile: Path, tmp_path: Path) -> None:
    csv_path = write_csv(tmp_path / "人口.csv", PEOPLE_HEADER, broken_rows(), "gbk")
    report = tmp_path / "报告.xlsx"
    args = ["import", "people", str(csv_path), "--db", str(dbfile), "--report", str(report)]
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output  # some rows were rejected
    assert "gbk" in result.output
    assert "新增 inserted" in result.output
    assert count(dbfile, Person) == 5
    ws = load_workbook(report).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("行号", "列", "值（已脱敏）", "问题", "处理")
    assert [(r[0], r[1], r[3]) for r in rows[1:]] == [
        (r, c, reason) for r, c, reason, _l in EXPECTED
    ]
    assert rows[-1][4] == "拒绝"

    again = runner.invoke(app, [*args, "--allow-rejects"])
    assert again.exit_code == 0, again.output
    assert count(dbfile, Person) == 5
    assert count(dbfile, ImportBatch) == 2


def test_default_report_path_and_dry_run(dbfile: Path, tmp_path: Path) -> None:
    csv_path = write_csv(tmp_path / "人口.csv", PEOPLE_HEADER, broken_rows()[:2], "utf-8")
    result = runner.invoke(
        app, ["import", "people", str(csv_path), "--db", str(dbfile), "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert "试运行" in result.output
    assert (tmp_path / "人口-report.csv").exists()
    assert count(dbfile, Person) == 0
    assert count(dbfile, ImportBatch) == 0


def test_node_scope_and_fatal_errors(dbfile: Path, tmp_path: Path) -> None:
    csv_path = write_csv(tmp_path / "p.csv", PEOPLE_HEADER, broken_rows()[:2], "utf-8")
    unknown = runner.invoke(
        app, ["import", "people", str(csv_path), "--db", str(dbfile), "--node", "nope"]
    )
    assert unknown.exit_code == 2
    headless = write_csv(tmp_path / "h.csv", ["名字"], [["张三"]], "utf-8")
    missing = runner.invoke(app, ["import", "people", str(headless), "--db", str(dbfile)])
    assert missing.exit_code == 2
    assert "缺少必需的列" in missing.output
    assert count(dbfile, ImportBatch) == 0


def test_entities_and_places(dbfile: Path, tmp_path: Path) -> None:
    lon, lat = centre(0)
    entities = write_csv(
        tmp_path / "e.csv",
        ["单位名称", "单位类型", "经度", "纬度"],
        [["东湖超市", "商户", lon, lat]],
        "gbk",
    )
    places = write_csv(
        tmp_path / "p.csv",
        ["名称", "设施类型", "容纳人数", "经度", "纬度"],
        [["避难所", "应急避难场所", "300", lon, lat]],
        "gbk",
    )
    assert (
        runner.invoke(app, ["import", "entities", str(entities), "--db", str(dbfile)]).exit_code
        == 0
    )
    assert runner.invoke(app, ["import", "places", str(places), "--db", str(dbfile)]).exit_code == 0
    assert (count(dbfile, Entity), count(dbfile, Place)) == (1, 1)


def test_help() -> None:
    for sub in ("people", "entities", "places"):
        result = runner.invoke(app, ["import", sub, "--help"])
        assert result.exit_code == 0
        assert "--mapping" in result.output
