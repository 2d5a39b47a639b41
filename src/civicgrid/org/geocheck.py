"""边界校验 — check imported boundary features: names, codes, polygons, overlaps and gaps.

Pure functions (no database): raw features in, cleaned polygons and a list of issues out. Every
issue names the feature by its 1-based position in the file and by its name and code, so an office
worker can find it in their GIS tool.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from civicgrid.kit.geo import area_m2, polygonal, repair, to_shape
from civicgrid.kit.i18n import _
from civicgrid.org.formats import RawFeature

DEFAULT_NAME_PROPS = ("name", "NAME", "Name", "名称", "网格名称")
DEFAULT_CODE_PROPS = ("code", "CODE", "Code", "adcode", "编码", "网格编码")
NAME_MAX, CODE_MAX = 200, 64
DEFAULT_OVERLAP_TOLERANCE_M2 = 10.0
DEFAULT_GAP_TOLERANCE_M2 = 10.0
MIN_AREA_M2 = 0.01  # a polygon smaller than this is a drawing accident, not an area

# shapely/GEOS validity reasons, in Chinese; the location "[x y]" is kept.
_REASONS = {
    "Ring Self-intersection": "环自相交",
    "Self-intersection": "自相交",
    "Too few points": "点数不足",
    "Hole lies outside shell": "内环在外环之外",
    "Holes are nested": "内环嵌套",
    "Interior is disconnected": "内部不连通",
    "Nested shells": "外环嵌套",
    "Duplicate Rings": "环重复",
    "Invalid Coordinate": "坐标无效",
}


@dataclass(frozen=True)
class FeatureIssue:
    """A feature that was rejected or repaired, and why."""

    index: int
    name: str | None
    code: str | None
    reason: str

    @property
    def label(self) -> str:
        ident = " / ".join(x for x in (self.name, self.code) if x)
        return f"#{self.index} {ident}".strip()


@dataclass(frozen=True)
class CleanFeature:
    index: int
    name: str
    code: str
    parent_ref: str | None
    geometry: Polygon | MultiPolygon
    repaired: str | None = None


@dataclass(frozen=True)
class Overlap:
    a: str
    b: str
    area_m2: float


@dataclass(frozen=True)
class Gap:
    """Uncovered area of a parent: a hole inside the union of its grids, or part of its polygon."""

    parent: str
    kind: str  # "hole" | "uncovered"
    area_m2: float
    lon: float
    lat: float


@dataclass(frozen=True)
class Outside:
    """Part of a grid that lies outside its parent's polygon."""

    code: str
    parent: str
    area_m2: float


def lookup(props: dict[str, Any], key: str) -> Any:
    """``props[key]``, or a dotted path into nested objects ("parent.adcode")."""
    if key in props:
        return props[key]
    value: Any = props
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def as_text(value: Any) -> str | None:
    """A property value as text: numbers without a spurious ".0", blanks as None."""
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        if value.is_integer():
            value = int(value)
    text = str(value).strip()
    return text or None


def _first(props: dict[str, Any], keys: Sequence[str]) -> str | None:
    for key in keys:
        text = as_text(lookup(props, key))
        if text is not None:
            return text
    return None


def explain(reason: str) -> str:
    """Translate a GEOS validity reason, keeping its location: "自相交（113.501 28.301）"."""
    what, _sep, where = reason.partition("[")
    text = what.strip()
    for english, chinese in _REASONS.items():
        if text.startswith(english):
            text = _(chinese)
            break
    where = where.rstrip("]").strip()
    return f"{text}（{where}）" if where else text


def check_geometry(geometry: dict[str, Any] | None) -> tuple[BaseGeometry | None, str | None, str]:
    """``(polygon, repaired_reason, rejected_reason)``: a polygon, or a reason to reject."""
    if not geometry:
        return None, None, _("缺少几何")
    kind = geometry.get("type")
    if kind not in ("Polygon", "MultiPolygon"):
        return None, None, _("不是面要素（{kind}）").format(kind=kind or "?")
    try:
        geom = to_shape(geometry)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        return None, None, _("坐标无效：{error}").format(error=exc)
    except shapely.errors.GEOSException as exc:
        return None, None, _("坐标无效：{error}").format(error=exc)
    if geom.is_empty:
        return None, None, _("几何为空")
    coords = shapely.get_coordinates(geom)
    if not np.isfinite(coords).all():
        return None, None, _("坐标无效（含非数值）")
    if (np.abs(coords[:, 0]) > 180).any() or (np.abs(coords[:, 1]) > 90).any():
        return None, None, _("坐标超出经纬度范围（应为 WGS84 经纬度）")
    fixed, reason = repair(geom)
    if fixed is None:
        detail = explain(reason) if reason else _("面积为零")
        return None, None, _("{detail}，无法修复").format(detail=detail)
    if float(area_m2(fixed)) < MIN_AREA_M2:
        return None, None, _("面积为零，无法修复")
    if reason is not None:
        return fixed, _("已修复：{detail}").format(detail=explain(reason)), ""
    return fixed, None, ""


