"""Verbs on the administrative tree: create nodes, read the tree, assign points to grids."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, and_, func, literal, select, update
from sqlalchemy.orm import Session, aliased

from civicgrid.errors import Invalid, NotFound
from civicgrid.kit.geo import PolygonIndex, to_shape
from civicgrid.kit.i18n import _
from civicgrid.models.org import OrgNode, subtree_of
from civicgrid.org import locate


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
    households: int | None = None,
    party_branch: str | None = None,
) -> OrgNode:
    """Add a node under ``parent`` (None for a root) and compute its materialised path."""
    if not name.strip():
        raise Invalid(_("节点名称不能为空"))
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
        households=households,
        party_branch=party_branch,
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
        raise NotFound(_("节点 {id} 不存在").format(id=node_id))
    return node


def get_node_by_code(session: Session, code: str) -> OrgNode | None:
    return session.scalar(select(OrgNode).where(OrgNode.code == code))


def get_node_by_code_or_raise(session: Session, code: str) -> OrgNode:
    node = get_node_by_code(session, code)
    if node is None:
        raise NotFound(_("编码为 {code} 的节点不存在").format(code=code))
    return node


def move_node(session: Session, *, node: OrgNode, parent: OrgNode) -> OrgNode:
    """Re-hang ``node`` (and its whole subtree) under ``parent``: paths and depths follow."""
    if parent.path.startswith(node.path):
        raise Invalid(_("不能把节点移到它自己或其下级之下"))
    if node.parent_id == parent.id:
        return node
    session.flush()
    old_path, new_path = node.path, f"{parent.path}{node.id}/"
    delta = parent.depth + 1 - node.depth
    session.execute(
        update(OrgNode)
        .where(subtree_of(OrgNode.path, old_path))
        .values(
            path=literal(new_path, String) + func.substr(OrgNode.path, len(old_path) + 1),
            depth=OrgNode.depth + delta,
        )
        .execution_options(synchronize_session="fetch")
    )
    node.parent_id = parent.id
    session.flush()
    session.expire(node, ["parent"])
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
    """The (cached) spatial index over every grid polygon, optionally within ``root``."""
    return locate.grid_index(session, root)


def assign_grid(session: Session, lon: float, lat: float) -> int | None:
    """The grid containing a point, or None when it lies outside every grid."""
    return locate.assign_grid(session, lon, lat)


def descendant_counts(session: Session, node_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """For each node, the number of nodes of each level below it (itself excluded).

    One grouped range join on the materialised path (each node's subtree is an index range).
    """
    counts: dict[int, dict[str, int]] = {i: {} for i in node_ids}
    if not node_ids:
        return counts
    top, below = aliased(OrgNode), aliased(OrgNode)
    upper = func.substr(top.path, 1, func.length(top.path) - 1).concat("0")
    for start in range(0, len(node_ids), 500):
        part = list(node_ids[start : start + 500])
        rows = session.execute(
            select(top.id, below.level, func.count())
            .join(below, and_(below.path > top.path, below.path < upper))
            .where(top.id.in_(part))
            .group_by(top.id, below.level)
        ).all()
        for node_id, level, n in rows:
            counts[node_id][level] = int(n)
    return counts


def children_of(session: Session, node: OrgNode | None) -> list[OrgNode]:
    """Direct children of ``node`` (the roots when None), by level then name."""
    parent_cond = OrgNode.parent_id.is_(None) if node is None else OrgNode.parent_id == node.id
    return list(session.scalars(select(OrgNode).where(parent_cond).order_by(OrgNode.code)))


@dataclass
class TreeNode:
    node: OrgNode
    counts: dict[str, int]
    children: list[TreeNode] = field(default_factory=list)


def tree(session: Session, *, root: OrgNode | None = None, depth: int = 2) -> list[TreeNode]:
    """The tree under ``root`` (the whole forest when None), ``depth`` levels deep, each node with
    the number of its descendants per level."""
    if depth < 0:
        raise Invalid(_("层数不能为负"))
    stmt = select(OrgNode)
    if root is not None:
        stmt = stmt.where(subtree_of(OrgNode.path, root.path), OrgNode.depth <= root.depth + depth)
    else:
        stmt = stmt.where(OrgNode.depth <= depth)
    nodes = list(session.scalars(stmt.order_by(OrgNode.depth, OrgNode.code)))
    counts = descendant_counts(session, [n.id for n in nodes])
    items = {n.id: TreeNode(n, counts[n.id]) for n in nodes}
    tops: list[TreeNode] = []
    for n in nodes:
        parent = items.get(n.parent_id) if n.parent_id is not None else None
        if parent is None or (root is not None and n.id == root.id):
            tops.append(items[n.id])
        else:
            parent.children.append(items[n.id])
    return tops
