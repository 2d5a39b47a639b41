"""``civicgrid grids …`` through the real CLI on a SQLite file."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from shapely.geometry import box
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from civicgrid.cli.main import app
from civicgrid.kit.db import make_engine
from civicgrid.kit.geo import to_geojson
from civicgrid.kit.timeutil import utcnow
from civicgrid.models.org import OrgLevel, OrgNode
from civicgrid.models.registry import Person
from civicgrid.models.workorder import WorkOrder
from civicgrid.org import service
from tests.fixtures.world import World, centre, world_file
from tests.org.broken import BROKEN, X, Y

runner = CliRunner()


@pytest.fixture
def dbfile(tmp_path: Path) -> Path:
    def community(session: Session, world: World) -> None:
        service.create_node(
            session,
            parent=world.streets["东湖街道"],
            level=OrgLevel.COMMUNITY,
            name="命令行社区",
            code="CLI",
            geometry=to_geojson(box(X, Y, X + 0.02, Y + 0.01)),
        )

    return world_file(tmp_path / "cli.db", community)


def _count(path: Path, *where: object) -> int:
    engine = make_engine(f"sqlite:///{path}")
    with Session(engine) as session:
        n = int(session.scalar(select(func.count()).select_from(OrgNode).where(*where)) or 0)
    engine.dispose()
    return n


def test_import_exit_codes_and_report(dbfile: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.geojson"
    broken.write_text(json.dumps(BROKEN, ensure_ascii=False), encoding="utf-8")
    dry = runner.invoke(
        app, ["grids", "import", str(broken), "--parent", "CLI", "--dry-run", "--db", str(dbfile)]
    )
    assert dry.exit_code == 1, dry.output
    assert "dry run" in dry.output and "4 created" in dry.output and "6 rejected" in dry.output
    assert _count(dbfile, OrgNode.code == "T-OK") == 0
    report = tmp_path / "report.csv"
    result = runner.invoke(
        app,
        [
            "grids",
            "import",
            str(broken),
            "--parent",
            "CLI",
            "--allow-rejects",
            "--report",
            str(report),
            "--db",
            str(dbfile),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "不是面要素（Point）" in result.output
    assert _count(dbfile, OrgNode.code.in_(["T-OK", "T-BOW", "T-O1", "T-O2"])) == 4
    with report.open(encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["kind", "feature", "detail"]
    assert ["拒绝", "#3 一个点 / T-PT", "不是面要素（Point）"] in rows
    assert any(
        r[0] == "未覆盖" and r[1] == "CLI" for r in rows
    )  # the parent is only partly covered
    xlsx = tmp_path / "report.xlsx"
    again = runner.invoke(
        app,
        [
            "grids",
            "import",
            str(broken),
            "--parent",
            "CLI",
            "--report",
            str(xlsx),
            "--db",
            str(dbfile),
        ],
    )
    assert again.exit_code == 1 and "4 unchanged" in again.output
    from openpyxl import load_workbook

    sheet = load_workbook(xlsx).active
    assert [c.value for c in sheet[1]] == ["kind", "feature", "detail"]
    # Nothing importable, unreadable file, unknown parent: exit 2 with a message.
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps({"type": "FeatureCollection", "features": BROKEN["features"][2:3]}))
    assert (
        runner.invoke(
            app, ["grids", "import", str(bad), "--parent", "CLI", "--db", str(dbfile)]
        ).exit_code
        == 2
    )
    broken_json = tmp_path / "x.geojson"
    broken_json.write_text("{")
    out = runner.invoke(app, ["grids", "import", str(broken_json), "--db", str(dbfile)])
    assert out.exit_code == 2 and "GeoJSON 解析失败" in out.output
    out = runner.invoke(
        app, ["grids", "import", str(broken), "--parent", "NOPE", "--db", str(dbfile)]
    )
    assert out.exit_code == 2 and "NOPE" in out.output


def test_generate_and_assign(dbfile: Path, tmp_path: Path) -> None:
    h3 = runner.invoke(
        app, ["grids", "generate", "h3", "--parent", "CLI", "--res", "8", "--db", str(dbfile)]
    )
    assert h3.exit_code == 0, h3.output
    cells = _count(dbfile, OrgNode.code.like("CLI-h3-%"))
    assert cells > 0 and f"{cells} grids: {cells} created" in h3.output
    no_polygon = runner.invoke(
        app, ["grids", "generate", "h3", "--parent", "430100", "--db", str(dbfile)]
    )
    assert no_polygon.exit_code == 2 and "没有边界" in no_polygon.output
    # Buildings under a community without a polygon, grouped by 100 households.
    engine = make_engine(f"sqlite:///{dbfile}")
    with Session(engine) as session:
        community = service.get_node_by_code_or_raise(session, "430100001001")
        for i in range(12):
            service.create_node(
                session,
                parent=community,
                level=OrgLevel.BUILDING,
                name=f"{i}栋",
                code=f"B{i}",
                lon=112.90 + 0.001 * i,
                lat=28.205,
                households=50,
            )
        lon, lat = centre(0)
        session.add(Person(name="甲", lon=lon, lat=lat))
        session.add(
            WorkOrder(code="W1", title="路灯", status="new", reported_at=utcnow(), lon=lon, lat=lat)
        )
        session.commit()
    engine.dispose()
    built = runner.invoke(
        app,
        [
            "grids",
            "generate",
            "buildings",
            "--parent",
            "430100001001",
            "--target",
            "100",
            "--db",
            str(dbfile),
        ],
    )
    assert built.exit_code == 0, built.output
    assert "6 grids: 6 created" in built.output and "12 buildings moved" in built.output
    assigned = runner.invoke(app, ["grids", "assign", "--db", str(dbfile)])
    assert assigned.exit_code == 0, assigned.output
    assert "work_order" in assigned.output
    engine = make_engine(f"sqlite:///{dbfile}")
    with Session(engine) as session:
        person = session.scalar(select(Person))
        grid = session.get(OrgNode, person.node_id) if person and person.node_id else None
        assert grid is not None and grid.level == OrgLevel.GRID
        order = session.scalar(select(WorkOrder))
        assert order is not None and order.node_id == grid.id
    engine.dispose()
    unknown = runner.invoke(app, ["grids", "assign", "--table", "nope", "--db", str(dbfile)])
    assert unknown.exit_code == 2


def test_help_everywhere() -> None:
    for args in (
        ["grids"],
        ["grids", "import"],
        ["grids", "generate", "h3"],
        ["grids", "generate", "buildings"],
        ["grids", "assign"],
    ):
        result = runner.invoke(app, [*args, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output
