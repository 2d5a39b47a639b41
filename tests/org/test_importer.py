"""Importing grid boundaries into the tree: real files, a broken file, re-import, dry run."""

from __future__ import annotations

import json

import pytest
from shapely.geometry import box
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicgrid.kit.geo import to_geojson, to_shape
from civicgrid.models.org import OrgLevel, OrgNode
from civicgrid.org import service
from civicgrid.org.formats import read_geojson, read_source
from civicgrid.org.geocheck import FeatureIssue, Gap, Outside, Overlap
from civicgrid.org.importer import import_grids
from tests.conftest import shared_data
from tests.fixtures.world import World
from tests.org.broken import BROKEN, OVERLAP_M2, X, Y, feature, m2, rect


def _community(
    db: Session, world: World, code: str = "T-C", geometry: dict | None = None
) -> OrgNode:
    return service.create_node(
        db,
        parent=world.streets["东湖街道"],
        level=OrgLevel.COMMUNITY,
        name="导入测试社区",
        code=code,
        geometry=geometry,
    )


def test_broken_file_report_and_good_rows_land(db: Session, world: World) -> None:
    parent = _community(db, world)
    report = import_grids(db, source=read_geojson(BROKEN), parent=parent)
    assert report.created == ["T-OK", "T-BOW", "T-O1", "T-O2"]
    assert report.repaired == [
        FeatureIssue(2, "蝴蝶结", "T-BOW", "已修复：自相交（113.501 28.301）")
    ]
    assert [(r.index, r.code, r.reason) for r in report.rejected] == [
        (3, "T-PT", "不是面要素（Point）"),
        (4, "T-NONAME", "缺少名称（属性 name）"),
        (7, "T-SPIKE", "自相交（113.502 28.302），无法修复"),
        (8, "T-NOGEOM", "缺少几何"),
        (9, "T-OK", "编码 T-OK 与第 1 个要素重复"),
        (10, "T-UTM", "坐标超出经纬度范围（应为 WGS84 经纬度）"),
    ]
    assert report.overlaps == [Overlap("T-O1", "T-O2", OVERLAP_M2)]
    assert report.gaps == [] and report.outside == []
    grids = {n.code: n for n in db.scalars(select(OrgNode).where(OrgNode.parent_id == parent.id))}
    assert set(grids) == {"T-OK", "T-BOW", "T-O1", "T-O2"}
    bow = grids["T-BOW"]
    assert bow.level == OrgLevel.GRID and bow.path == f"{parent.path}{bow.id}/"
    assert to_shape(bow.geometry).is_valid and bow.geometry["type"] == "MultiPolygon"
    rows = report.rows()
    assert rows[0] == ("拒绝", "#3 一个点 / T-PT", "不是面要素（Point）")
    assert ("重叠", "T-O1 ∩ T-O2", f"{OVERLAP_M2} 平方米") in rows


def test_reimport_is_idempotent_and_updates_geometry(db: Session, world: World) -> None:
    parent = _community(db, world)
    collection = {
        "type": "FeatureCollection",
        "features": [
            feature(rect(X, Y, X + 0.01, Y + 0.01), name="甲", code="R-1"),
            feature(rect(X + 0.01, Y, X + 0.02, Y + 0.01), name="乙", code="R-2"),
        ],
    }
    first = import_grids(db, source=read_geojson(collection), parent=parent)
    assert first.created == ["R-1", "R-2"]
    again = import_grids(db, source=read_geojson(collection), parent=parent)
    assert (again.created, again.updated, again.unchanged) == ([], [], ["R-1", "R-2"])
    collection["features"][1] = feature(
        rect(X + 0.01, Y, X + 0.03, Y + 0.01), name="乙二", code="R-2"
    )
    third = import_grids(db, source=read_geojson(collection), parent=parent)
    assert (third.created, third.updated, third.unchanged) == ([], ["R-2"], ["R-1"])
    node = service.get_node_by_code_or_raise(db, "R-2")
    assert node.name == "乙二"
    assert to_shape(node.geometry).equals(box(X + 0.01, Y, X + 0.03, Y + 0.01))
    assert X + 0.01 < node.lon < X + 0.03
    assert db.scalar(select(func.count()).where(OrgNode.code.in_(["R-1", "R-2"]))) == 2


def test_dry_run_writes_nothing(db: Session, world: World) -> None:
    parent = _community(db, world)
    report = import_grids(db, source=read_geojson(BROKEN), parent=parent, dry_run=True)
    assert report.dry_run and report.created == ["T-OK", "T-BOW", "T-O1", "T-O2"]
    assert len(report.rejected) == 6
    assert db.scalar(select(func.count()).where(OrgNode.parent_id == parent.id)) == 0


