"""网格定位 — point → grid assignment for every located record (people, places, work orders…).

The grid layer is held in memory as a :class:`~civicgrid.kit.geo.PolygonIndex` (shapely STRtree),
one per database and root node. Before each use a one-row fingerprint of the grid layer (count,
latest ``updated_at``, sum of ids, read from the ``ix_org_node_level_updated`` index) is compared
with the cached one, so an import, a generated layer or an edit in another process or a rolled-back
transaction is seen on the next call, without a timer. ``invalidate_grid_index`` drops the cache.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Engine, Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from civicgrid.kit.geo import PolygonIndex, to_shape
from civicgrid.models.base import Base
from civicgrid.models.org import OrgLevel, OrgNode, subtree_of

# Tables whose located rows (lon/lat) hang at the grid that contains them.
LOCATED_TABLES = ("household", "person", "entity", "place", "work_order")
VERSIONED_TABLES = ("work_order",)  # optimistic locking: a reassignment bumps ``version``

Progress = Callable[[str, int, int], None]


@dataclass
class _Entry:
    fingerprint: tuple[Any, ...]
    index: PolygonIndex


_cache: weakref.WeakKeyDictionary[Engine, dict[str, _Entry]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _engine(session: Session) -> Engine:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


# Built once: it runs before every point lookup.
_FINGERPRINT = select(
    func.count(OrgNode.id),
    func.max(OrgNode.updated_at),
    func.sum(OrgNode.id),
).where(OrgNode.level == OrgLevel.GRID)


def grid_fingerprint(session: Session) -> tuple[Any, ...]:
    """Changes whenever a grid is added, removed or updated (read from one covering index)."""
    return tuple(session.execute(_FINGERPRINT).one())


def build_grid_index(session: Session, root: OrgNode | None = None) -> PolygonIndex:
    """A fresh spatial index over every grid polygon (optionally within ``root``)."""
    stmt = select(OrgNode.id, OrgNode.geometry).where(
        OrgNode.level == OrgLevel.GRID, OrgNode.geometry.is_not(None)
    )
    if root is not None:
        stmt = stmt.where(subtree_of(OrgNode.path, root.path))
    # JSON columns keep a Python None as JSON null, which IS NOT NULL lets through: check here.
    rows = [r for r in session.execute(stmt.order_by(OrgNode.id)).all() if r[1]]
    return PolygonIndex([r[0] for r in rows], [to_shape(r[1]) for r in rows])


def grid_index(session: Session, root: OrgNode | None = None) -> PolygonIndex:
    """The cached index of the grid layer, rebuilt when the layer has changed."""
    engine = _engine(session)
    key = root.path if root is not None else ""
    fingerprint = grid_fingerprint(session)
    with _lock:
        entry = _cache.get(engine, {}).get(key)
    if entry is not None and entry.fingerprint == fingerprint:
        return entry.index
    index = build_grid_index(session, root)
    with _lock:
        _cache.setdefault(engine, {})[key] = _Entry(fingerprint, index)
    return index


def invalidate_grid_index(engine: Engine | None = None) -> None:
    """Forget cached indexes (of one engine, or all)."""
    with _lock:
        if engine is None:
            _cache.clear()
        else:
            _cache.pop(engine, None)


def assign_points(
    session: Session,
    lons: Sequence[float] | NDArray[np.float64],
    lats: Sequence[float] | NDArray[np.float64],
    *,
    root: OrgNode | None = None,
) -> NDArray[np.int64]:
    """Grid id of each point, ``-1`` where a point lies outside every grid (or is NaN).

    A point on a border shared by two grids goes to the grid with the smaller id.
    """
    return grid_index(session, root).assign(lons, lats)


def assign_grid(session: Session, lon: float | None, lat: float | None) -> int | None:
    """The grid containing one point, or None (no location, or outside every grid)."""
    if lon is None or lat is None:
        return None
    return grid_index(session).assign_one(lon, lat)


@dataclass
class ReassignStats:
    located: int = 0
    changed: int = 0
    outside: int = 0


def _table(name: str) -> Table:
    table = Base.metadata.tables[name]
    for column in ("id", "lon", "lat", "node_id"):
        if column not in table.c:
            raise ValueError(f"{name} has no {column} column")
    return table


def reassign_located(
    session: Session,
    *,
    tables: Sequence[str] = LOCATED_TABLES,
    batch_size: int = 50_000,
    progress: Progress | None = None,
) -> dict[str, ReassignStats]:
    """Set ``node_id`` of every located row to the grid containing it, in bulk.

    Rows outside every grid keep their node (it may be a community set by hand). Only rows whose
    grid changes are written. People without a location of their own follow their household.
    """
    index = grid_index(session)
    stats: dict[str, ReassignStats] = {}
    for name in tables:
        table = _table(name)
        located = table.c.lon.is_not(None) & table.c.lat.is_not(None)
        total = int(session.scalar(select(func.count()).select_from(table).where(located)) or 0)
        st = stats[name] = ReassignStats(located=total)
        if progress:
            progress(name, 0, total)
        stmt = update(table).where(table.c.id == bindparam("b_id"))
        values: dict[str, Any] = {"node_id": bindparam("b_node")}
        if name in VERSIONED_TABLES and "version" in table.c:
            values["version"] = table.c.version + 1
        stmt = stmt.values(**values)
        last, done = 0, 0
        while True:
            rows = session.execute(
                select(table.c.id, table.c.lon, table.c.lat, table.c.node_id)
                .where(located, table.c.id > last)
                .order_by(table.c.id)
                .limit(batch_size)
            ).all()
            if not rows:
                break
            ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            lon = np.fromiter((r[1] for r in rows), dtype=np.float64, count=len(rows))
            lat = np.fromiter((r[2] for r in rows), dtype=np.float64, count=len(rows))
            current = np.fromiter(
                (-1 if r[3] is None else r[3] for r in rows), dtype=np.int64, count=len(rows)
            )
            grid = index.assign(lon, lat)
            st.outside += int((grid == -1).sum())
            changed = np.flatnonzero((grid != -1) & (grid != current))
            if changed.size:
                session.execute(
                    stmt,
                    [{"b_id": int(ids[i]), "b_node": int(grid[i])} for i in changed],
                )
                st.changed += int(changed.size)
            last = int(ids[-1])
            done += len(rows)
            if progress:
                progress(name, done, total)
        if name == "household" and "person" in tables:
            stats["person (household)"] = _people_follow_households(session)
    session.flush()
    session.expire_all()
    return stats


def _people_follow_households(session: Session) -> ReassignStats:
    person, household = _table("person"), _table("household")
    home = (
        select(household.c.node_id).where(household.c.id == person.c.household_id).scalar_subquery()
    )
    has_home = (
        select(household.c.id)
        .where(household.c.id == person.c.household_id, household.c.node_id.is_not(None))
        .exists()
    )
    result = session.execute(
        update(person)
        .where(
            person.c.lon.is_(None) | person.c.lat.is_(None),
            person.c.household_id.is_not(None),
            has_home,
            person.c.node_id.is_distinct_from(home),
        )
        .values(node_id=home)
    )
    changed = int(getattr(result, "rowcount", 0) or 0)
    return ReassignStats(located=changed, changed=changed)
