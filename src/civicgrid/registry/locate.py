"""落格 — where a registry row belongs: coordinates → grid (vectorised), or a named grid.

Every located record hangs at a grid. Coordinates win; a grid column (name or code) is the
alternative; a household already placed lends its grid; the import's scope node is the last resort.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.kit.geo import PolygonIndex, to_shape
from civicgrid.kit.i18n import _
from civicgrid.models.org import OrgLevel, OrgNode, subtree_of
from civicgrid.registry.rules import RuleError, check_lon_lat, parse_float, split_pair


@dataclass
class Territory:
    """The grids an import may place rows in (all grids, or those under ``scope``)."""

    index: PolygonIndex
    scope: OrgNode | None = None
    by_label: dict[str, list[int]] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session, scope: OrgNode | None = None) -> Territory:
        stmt = select(OrgNode.id, OrgNode.name, OrgNode.code, OrgNode.geometry).where(
            OrgNode.level == OrgLevel.GRID
        )
        if scope is not None:
            stmt = stmt.where(subtree_of(OrgNode.path, scope.path))
        rows = session.execute(stmt.order_by(OrgNode.id)).all()
        located = [(r.id, to_shape(r.geometry)) for r in rows if r.geometry is not None]
        territory = cls(
            index=PolygonIndex([k for k, _g in located], [g for _k, g in located]), scope=scope
        )
        for r in rows:
            territory.names[r.id] = r.name
            labels = {r.code, r.name, r.name.removesuffix("网格"), r.name + "网格"}
            for label in labels:
                ids = territory.by_label.setdefault(label, [])
                if r.id not in ids:
                    ids.append(r.id)
        return territory

    def scope_label(self) -> str:
        return self.scope.name if self.scope is not None else _("辖区")

    def locate(self, lons: Sequence[float], lats: Sequence[float]) -> NDArray[np.int64]:
        """Grid id per point (``-1`` outside every grid of the territory)."""
        return self.index.assign(
            np.asarray(lons, dtype=np.float64), np.asarray(lats, dtype=np.float64)
        )

    def grid_by_label(self, text: str) -> int:
        ids = self.by_label.get(text.strip())
        if not ids:
            raise RuleError(
                _("网格「{g}」不存在（或不在{scope}内）").format(
                    g=text[:30], scope=self.scope_label()
                )
            )
        if len(ids) > 1:
            raise RuleError(_("网格名称「{g}」不唯一，请填写网格编码").format(g=text[:30]))
        return ids[0]


def _plain_coordinates(
    lon: list[str] | None, lat: list[str] | None
) -> tuple[list[float | None], list[float | None]] | None:
    """Columns of plain, in-range, non-swapped numbers parsed by numpy; None if any needs care."""
    if lon is None or lat is None:
        return None
    try:
        xs = np.array(lon, dtype=np.float64)
        ys = np.array(lat, dtype=np.float64)
    except ValueError:
        return None
    swapped = (xs >= 3) & (xs <= 54) & (ys >= 73) & (ys <= 136)
    in_range = (xs >= -180) & (xs <= 180) & (ys >= -90) & (ys <= 90)
    if not bool(np.all(in_range & ~swapped)):
        return None
    return xs.tolist(), ys.tolist()


@dataclass
class Located:
    """Column-wise locations of a chunk: grid ids, coordinates, and the per-row errors."""

    nodes: list[int | None]
    lons: list[float | None]
    lats: list[float | None]
    errors: list[tuple[int, str, str, str]]  # (position, field, text, reason)
    warnings: list[tuple[int, str, str, str]]


def locate_rows(
    territory: Territory,
    *,
    lon: list[str] | None,
    lat: list[str] | None,
    coordinates: list[str] | None,
    grid: list[str] | None,
    n: int,
) -> Located:
    """Parse coordinates and grid labels of ``n`` rows and assign each row its grid."""
    nodes: list[int | None] = [None] * n
    lons: list[float | None] = [None] * n
    lats: list[float | None] = [None] * n
    errors: list[tuple[int, str, str, str]] = []
    warnings: list[tuple[int, str, str, str]] = []
    fast = _plain_coordinates(lon, lat) if coordinates is None else None
    if fast is not None:
        lons, lats = fast
    elif lon is not None or coordinates is not None:
        for k in range(n):
            if coordinates is not None:
                pair_text = coordinates[k]
                if not pair_text:
                    continue
                field_name = "coordinates"
                try:
                    lon_text, lat_text = split_pair(pair_text)
                except RuleError as exc:
                    errors.append((k, field_name, pair_text, str(exc)))
                    continue
            else:
                assert lon is not None
                assert lat is not None
                lon_text, lat_text = lon[k], lat[k]
                if not lon_text and not lat_text:
                    continue
                field_name = "lon"
                pair_text = f"{lon_text},{lat_text}"
                if not lon_text or not lat_text:
                    errors.append((k, field_name, pair_text, _("经度和纬度须同时填写")))
                    continue
            try:
                x = parse_float(lon_text, _("经度"))
                y = parse_float(lat_text, _("纬度"))
                check_lon_lat(x, y)
            except RuleError as exc:
                errors.append((k, field_name, pair_text, str(exc)))
                continue
            lons[k], lats[k] = x, y
    if lon is not None or coordinates is not None:
        have = [k for k in range(n) if lons[k] is not None]
        if have:
            found = territory.locate(
                [lons[k] for k in have],  # type: ignore[misc]
                [lats[k] for k in have],  # type: ignore[misc]
            ).tolist()
            for k, grid_id in zip(have, found, strict=True):
                if grid_id == -1:
                    text = f"{lons[k]},{lats[k]}"
                    field_name = "coordinates" if coordinates is not None else "lon"
                    errors.append(
                        (
                            k,
                            field_name,
                            text,
                            _("坐标不在{scope}的任何网格内").format(scope=territory.scope_label()),
                        )
                    )
                    lons[k] = lats[k] = None
                else:
                    nodes[k] = grid_id
    if grid is not None:
        for k in range(n):
            label = grid[k]
            if not label:
                continue
            try:
                grid_id = territory.grid_by_label(label)
            except RuleError as exc:
                if nodes[k] is None:
                    errors.append((k, "grid", label, str(exc)))
                else:
                    warnings.append((k, "grid", label, str(exc) + _("；已按坐标归属")))
                continue
            if nodes[k] is None:
                nodes[k] = grid_id
            elif nodes[k] != grid_id:
                where = territory.names.get(nodes[k] or 0, "?")
                warnings.append(
                    (
                        k,
                        "grid",
                        label,
                        _("网格「{g}」与坐标所在网格「{h}」不一致，已按坐标归入「{h}」").format(
                            g=label[:30], h=where
                        ),
                    )
                )
    return Located(nodes, lons, lats, errors, warnings)
