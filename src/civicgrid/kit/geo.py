"""Geometry helpers on shapely 2: GeoJSON in/out, metric areas, repair, point → polygon index.

Coordinates are WGS84 longitude/latitude throughout. Areas and lengths in metres use a local
equirectangular approximation (exact enough for grids, streets and districts: well under 1 % error
for areas a few tens of kilometres across), so no projection library is needed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import MultiPolygon, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry

# Metres per degree of latitude, and of longitude at the equator (WGS84 mean values).
M_PER_DEG_LAT = 110_574.0
M_PER_DEG_LON = 111_320.0

FloatArray = NDArray[np.float64]


def _polygon(rings: list[Any]) -> Polygon:
    if not rings:
        return Polygon()
    return Polygon(
        np.asarray(rings[0], dtype=np.float64), [np.asarray(r, dtype=np.float64) for r in rings[1:]]
    )


def to_shape(geojson: dict[str, Any]) -> BaseGeometry:
    """A shapely geometry from a GeoJSON mapping.

    Polygons and multipolygons (the grid layer) are built from numpy arrays, about twice as fast
    as ``shapely.geometry.shape``; anything else, or anything odd, goes through ``shape``.
    """
    kind = geojson.get("type")
    try:
        if kind == "Polygon":
            return _polygon(geojson["coordinates"])
        if kind == "MultiPolygon":
            return MultiPolygon([_polygon(p) for p in geojson["coordinates"]])
    except (ValueError, TypeError, KeyError, IndexError):
        pass
    return shape(geojson)


def to_geojson(geom: BaseGeometry) -> dict[str, Any]:
    """GeoJSON mapping with plain lists (JSON columns and responses need lists, not tuples)."""
    return _listify(mapping(geom))  # type: ignore[no-any-return]


def _listify(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _listify(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_listify(v) for v in value]
    return value


def area_m2(geom: BaseGeometry | Sequence[BaseGeometry] | NDArray[Any]) -> Any:
    """Area in square metres (scalar for one geometry, array for an array of geometries)."""
    arr = np.asarray(geom, dtype=object)
    areas = shapely.area(arr)
    bounds = shapely.bounds(arr)  # NaN for empty geometries, whose area is 0 anyway
    lat = (bounds[..., 1] + bounds[..., 3]) / 2
    lat = np.where(np.isfinite(lat), lat, 0.0)
    result = areas * M_PER_DEG_LAT * M_PER_DEG_LON * np.cos(np.radians(lat))
    return float(result) if np.ndim(result) == 0 else result


def metric_scale(lat0: float) -> tuple[float, float]:
    """Metres per degree of longitude and of latitude around latitude ``lat0``."""
    return M_PER_DEG_LON * math.cos(math.radians(lat0)), M_PER_DEG_LAT


def to_metres(geom: BaseGeometry, lon0: float, lat0: float) -> BaseGeometry:
    """Project to a local plane in metres centred on (lon0, lat0)."""
    sx, sy = metric_scale(lat0)
    return shapely.transform(geom, lambda c: (c - (lon0, lat0)) * (sx, sy))


def from_metres(geom: BaseGeometry, lon0: float, lat0: float) -> BaseGeometry:
    """Inverse of :func:`to_metres`."""
    sx, sy = metric_scale(lat0)
    return shapely.transform(geom, lambda c: c / (sx, sy) + (lon0, lat0))


def polygonal(geom: BaseGeometry | None) -> Polygon | MultiPolygon | None:
    """The polygonal part of ``geom`` (lines and points dropped); None when there is none."""
    if geom is None or geom.is_empty:
        return None
    if isinstance(geom, Polygon | MultiPolygon):
        return geom
    parts: list[Polygon] = []
    for part in getattr(geom, "geoms", ()):
        sub = polygonal(part)
        if sub is None:
            continue
        parts.extend(sub.geoms if isinstance(sub, MultiPolygon) else [sub])
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def repair(geom: BaseGeometry) -> tuple[Polygon | MultiPolygon | None, str | None]:
    """Make a polygon valid: ``(geometry, reason)``.

    ``reason`` is shapely's explanation of what was wrong (e.g. "Self-intersection[1 1]") or None
    when the geometry was already valid. The geometry is None when nothing polygonal survives
    the repair (a ring collapsed to a line, say).
    """
    geom = shapely.force_2d(geom)
    if geom.is_valid:
        return polygonal(geom), None
    reason = shapely.is_valid_reason(geom)
    fixed = polygonal(shapely.make_valid(geom))
    if fixed is not None and (fixed.is_empty or fixed.area == 0.0):
        fixed = None
    return fixed, reason


class PolygonIndex:
    """Assigns points to the polygon that contains them, vectorised with shapely's STRtree.

    ``assign`` returns, for each point, the key of the containing polygon, or ``-1`` when the point
    lies in none. A point on a shared border (or in an overlap) goes to the polygon given first.
    """

    def __init__(self, keys: Sequence[int], polygons: Sequence[BaseGeometry]) -> None:
        if len(keys) != len(polygons):
            raise ValueError("keys and polygons differ in length")
        self.keys = np.asarray(keys, dtype=np.int64)
        self.polygons = np.asarray(polygons, dtype=object)
        shapely.prepare(self.polygons)
        self.tree = shapely.STRtree(self.polygons)

    def __len__(self) -> int:
        return len(self.keys)

    def assign(
        self,
        lons: Sequence[float] | FloatArray,
        lats: Sequence[float] | FloatArray,
    ) -> NDArray[np.int64]:
        lon = np.asarray(lons, dtype=np.float64)
        lat = np.asarray(lats, dtype=np.float64)
        if lon.shape != lat.shape:
            raise ValueError("lons and lats differ in length")
        result = np.full(lon.shape[0], -1, dtype=np.int64)
        if lon.size == 0 or len(self.keys) == 0:
            return result
        valid = np.isfinite(lon) & np.isfinite(lat)
        idx = None if valid.all() else np.nonzero(valid)[0]
        if idx is not None:
            lon, lat = lon[idx], lat[idx]
        # Bounding-box candidates from the tree, then the exact test against the *prepared*
        # polygons on raw coordinates (faster than ``query(predicate=...)``, which tests each
        # point against an unprepared polygon).
        point_pos, poly_pos = self.tree.query(shapely.points(lon, lat))
        hit = shapely.intersects_xy(self.polygons[poly_pos], lon[point_pos], lat[point_pos])
        point_pos, poly_pos = point_pos[hit], poly_pos[hit]
        if point_pos.size:
            if point_pos.size > 1 and bool(np.any(point_pos[1:] < point_pos[:-1])):
                order = np.argsort(point_pos, kind="stable")
                point_pos, poly_pos = point_pos[order], poly_pos[order]
            # Runs of equal point positions: keep the smallest polygon position of each run.
            starts = np.flatnonzero(np.r_[True, point_pos[1:] != point_pos[:-1]])
            best = poly_pos[starts]
            if starts.size != point_pos.size:
                best = np.minimum.reduceat(poly_pos, starts)
            target = point_pos[starts] if idx is None else idx[point_pos[starts]]
            result[target] = self.keys[best]
        return result

    def assign_one(self, lon: float, lat: float) -> int | None:
        key = int(self.assign([lon], [lat])[0])
        return None if key == -1 else key