def test_overlap_with_stored_grid_and_parent_coverage(db: Session, world: World) -> None:
    # The parent covers 0.03° × 0.01°; the file fills its west two thirds and sticks out north.
    parent = _community(db, world, geometry=to_geojson(box(X, Y, X + 0.03, Y + 0.01)))
    d1 = world.grids["D1-1"]  # a stored grid at 112.90–112.91 E, 28.20–28.21 N
    collection = {
        "type": "FeatureCollection",
        "features": [
            feature(rect(X, Y, X + 0.01, Y + 0.01), name="西", code="C-1"),
            feature(rect(X + 0.01, Y, X + 0.02, Y + 0.011), name="中", code="C-2"),
            feature(rect(112.905, 28.20, 112.915, 28.21), name="压线", code="C-3"),
        ],
    }
    report = import_grids(db, source=read_geojson(collection), parent=parent)
    assert report.overlaps == [
        Overlap("C-3", d1.code, round(m2(0.005, 0.01, 28.205), 1)),
        Overlap("C-3", world.grids["D1-2"].code, round(m2(0.005, 0.01, 28.205), 1)),
    ]
    assert report.outside == [
        Outside("C-2", "T-C", round(m2(0.01, 0.001, Y + 0.0105), 1)),
        Outside("C-3", "T-C", round(m2(0.01, 0.01, 28.205), 1)),
    ]
    [gap] = report.gaps
    assert (gap.parent, gap.kind) == ("T-C", "uncovered")
    assert gap.area_m2 == pytest.approx(m2(0.01, 0.01, Y + 0.005), rel=1e-3)
    assert X + 0.02 < gap.lon < X + 0.03


def test_parent_by_property_and_errors(db: Session, world: World) -> None:
    community = world.communities["东湖一社区"]
    collection = {
        "type": "FeatureCollection",
        "features": [
            feature(rect(X, Y, X + 0.01, Y + 0.01), name="按编码", code="P-1", up=community.code),
            feature(
                rect(X, Y + 0.02, X + 0.01, Y + 0.03), name="按名称", code="P-2", up="东湖一社区"
            ),
            feature(
                rect(X, Y + 0.04, X + 0.01, Y + 0.05), name="无上级", code="P-3", up="不存在社区"
            ),
            feature(rect(X, Y + 0.06, X + 0.01, Y + 0.07), name="无上级属性", code="P-4"),
            feature(
                rect(X, Y + 0.08, X + 0.01, Y + 0.09),
                name="编码冲突",
                code=community.code,
                up=community.code,
            ),
        ],
    }
    report = import_grids(db, source=read_geojson(collection), parent_prop="up")
    assert report.created == ["P-1", "P-2"]
    assert [(r.code, r.reason) for r in report.rejected] == [
        ("P-3", "上级「不存在社区」不存在"),
        ("P-4", "未指定上级节点（--parent 或上级属性）"),
        (community.code, f"编码 {community.code} 已被community节点「东湖一社区」使用"),
    ]
    assert service.get_node_by_code_or_raise(db, "P-2").parent_id == community.id


def test_reimport_moves_grid_to_new_parent(db: Session, world: World) -> None:
    grid = world.grids["D1-1"]
    target = world.communities["西山二社区"]
    collection = {
        "type": "Feature",
        "properties": {"name": grid.name, "code": grid.code},
        "geometry": grid.geometry,
    }
    report = import_grids(db, source=read_geojson(collection), parent=target)
    assert report.updated == [grid.code]
    db.refresh(grid)
    assert grid.parent_id == target.id and grid.path == f"{target.path}{grid.id}/"
    assert grid.depth == target.depth + 1
    assert service.level_counts(db, world.streets["西山街道"])["grid"] == 4


def test_nyc_community_districts(db: Session, world: World) -> None:
    path = shared_data("geo_nyc", "community_districts.geojson")
    city = service.create_node(db, parent=None, level=OrgLevel.CITY, name="New York", code="NYC")
    source = read_source(path.read_bytes(), path.name)
    report = import_grids(db, source=source, parent=city, name_prop="BoroCD", code_prop="BoroCD")
    assert report.features == 71 and len(report.created) == 71
    assert report.rejected == [] and report.repaired == [] and report.overlaps == []
    assert report.gaps == [] and report.warnings == []
    assert service.level_counts(db, city) == {"city": 1, "grid": 71}
    # A point in Midtown Manhattan (community district 105).
    cd105 = service.get_node_by_code_or_raise(db, "105")
    assert service.assign_grid(db, -73.9855, 40.7580) == cd105.id
    again = import_grids(db, source=source, parent=city, name_prop="BoroCD", code_prop="BoroCD")
    assert len(again.unchanged) == 71 and again.created == again.updated == []


def test_changsha_districts_by_parent_code(db: Session, world: World) -> None:
    path = shared_data("geo_changsha", "430100_full.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    # The seed district's code is 430100, as in the file's parent.adcode: the districts hang there.
    report = import_grids(
        db,
        source=read_geojson(data),
        level=OrgLevel.STREET,
        parent_prop="parent.adcode",
        code_prop="adcode",
    )
    names = [f["properties"]["name"] for f in data["features"]]
    assert len(report.created) == 9 and report.rejected == []
    assert report.overlaps == [] and report.gaps == []
    nodes = db.scalars(select(OrgNode).where(OrgNode.code.in_(report.created))).all()
    assert sorted(n.name for n in nodes) == sorted(names)
    assert {n.parent_id for n in nodes} == {world.district.id}
    yuelu = next(n for n in nodes if n.name == "岳麓区")
    assert to_shape(yuelu.geometry).contains(
        to_shape({"type": "Point", "coordinates": [yuelu.lon, yuelu.lat]})
    )
    assert isinstance(report.gaps, list) and Gap
