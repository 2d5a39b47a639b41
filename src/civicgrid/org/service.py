"""Verbs on the administrative tree: create nodes, read the tree, assign points to grids."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicgrid.errors import Invalid, NotFound
from civicgrid.kit.geo import PolygonIndex, to_shape
from civicgrid.models.org import OrgLevel, OrgNode, subtree_of


def create_node(
    session: Session,
    *,
    parent: OrgNode | None,
    level: str,
    name: str,
    code: str,
    geometry: dict[str, Any] | None = None,
    lat: float | None = None,
    lon: float | None = None,
    tags: Sequence[str] = (),
    households_target: int | None = None,
) -> OrgNode:
    """Add a node under ``parent`` (None for a root) and compute its materialised path."""
    if not name.strip():
        raise Invalid("节点名称不能为空")
    node = OrgNode(
        parent_id=parent.id if parent else None,
        level=level,
        name=name.strip(),
        code=code,
        path="",
        depth=(parent.depth + 1) if parent else 0,
        geometry=geometry,
        lat=lat,
        lon=lon,
        tags=list(tags),
        households_target=households_target,
    )
    if geometry is not None and (lat is None or lon is None):
        centre = to_shape(geometry).representative_point()
        node.lon, node.lat = float(centre.x), float(centre.y)
    session.add(node)
    session.flush()
    node.path = f"{parent.path if parent else '/'}{node.id}/"
    session.flush()
    return node


def get_node_or_raise(session: Session, node_id: int) -> OrgNode:
    node = session.get(OrgNode, node_id)
    if node is None:
        raise NotFound(f"节点 {node_id} 不存在")
    return node


def subtree_ids(session: Session, node: OrgNode) -> list[int]:
    return list(session.scalars(select(OrgNode.id).where(subtree_of(OrgNode.path, node.path))))


def level_counts(session: Session, root: OrgNode | None = None) -> dict[str, int]:
    """Number of nodes per level, in the whole tree or under ``root``."""
    stmt = select(OrgNode.level, func.count()).group_by(OrgNode.level)
    if root is not None:
        stmt = stmt.where(subtree_of(OrgNode.path, root.path))
    return {level: int(n) for level, n in session.execute(stmt).all()}


def grid_index(session: Session, root: OrgNode | None = None) -> PolygonIndex:
    """A spatial index over every grid polygon (optionally within ``root``)."""
    stmt = select(OrgNode.id, OrgNode.geometry).where(
        OrgNode.level == OrgLevel.GRID, OrgNode.geometry.is_not(None)
    )
    if root is not None:
        stmt = stmt.where(subtree_of(OrgNode.path, root.path))
    rows = session.execute(stmt.order_by(OrgNode.id)).all()
    return PolygonIndex([r[0] for r in rows], [to_shape(r[1]) for r in rows])


def assign_grid(session: Session, lon: float, lat: float) -> int | None:
    """The grid containing a point, or None when it lies outside every grid."""
    return grid_index(session).assign_one(lon, lat)
