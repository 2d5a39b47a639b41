"""Generating grids in the database: H3 cells and buildings grouped by household count."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import box
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.errors import Invalid
from civicgrid.kit.geo import to_geojson, to_shape
from civicgrid.models.org import OrgLevel, OrgNode
from civicgrid.models.registry import Household
from civicgrid.org import generate, locate, service
from civicgrid.org.geocheck import find_overlaps
from civicgrid.org.partition import grid_count
from tests.fixtures.world import World

AREA = box(113.60, 28.40, 113.62, 28.41)


def _area(
    db: Session,
    world: World,
    *,
    geometry: bool = True,
    tags: tuple[str, ...] = (),
    code: str = "GEN",
) -> OrgNode:
    return service.create_node(
        db,
        parent=world.streets["西山街道"],
        level=OrgLevel.COMMUNITY,
        name="生成社区",
        code=code,
        geometry=to_geojson(AREA) if geometry else None,
        tags=tags,
    )


def _grids(db: Session, parent: OrgNode) -> list[OrgNode]:
    return list(
        db.scalars(
            select(OrgNode)
            .where(OrgNode.parent_id == parent.id, OrgNode.level == OrgLevel.GRID)
            .order_by(OrgNode.code)
        )
    )


def test_h3_grids_tile_the_area_and_regenerate(db: Session, world: World) -> None:
    parent = _area(db, world)
    report = generate.generate_h3_grids(db, parent=parent, res=9)
    grids = _grids(db, parent)
    assert len(grids) == len(report.created) > 10
    assert all(g.code.startswith("GEN-h3-89") and "h3" in g.tags for g in grids)
    shapes = [to_shape(g.geometry) for g in grids]
    assert sum(s.area for s in shapes) == pytest.approx(AREA.area, rel=1e-9)
    assert find_overlaps([g.code for g in grids], shapes, tolerance_m2=0.01) == []
    # Every point of the area now lands in one of the new grids.
    rng = np.random.default_rng(3)
    lon = 113.60 + rng.random(500) * 0.02
    lat = 28.40 + rng.random(500) * 0.01
    ids = locate.assign_points(db, lon, lat)
    assert set(ids.tolist()) <= {g.id for g in grids}
    # Same resolution again: nothing changes.
    again = generate.generate_h3_grids(db, parent=parent, res=9)
    assert again.created == [] and again.updated == [] and len(again.unchanged) == len(grids)
    # A household keeps one old grid alive; the others go when the resolution changes.
    keep = grids[0]
    db.add(Household(code="H-KEEP", node_id=keep.id, address="某路 1 号"))
    db.flush()
    coarser = generate.generate_h3_grids(db, parent=parent, res=8)
    assert coarser.kept == [keep.code]
    assert len(coarser.removed) == len(grids) - 1
    assert {g.code for g in _grids(db, parent)} == set(coarser.created) | {keep.code}


def test_h3_needs_a_polygon_and_a_sane_resolution(db: Session, world: World) -> None:
    with pytest.raises(Invalid, match="没有边界"):
        generate.generate_h3_grids(db, parent=_area(db, world, geometry=False), res=9)
    parent = _area(db, world, code="GEN2")
    with pytest.raises(Invalid, match="降低分辨率"):
        generate.generate_h3_grids(db, parent=parent, res=14)
    with pytest.raises(Invalid):
        generate.generate_h3_grids(db, parent=parent, res=16)


def _buildings(db: Session, parent: OrgNode, n: int = 120, seed: int = 5) -> list[OrgNode]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        out.append(
            service.create_node(
                db,
                parent=parent,
                level=OrgLevel.BUILDING,
                name=f"{i + 1}栋",
                code=f"GEN-B{i:03d}",
                lon=float(113.60 + rng.random() * 0.02),
                lat=float(28.40 + rng.random() * 0.01),
                households=int(rng.integers(10, 60)),
            )
        )
    return out


def test_buildings_grouped_into_grids(db: Session, world: World) -> None:
    parent = _area(db, world, geometry=False)
    buildings = _buildings(db, parent)
    total = sum(b.households or 0 for b in buildings)
    report = generate.generate_building_grids(db, parent=parent, target=300)
    grids = _grids(db, parent)
    assert len(grids) == grid_count(total, 300) == len(report.created)
    assert report.buildings_moved == len(buildings)
    biggest = max(b.households or 0 for b in buildings)
    for grid in grids:
        db.refresh(grid)
        kids = list(db.scalars(select(OrgNode).where(OrgNode.parent_id == grid.id)))
        assert grid.households == sum(k.households or 0 for k in kids)
        assert abs((grid.households or 0) - total / len(grids)) <= biggest
        assert grid.households_target == 300
        for kid in kids:
            assert kid.path == f"{grid.path}{kid.id}/" and kid.depth == grid.depth + 1
    # Every building exactly once, inside its own grid's polygon.
    ids = locate.assign_points(db, [b.lon for b in buildings], [b.lat for b in buildings])
    for b, grid_id in zip(buildings, ids, strict=True):
        db.refresh(b)
        assert b.parent_id == grid_id
    shapes = [to_shape(g.geometry) for g in grids]
    assert find_overlaps([g.code for g in grids], shapes, tolerance_m2=0.01) == []
    union = shapely.union_all(shapes)
    assert union.covers(shapely.multipoints([(b.lon, b.lat) for b in buildings]))
    assert service.level_counts(db, parent) == {
        "community": 1,
        "grid": len(grids),
        "building": len(buildings),
    }
    # Regenerating the same buildings changes nothing.
    again = generate.generate_building_grids(db, parent=parent, target=300)
    assert again.created == again.updated == [] and again.buildings_moved == 0


def test_buildings_inside_a_polygon_and_rural_default(db: Session, world: World) -> None:
    parent = _area(db, world, tags=("rural",))
    buildings = _buildings(db, parent, n=60, seed=9)
    outside = service.create_node(
        db,
        parent=parent,
        level=OrgLevel.BUILDING,
        name="界外楼",
        code="GEN-OUT",
        lon=113.65,
        lat=28.40,
        households=20,
    )
    report = generate.generate_building_grids(db, parent=parent)
    total = sum(b.households or 0 for b in [*buildings, outside])
    grids = _grids(db, parent)
    assert len(grids) == grid_count(total, 200)
    assert {g.households_target for g in grids} == {200}
    assert report.warnings == ["1 栋楼位于上级边界之外"]
    # The grids tile the community's polygon exactly.
    shapes = [to_shape(g.geometry) for g in grids]
    assert sum(s.area for s in shapes) == pytest.approx(AREA.area, rel=1e-9)


def test_buildings_errors_and_dry_run(db: Session, world: World) -> None:
    parent = _area(db, world, geometry=False)
    with pytest.raises(Invalid, match="没有带坐标的楼栋"):
        generate.generate_building_grids(db, parent=parent)
    _buildings(db, parent, n=20)
    with pytest.raises(Invalid):
        generate.generate_building_grids(db, parent=parent, target=-5)
    report = generate.generate_building_grids(db, parent=parent, target=100, dry_run=True)
    assert report.dry_run and report.created and report.buildings_moved == 0
    assert _grids(db, parent) == []
