"""网格生成 — generate the grids of an area: H3 cells, or buildings grouped by household count.

Generated grids get deterministic codes (``<parent code>-h3-<cell>`` / ``<parent code>-g001``), so
running a generation again updates the same nodes instead of adding new ones; grids of an earlier
run that the new run no longer produces are deleted when nothing refers to them, and kept (and
reported) otherwise. Buildings are re-hung under the grid that now holds them.

Household counts of buildings live in the nullable ``org_node.households`` column (see
docs/domains/territory.md); a building without a count weighs nothing but is still placed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, cast

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry
from sqlalchemy import String, Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from civicgrid.errors import Conflict, Invalid
from civicgrid.kit.geo import to_geojson, to_shape
from civicgrid.kit.i18n import _
from civicgrid.models.base import Base
from civicgrid.models.org import OrgLevel, OrgNode, subtree_of
from civicgrid.org import service
from civicgrid.org.partition import (
    MAX_H3_CELLS,
    RURAL_TARGET,
    URBAN_TARGET,
    buildings_domain,
    estimate_h3_cells,
    group_polygons,
    h3_cover,
    partition_buildings,
)

GENERATED = "generated"
RURAL_TAG = "rural"


@dataclass(frozen=True)
class GridSpec:
    code: str
    name: str
    geometry: Polygon | MultiPolygon | None
    tags: tuple[str, ...]
    households: int | None = None
    households_target: int | None = None
    buildings: Sequence[int] = ()  # building node ids to hang under this grid


@dataclass
class GenerateReport:
    method: str
    parent: str
    grids: list[dict[str, Any]] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # stale grids still referenced
    buildings_moved: int = 0
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _code(parent: OrgNode, suffix: str) -> str:
    code = f"{parent.code}-{suffix}"
    return code if len(code) <= 64 else f"{parent.id}-{suffix}"


def generate_h3_grids(
    session: Session, *, parent: OrgNode, res: int, dry_run: bool = False
) -> GenerateReport:
    """Cover ``parent``'s polygon with H3 cells at resolution ``res``, clipped to the polygon."""
    if not parent.geometry:
        raise Invalid(_("「{name}」没有边界，无法生成 H3 网格").format(name=parent.name))
    if not 0 <= res <= 15:
        raise Invalid(_("H3 分辨率应在 0–15 之间"))
    area = to_shape(parent.geometry)
    if estimate_h3_cells(area, res) > MAX_H3_CELLS:
        raise Invalid(
            _("分辨率 {res} 会生成超过 {n} 个网格，请降低分辨率").format(res=res, n=MAX_H3_CELLS)
        )
    specs = [
        GridSpec(
            code=_code(parent, f"h3-{cell}"),
            name=_("{parent}{i:03d}网格").format(parent=parent.name, i=i),
            geometry=poly,
            tags=(GENERATED, "h3", f"h3:{cell}", f"h3res:{res}"),
        )
        for i, (cell, poly) in enumerate(h3_cover(area, res), start=1)
    ]
    report = GenerateReport(method="h3", parent=parent.code, dry_run=dry_run)
    _apply(session, parent, specs, report, dry_run)
    return report


def default_target(parent: OrgNode) -> int:
    """300 households per grid, 200 where the area is tagged rural (农村)."""
    return RURAL_TARGET if RURAL_TAG in (parent.tags or []) else URBAN_TARGET


def generate_building_grids(
    session: Session,
    *,
    parent: OrgNode,
    target: int | None = None,
    margin_m: float = 30.0,
    dry_run: bool = False,
) -> GenerateReport:
    """Group the buildings under ``parent`` into grids of about ``target`` households."""
    target = target or default_target(parent)
    if target < 1:
        raise Invalid(_("每个网格的目标户数应为正数"))
    rows = session.execute(
        select(OrgNode.id, OrgNode.lon, OrgNode.lat, OrgNode.households)
        .where(
            subtree_of(OrgNode.path, parent.path),
            OrgNode.level == OrgLevel.BUILDING,
            OrgNode.lon.is_not(None),
            OrgNode.lat.is_not(None),
        )
        .order_by(OrgNode.id)
    ).all()
    if not rows:
        raise Invalid(_("「{name}」下没有带坐标的楼栋").format(name=parent.name))
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    lon = np.array([r[1] for r in rows], dtype=np.float64)
    lat = np.array([r[2] for r in rows], dtype=np.float64)
    households = np.array([r[3] or 0 for r in rows], dtype=np.float64)
    report = GenerateReport(method="buildings", parent=parent.code, dry_run=dry_run)
    unknown = sum(1 for r in rows if r[3] is None)
    if unknown:
        report.warnings.append(_("{n} 栋楼没有户数，按 0 户计").format(n=unknown))
    domain: BaseGeometry
    if parent.geometry:
        domain = to_shape(parent.geometry)
        outside = int((~shapely.covers(domain, shapely.points(lon, lat))).sum())
        if outside:
            report.warnings.append(_("{n} 栋楼位于上级边界之外").format(n=outside))
    else:
        domain = buildings_domain(lon, lat, margin_m)
    x0, y0, x1, y1 = domain.bounds
    bounds = (min(x0, lon.min()), min(y0, lat.min()), max(x1, lon.max()), max(y1, lat.max()))
    groups = partition_buildings(lon, lat, households, target, bounds=bounds)
    polygons = group_polygons(groups, domain)
    specs = [
        GridSpec(
            code=_code(parent, f"g{i:03d}"),
            name=_("{parent}第{i}网格").format(parent=parent.name, i=i),
            geometry=poly,
            tags=(GENERATED, "buildings"),
            households=group.households,
            households_target=target,
            buildings=[int(b) for b in ids[group.members]],
        )
        for i, (group, poly) in enumerate(zip(groups, polygons, strict=True), start=1)
    ]
    _apply(session, parent, specs, report, dry_run)
    return report


