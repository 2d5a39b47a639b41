from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.models.org import OrgNode
from civicgrid.org import service
from tests.fixtures.world import World, centre


def test_paths_make_subtrees(db: Session, world: World) -> None:
    street = world.streets["东湖街道"]
    ids = set(service.subtree_ids(db, street))
    assert world.grids["D1-1"].id in ids
    assert world.grids["X1-1"].id not in ids
    assert street.id in ids


def test_level_counts(db: Session, world: World) -> None:
    counts = service.level_counts(db)
    assert counts == {"district": 1, "street": 2, "community": 4, "grid": 6}
    assert service.level_counts(db, world.streets["西山街道"]) == {
        "street": 1,
        "community": 2,
        "grid": 3,
    }


def test_point_assignment(db: Session, world: World) -> None:
    for key, col in world.grid_cols.items():
        lon, lat = centre(col)
        assert service.assign_grid(db, lon, lat) == world.grids[key].id
    assert service.assign_grid(db, 100.0, 10.0) is None


def test_rollback_isolation(db: Session, world: World) -> None:
    service.create_node(db, parent=world.district, level="street", name="临时街道", code="tmp-1")
    assert db.scalar(select(OrgNode).where(OrgNode.code == "tmp-1")) is not None


def test_rollback_isolation_after(db: Session) -> None:
    assert db.scalar(select(OrgNode).where(OrgNode.code == "tmp-1")) is None