def prepare_features(
    features: Sequence[RawFeature],
    *,
    name_prop: str | None = None,
    code_prop: str | None = None,
    parent_prop: str | None = None,
) -> tuple[list[CleanFeature], list[FeatureIssue], list[FeatureIssue]]:
    """Check every feature: ``(clean, repaired, rejected)``.

    A feature is rejected for every reason that applies (joined by "；"): no or non-polygonal
    geometry, bad coordinates, an unrepairable polygon, a missing or too long name or code, or a
    code already used by an earlier feature of the same file.
    """
    name_keys = (name_prop,) if name_prop else DEFAULT_NAME_PROPS
    code_keys = (code_prop,) if code_prop else DEFAULT_CODE_PROPS
    clean: list[CleanFeature] = []
    repaired: list[FeatureIssue] = []
    rejected: list[FeatureIssue] = []
    seen: dict[str, int] = {}
    for feature in features:
        name = _first(feature.properties, name_keys)
        code = _first(feature.properties, code_keys)
        if code is None and not code_prop:
            code = as_text(feature.fid)
        reasons = []
        geom, repair_reason, reject_reason = check_geometry(feature.geometry)
        if reject_reason:
            reasons.append(reject_reason)
        if name is None:
            reasons.append(_("缺少名称（属性 {prop}）").format(prop=name_prop or "name"))
        elif len(name) > NAME_MAX:
            reasons.append(_("名称超过 {n} 字").format(n=NAME_MAX))
        if code is None:
            reasons.append(_("缺少编码（属性 {prop}）").format(prop=code_prop or "code"))
        elif len(code) > CODE_MAX:
            reasons.append(_("编码超过 {n} 字符").format(n=CODE_MAX))
        elif code in seen:
            reasons.append(_("编码 {code} 与第 {i} 个要素重复").format(code=code, i=seen[code]))
        if reasons or geom is None or name is None or code is None:
            rejected.append(FeatureIssue(feature.index, name, code, "；".join(reasons)))
            continue
        seen[code] = feature.index
        parent_ref = as_text(lookup(feature.properties, parent_prop)) if parent_prop else None
        poly = polygonal(geom)
        assert poly is not None  # check_geometry returns polygonal geometry only
        clean.append(CleanFeature(feature.index, name, code, parent_ref, poly, repair_reason))
        if repair_reason:
            repaired.append(FeatureIssue(feature.index, name, code, repair_reason))
    return clean, repaired, rejected


def find_overlaps(
    codes: Sequence[str],
    geoms: Sequence[BaseGeometry],
    tolerance_m2: float = DEFAULT_OVERLAP_TOLERANCE_M2,
    *,
    only: Sequence[bool] | None = None,
) -> list[Overlap]:
    """Pairs of polygons sharing more than ``tolerance_m2`` of area, in input order.

    ``only`` restricts the report to pairs where at least one side is flagged (the features of
    this import, checked against the grids already stored).
    """
    if len(geoms) < 2:
        return []
    arr = np.asarray(geoms, dtype=object)
    tree = shapely.STRtree(arr)
    left, right = tree.query(arr, predicate="intersects")
    keep = left < right
    if only is not None:
        flags = np.asarray(only, dtype=bool)
        keep &= flags[left] | flags[right]
    left, right = left[keep], right[keep]
    if left.size == 0:
        return []
    areas = area_m2(shapely.intersection(arr[left], arr[right]))
    order = np.lexsort((right, left))
    return [
        Overlap(codes[left[i]], codes[right[i]], round(float(areas[i]), 1))
        for i in order
        if areas[i] > tolerance_m2
    ]


def _pieces(geom: BaseGeometry) -> list[Polygon]:
    poly = polygonal(geom)
    if poly is None:
        return []
    return list(poly.geoms) if isinstance(poly, MultiPolygon) else [poly]


def find_gaps(
    parent_code: str,
    geoms: Sequence[BaseGeometry],
    parent_geom: BaseGeometry | None = None,
    tolerance_m2: float = DEFAULT_GAP_TOLERANCE_M2,
) -> list[Gap]:
    """Uncovered areas: the parent's polygon minus its grids when the parent has a polygon,
    otherwise the holes enclosed by the union of the grids. Largest first."""
    if not geoms:
        return []
    union = shapely.union_all(np.asarray(geoms, dtype=object))
    if parent_geom is not None:
        kind = "uncovered"
        pieces = _pieces(shapely.difference(parent_geom, union))
    else:
        kind = "hole"
        pieces = [Polygon(ring) for poly in _pieces(union) for ring in poly.interiors]
    gaps = []
    for piece in pieces:
        area = float(area_m2(piece))
        if area > tolerance_m2:
            pt = piece.representative_point()
            gaps.append(Gap(parent_code, kind, round(area, 1), round(pt.x, 6), round(pt.y, 6)))
    return sorted(gaps, key=lambda g: -g.area_m2)


def find_outside(
    parent_code: str,
    codes: Sequence[str],
    geoms: Sequence[BaseGeometry],
    parent_geom: BaseGeometry,
    tolerance_m2: float = DEFAULT_GAP_TOLERANCE_M2,
) -> list[Outside]:
    """Grids sticking out of their parent's polygon by more than ``tolerance_m2``."""
    if not geoms:
        return []
    outside = area_m2(shapely.difference(np.asarray(geoms, dtype=object), parent_geom))
    return [
        Outside(codes[i], parent_code, round(float(a), 1))
        for i, a in enumerate(np.atleast_1d(outside))
        if a > tolerance_m2
    ]