def _apply(
    session: Session,
    parent: OrgNode,
    specs: list[GridSpec],
    report: GenerateReport,
    dry_run: bool,
) -> None:
    """Upsert the grids by code, re-hang buildings, drop the stale generated grids."""
    codes = [s.code for s in specs]
    existing = {
        n.code: n
        for n in session.scalars(
            select(OrgNode).where(OrgNode.parent_id == parent.id, OrgNode.level == OrgLevel.GRID)
        )
    }
    foreign = [n for n in existing.values() if GENERATED not in (n.tags or [])]
    if foreign:
        report.warnings.append(
            _("「{name}」下已有 {n} 个非生成网格，可能与新网格重叠").format(
                name=parent.name, n=len(foreign)
            )
        )
    for start in range(0, len(codes), 1000):
        taken = session.scalar(
            select(OrgNode.code).where(
                OrgNode.code.in_(codes[start : start + 1000]),
                OrgNode.parent_id.is_distinct_from(parent.id) | (OrgNode.level != OrgLevel.GRID),
            )
        )
        if taken is not None:
            raise Conflict(_("编码 {code} 已被其他节点使用").format(code=taken))
    for spec in specs:
        geometry = to_geojson(spec.geometry) if spec.geometry is not None else None
        report.grids.append(
            {
                "code": spec.code,
                "name": spec.name,
                "households": spec.households,
                "buildings": len(spec.buildings),
            }
        )
        node = existing.get(spec.code)
        if node is None:
            report.created.append(spec.code)
            if not dry_run:
                node = service.create_node(
                    session,
                    parent=parent,
                    level=OrgLevel.GRID,
                    name=spec.name,
                    code=spec.code,
                    geometry=geometry,
                    tags=spec.tags,
                    households=spec.households,
                    households_target=spec.households_target,
                )
        else:
            same = (
                node.geometry == geometry
                and node.name == spec.name
                and node.households == spec.households
                and node.households_target == spec.households_target
            )
            (report.unchanged if same else report.updated).append(spec.code)
            if not same and not dry_run:
                node.name, node.geometry = spec.name, geometry
                node.households = spec.households
                node.households_target = spec.households_target
                node.tags = list(spec.tags)
                if spec.geometry is not None:
                    centre = spec.geometry.representative_point()
                    node.lon, node.lat = float(centre.x), float(centre.y)
        if node is not None and spec.buildings and not dry_run:
            report.buildings_moved += _rehang(session, spec.buildings, node)
    wanted = set(codes)
    stale = [n for c, n in existing.items() if c not in wanted and GENERATED in (n.tags or [])]
    for node in sorted(stale, key=lambda n: n.code):
        if _referenced(session, node):
            report.kept.append(node.code)
            continue
        report.removed.append(node.code)
        if not dry_run:
            session.delete(node)
    session.flush()


def _rehang(session: Session, building_ids: Sequence[int], grid: OrgNode) -> int:
    """Move buildings (with whatever hangs below them) under ``grid``; returns how many moved."""
    session.flush()
    rows = session.execute(
        select(OrgNode.id, OrgNode.path).where(
            OrgNode.id.in_(list(building_ids)), OrgNode.parent_id != grid.id
        )
    ).all()
    if not rows:
        return 0
    # Two executemany statements for the whole batch (Core, not ORM bulk-by-primary-key):
    # subtree paths and depths, then the parent.
    org = cast(Table, OrgNode.__table__)
    session.execute(
        update(org)
        .where(org.c.path >= bindparam("b_old"), org.c.path < bindparam("b_upper"))
        .values(
            path=bindparam("b_new", type_=String) + func.substr(org.c.path, bindparam("b_cut")),
            depth=org.c.depth + bindparam("b_delta"),
        ),
        [
            {
                "b_old": path,
                "b_upper": path[:-1] + "0",
                "b_new": f"{grid.path}{node_id}/",
                "b_cut": len(path) + 1,
                # depth of a node = number of ids in its path - 1
                "b_delta": grid.depth + 1 - (path.count("/") - 2),
            }
            for node_id, path in rows
        ],
    )
    session.execute(
        update(org).where(org.c.id == bindparam("b_id")).values(parent_id=grid.id),
        [{"b_id": node_id} for node_id, _path in rows],
    )
    session.expire_all()
    return len(rows)


def _referenced(session: Session, node: OrgNode) -> bool:
    """Whether any row of any table (other than the grid's own roster) points at ``node``."""
    if session.scalar(select(func.count()).where(OrgNode.parent_id == node.id)):
        return True
    for table in Base.metadata.sorted_tables:
        if table.name == "grid_member":
            continue  # the roster goes with the grid (ON DELETE CASCADE)
        for fk in table.foreign_keys:
            if fk.column.table.name == "org_node" and fk.parent.table is table:
                if table.name == "org_node":
                    continue
                found = session.scalar(
                    select(func.count()).select_from(table).where(fk.parent == node.id)
                )
                if found:
                    return True
    return False
