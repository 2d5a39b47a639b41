"""Geometry helpers on shapely 2: GeoJSON in/out and vectorised point → polygon assignment."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry


def to_shape(geojson: dict[str, Any]) -> BaseGeometry:
    return shape(geojson)


def to_geojson(geom: BaseGeometry) -> dict[str, Any]:
    return dict(mapping(geom))


class PolygonIndex:
    """Assigns points to the polygon that contains them, vectorised with shapely's STRtree.

    ``assign`` returns, for each point, the key of the containing polygon, or ``-1`` when the point
    lies in none. A point on a shared border goes to the polygon with the smallest position.
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
        lons: Sequence[float] | NDArray[np.float64],
        lats: Sequence[float] | NDArray[np.float64],
    ) -> NDArray[np.int64]:
        lon = np.asarray(lons, dtype=np.float64)
        lat = np.asarray(lats, dtype=np.float64)
        result = np.full(lon.shape[0], -1, dtype=np.int64)
        if lon.size == 0 or len(self.keys) == 0:
            return result
        valid = np.isfinite(lon) & np.isfinite(lat)
        idx = np.nonzero(valid)[0]
        points = shapely.points(lon[idx], lat[idx])
        point_pos, poly_pos = self.tree.query(points, predicate="intersects")
        if point_pos.size:
            # Keep the first polygon per point (query output is sorted by input point).
            order = np.lexsort((poly_pos, point_pos))
            point_pos, poly_pos = point_pos[order], poly_pos[order]
            first = np.ones(point_pos.size, dtype=bool)
            first[1:] = point_pos[1:] != point_pos[:-1]
            result[idx[point_pos[first]]] = self.keys[poly_pos[first]]
        return result

    def assign_one(self, lon: float, lat: float) -> int | None:
        key = int(self.assign([lon], [lat])[0])
        return None if key == -1 else key
