"""网格导入 — import grid (or any area) boundaries into the administrative tree.

Idempotent by code: a feature whose code exists updates that node (name, polygon, parent),
otherwise a node is created. Bad features are rejected with a reason and never stop good ones;
repaired polygons, overlaps, gaps and grids sticking out of their parent are reported.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.kit.geo import to_geojson, to_shape
from civicgrid.kit.i18n import _
from civicgrid.models.org import OrgLevel, OrgNode
from civicgrid.org import service
from civicgrid.org.formats import SourceFile
from civicgrid.org.geocheck import (
    DEFAULT_GAP_TOLERANCE_M2,
    DEFAULT_OVERLAP_TOLERANCE_M2,
    CleanFeature,
    FeatureIssue,
    Gap,
    Outside,
    Overlap,
    find_gaps,
    find_outside,
    find_overlaps,
    prepare_features,
)

CHUNK = 500


@dataclass
class GridImportReport:
    format: str
    level: str
    features: int
    dry_run: bool
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    repaired: list[FeatureIssue] = field(default_factory=list)
    rejected: list[FeatureIssue] = field(default_factory=list)
    overlaps: list[Overlap] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    outside: list[Outside] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return len(self.created) + len(self.updated) + len(self.unchanged)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["imported"] = self.imported
        return data

    def rows(self) -> list[tuple[str, str, str]]:
        """(kind, subject, detail) lines for a table, rejections first."""
        out = [(_("拒绝"), i.label, i.reason) for i in self.rejected]
        out += [(_("修复"), i.label, i.reason) for i in self.repaired]
        out += [
            (_("重叠"), f"{o.a} ∩ {o.b}", _("{a} 平方米").format(a=o.area_m2))
            for o in self.overlaps
        ]
        out += [
            (
                _("空隙") if g.kind == "hole" else _("未覆盖"),
                g.parent,
                _("{a} 平方米，位于 {lon},{lat}").format(a=g.area_m2, lon=g.lon, lat=g.lat),
            )
            for g in self.gaps
        ]
        out += [
            (_("超出上级"), o.code, _("{a} 平方米在 {p} 之外").format(a=o.area_m2, p=o.parent))
            for o in self.outside
        ]
        out += [(_("提示"), "", w) for w in self.warnings]
        return out


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for i in range(0, len(values), CHUNK):
        yield values[i : i + CHUNK]


def _nodes_by(session: Session, column: Any, values: Iterable[str]) -> list[OrgNode]:
    unique = sorted(set(values))
    found: list[OrgNode] = []
    for part in _chunks(unique):
        found.extend(session.scalars(select(OrgNode).where(column.in_(part))))
    return found


def _resolve_parents(
    session: Session, features: list[CleanFeature], default: OrgNode | None, level: str
) -> tuple[dict[int, OrgNode | None], dict[int, str]]:
    """Parent of each feature (by its index): by code, else by unique name, else ``default``."""
    refs = {f.parent_ref for f in features if f.parent_ref}
    by_code = {n.code: n for n in _nodes_by(session, OrgNode.code, refs)}
    names = [r for r in refs if r not in by_code]
    by_name: dict[str, list[OrgNode]] = defaultdict(list)
    for node in _nodes_by(session, OrgNode.name, names):
        by_name[node.name].append(node)
    parents: dict[int, OrgNode | None] = {}
    errors: dict[int, str] = {}
    for f in features:
        if f.parent_ref:
            if f.parent_ref in by_code:
                parents[f.index] = by_code[f.parent_ref]
            elif len(by_name.get(f.parent_ref, [])) == 1:
                parents[f.index] = by_name[f.parent_ref][0]
            elif by_name.get(f.parent_ref):
                errors[f.index] = _("上级名称「{ref}」不唯一，请改用编码").format(ref=f.parent_ref)
            else:
                errors[f.index] = _("上级「{ref}」不存在").format(ref=f.parent_ref)
        elif default is not None:
            parents[f.index] = default
        elif level == OrgLevel.GRID:
            errors[f.index] = _("未指定上级节点（--parent 或上级属性）")
        else:
            parents[f.index] = None
    return parents, errors


def import_grids(
    session: Session,
    *,
    source: SourceFile,
    parent: OrgNode | None = None,
    level: str = OrgLevel.GRID,
    name_prop: str | None = None,
    code_prop: str | None = None,
    parent_prop: str | None = None,
    dry_run: bool = False,
    overlap_tolerance_m2: float = DEFAULT_OVERLAP_TOLERANCE_M2,
    gap_tolerance_m2: float = DEFAULT_GAP_TOLERANCE_M2,
) -> GridImportReport:
    """Import the polygons of ``source`` as nodes of ``level`` and report what happened.

    With ``dry_run`` nothing is written; the report is the same as a real run's.
    """
    report = GridImportReport(
        format=source.format,
        level=str(level),
        features=len(source.features),
        dry_run=dry_run,
        warnings=list(source.warnings),
    )
    clean, report.repaired, rejected = prepare_features(
        source.features, name_prop=name_prop, code_prop=code_prop, parent_prop=parent_prop
    )
    parents, errors = _resolve_parents(session, clean, parent, level)
    existing = {n.code: n for n in _nodes_by(session, OrgNode.code, [f.code for f in clean])}
    accepted: list[CleanFeature] = []
    for f in clean:
        node = existing.get(f.code)
        if f.index not in errors and node is not None and node.level != level:
            errors[f.index] = _("编码 {code} 已被{level}节点「{name}」使用").format(
                code=f.code, level=node.level, name=node.name
            )
        target = parents.get(f.index)
        if (
            f.index not in errors
            and node is not None
            and target is not None
            and target.path.startswith(node.path)
        ):
            errors[f.index] = _("上级不能是该节点自己或其下级")
        if f.index in errors:
            rejected.append(FeatureIssue(f.index, f.name, f.code, errors[f.index]))
        else:
            accepted.append(f)
    report.rejected = sorted(rejected, key=lambda i: i.index)
    report.repaired = [r for r in report.repaired if r.index not in errors]

    if accepted:
        incoming = {f.code for f in accepted}
        stored = [row for row in _stored_layer(session, level) if row[0] not in incoming]
        _check_layer(report, accepted, stored, overlap_tolerance_m2)
        _check_coverage(report, accepted, stored, parents, gap_tolerance_m2)

    for f in accepted:
        node = existing.get(f.code)
        geometry = to_geojson(f.geometry)
        target = parents[f.index]
        if node is None:
            report.created.append(f.code)
            if not dry_run:
                centre = f.geometry.representative_point()
                service.create_node(
                    session,
                    parent=target,
                    level=level,
                    name=f.name,
                    code=f.code,
                    geometry=geometry,
                    lon=float(centre.x),
                    lat=float(centre.y),
                )
            continue
        moved = target is not None and node.parent_id != target.id
        if node.name == f.name and node.geometry == geometry and not moved:
            report.unchanged.append(f.code)
            continue
        report.updated.append(f.code)
        if dry_run:
            continue
        node.name, node.geometry = f.name, geometry
        centre = f.geometry.representative_point()
        node.lon, node.lat = float(centre.x), float(centre.y)
        if moved and target is not None:
            service.move_node(session, node=node, parent=target)
    session.flush()
    return report


def _stored_layer(session: Session, level: str) -> list[tuple[str, int | None, BaseGeometry]]:
    rows = session.execute(
        select(OrgNode.code, OrgNode.parent_id, OrgNode.geometry).where(
            OrgNode.level == level, OrgNode.geometry.is_not(None)
        )
    ).all()
    return [(code, parent_id, to_shape(geom)) for code, parent_id, geom in rows if geom]


def _check_layer(
    report: GridImportReport,
    accepted: list[CleanFeature],
    stored: list[tuple[str, int | None, BaseGeometry]],
    tolerance_m2: float,
) -> None:
    """Overlaps among the imported polygons and against the stored ones of the same level."""
    codes = [f.code for f in accepted] + [code for code, _p, _g in stored]
    geoms = [f.geometry for f in accepted] + [geom for _c, _p, geom in stored]
    flags = [True] * len(accepted) + [False] * len(stored)
    report.overlaps = find_overlaps(codes, geoms, tolerance_m2, only=flags)


def _check_coverage(
    report: GridImportReport,
    accepted: list[CleanFeature],
    stored: list[tuple[str, int | None, BaseGeometry]],
    parents: dict[int, OrgNode | None],
    tolerance_m2: float,
) -> None:
    """Gaps under every parent this import touches, and imported polygons outside their parent."""
    touched: dict[int, OrgNode] = {}
    for f in accepted:
        target = parents.get(f.index)
        if target is not None:
            touched[target.id] = target
    for parent_node in sorted(touched.values(), key=lambda n: n.id):
        own = [f for f in accepted if (p := parents.get(f.index)) and p.id == parent_node.id]
        geoms = [f.geometry for f in own]
        geoms += [geom for _code, parent_id, geom in stored if parent_id == parent_node.id]
        parent_geom = to_shape(parent_node.geometry) if parent_node.geometry else None
        report.gaps.extend(find_gaps(parent_node.code, geoms, parent_geom, tolerance_m2))
        if parent_geom is not None:
            report.outside.extend(
                find_outside(
                    parent_node.code,
                    [f.code for f in own],
                    [f.geometry for f in own],
                    parent_geom,
                    tolerance_m2,
                )
            )
