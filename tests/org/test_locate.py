"""Point → grid assignment: vectorised, cached, invalidated when the grid layer changes."""

from __future__ import annotations

import numpy as np
from sqlalchemy.orm import Session

from civicgrid.kit.geo import PolygonIndex
from civicgrid.kit.timeutil import utcnow
from civicgrid.models.org import OrgLevel
from civicgrid.models.registry import Entity, Household, Person, Place
from civicgrid.models.workorder import WorkOrder
from civicgrid.org import locate, service
from tests.fixtures.world import ORIGIN_LAT, ORIGIN_LON, SIZE, World, centre, square


def test_assign_points_vectorised(db: Session, world: World) -> None:
    order = sorted(world.grid_cols, key=world.grid_cols.__getitem__)
    lons = [centre(world.grid_cols[k])[0] for k in order] + [100.0, float("nan")]
    lats = [centre(world.grid_cols[k])[1] for k in order] + [10.0, 28.2]
    ids = locate.assign_points(db, np.array(lons), np.array(lats))
    assert ids.tolist() == [world.grids[k].id for k in order] + [-1, -1]
    # A point on the border of the first two squares goes to the smaller id.
    border = locate.assign_points(db, [ORIGIN_LON + SIZE], [ORIGIN_LAT + SIZE / 2])
    assert border.tolist() == [min(world.grids["D1-1"].id, world.grids["D1-2"].id)]
    assert locate.assign_grid(db, None, 28.2) is None
    assert locate.assign_points(db, [], []).tolist() == []
    # Scoped to a street: the other street's grids are outside.
    west = locate.assign_points(db, lons[:6], lats[:6], root=world.streets["西山街道"])
    assert (west >= 0).sum() == 3


def test_index_is_cached_and_rebuilt_when_grids_change(db: Session, world: World) -> None:
    first = locate.grid_index(db)
    assert locate.grid_index(db) is first
    lon, lat = centre(20)
    assert locate.assign_grid(db, lon, lat) is None
    grid = service.create_node(
        db,
        parent=world.communities["东湖二社区"],
        level=OrgLevel.GRID,
        name="新网格",
        code="NEW-1",
        geometry=square(20),
    )
    assert locate.assign_grid(db, lon, lat) == grid.id
    # Moving the polygon is seen at once.
    grid.geometry = square(21)
    db.flush()
    assert locate.assign_grid(db, lon, lat) is None
    assert locate.assign_grid(db, *centre(21)) == grid.id


def test_rolled_back_grids_are_forgotten(db: Session, world: World) -> None:
    lon, lat = centre(30)
    savepoint = db.begin_nested()
    service.create_node(
        db,
        parent=world.communities["东湖二社区"],
        level=OrgLevel.GRID,
        name="临时网格",
        code="TMP-1",
        geometry=square(30),
    )
    assert locate.assign_grid(db, lon, lat) is not None
    savepoint.rollback()
    assert locate.assign_grid(db, lon, lat) is None


def test_invalidate_and_index_shape() -> None:
    locate.invalidate_grid_index()
    empty = PolygonIndex([], [])
    assert len(empty) == 0 and empty.assign([1.0], [2.0]).tolist() == [-1]


def test_reassign_located_rows(db: Session, world: World) -> None:
    d11, x21 = world.grids["D1-1"], world.grids["X2-1"]
    here, there = centre(world.grid_cols["D1-1"]), centre(world.grid_cols["X2-1"])
    home = Household(code="H-1", address="东湖路 1 号", lon=here[0], lat=here[1])
    away = Household(code="H-2", address="不在网格", lon=100.0, lat=10.0, node_id=x21.id)
    db.add_all([home, away])
    db.flush()
    mover = Person(name="甲", lon=there[0], lat=there[1], node_id=d11.id)
    follower = Person(name="乙", household_id=home.id)
    shop = Entity(name="便利店", kind="shop", lon=there[0], lat=there[1])
    shelter = Place(name="避难场所", kind="facility", lon=here[0], lat=here[1])
    order = WorkOrder(
        code="WO-1", title="井盖松动", status="new", reported_at=utcnow(), lon=here[0], lat=here[1]
    )
    db.add_all([mover, follower, shop, shelter, order])
    db.flush()
    version = order.version
    seen: list[tuple[str, int, int]] = []
    stats = locate.reassign_located(
        db, batch_size=1, progress=lambda t, done, total: seen.append((t, done, total))
    )
    assert (home.node_id, away.node_id) == (d11.id, x21.id)  # outside keeps its node
    assert mover.node_id == x21.id and follower.node_id == d11.id
    assert shop.node_id == x21.id and shelter.node_id == d11.id and order.node_id == d11.id
    assert order.version == version + 1
    assert stats["household"].located == 2 and stats["household"].changed == 1
    assert stats["household"].outside == 1
    assert stats["person"].changed == 1 and stats["person (household)"].changed == 1
    assert ("household", 2, 2) in seen and ("work_order", 0, 1) in seen
    again = locate.reassign_located(db)
    assert all(s.changed == 0 for s in again.values())
    # The two grids swap places: the records follow on the next run.
    d11.geometry, x21.geometry = x21.geometry, d11.geometry
    db.flush()
    swapped = locate.reassign_located(db)
    assert (home.node_id, shelter.node_id, order.node_id) == (x21.id, x21.id, x21.id)
    assert (mover.node_id, shop.node_id, follower.node_id) == (d11.id, d11.id, x21.id)
    assert order.version == version + 2
    assert swapped["person (household)"].changed == 1
