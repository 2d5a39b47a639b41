"""A deliberately broken boundary file and helpers to draw test polygons (lon/lat)."""

from __future__ import annotations

import math
from typing import Any

from civicgrid.kit.geo import M_PER_DEG_LAT, M_PER_DEG_LON

X, Y, D = 113.5, 28.3, 0.002  # away from the seed world's grids (112.90–112.96 E)


def rect(x0: float, y0: float, x1: float, y1: float) -> dict[str, Any]:
    ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
    return {"type": "Polygon", "coordinates": [ring]}


def feature(geometry: dict[str, Any] | None, **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def m2(dlon: float, dlat: float, lat: float) -> float:
    """Area in m² of a dlon × dlat rectangle at latitude ``lat`` (the local approximation)."""
    return dlon * dlat * M_PER_DEG_LAT * M_PER_DEG_LON * math.cos(math.radians(lat))


BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[X, Y], [X + D, Y + D], [X + D, Y], [X, Y + D], [X, Y]]],
}
SPIKE = {  # a ring that runs out and back along a line: nothing polygonal survives repair
    "type": "Polygon",
    "coordinates": [[[X, Y], [X + D, Y], [X + D, Y + D], [X + D, Y], [X, Y]]],
}

BROKEN = {
    "type": "FeatureCollection",
    "features": [
        feature(rect(X, Y + 0.01, X + D, Y + 0.01 + D), name="好网格", code="T-OK"),
        feature(BOWTIE, name="蝴蝶结", code="T-BOW"),
        feature({"type": "Point", "coordinates": [X, Y]}, name="一个点", code="T-PT"),
        feature(rect(X + 0.02, Y, X + 0.02 + D, Y + D), code="T-NONAME"),
        feature(rect(X + 0.03, Y, X + 0.03 + D, Y + D), name="重叠甲", code="T-O1"),
        feature(rect(X + 0.031, Y, X + 0.031 + D, Y + D), name="重叠乙", code="T-O2"),
        feature(SPIKE, name="尖刺", code="T-SPIKE"),
        feature(None, name="无几何", code="T-NOGEOM"),
        feature(rect(X + 0.05, Y, X + 0.05 + D, Y + D), name="重复编码", code="T-OK"),
        feature(rect(500000.0, 3100000.0, 500100.0, 3100100.0), name="投影坐标", code="T-UTM"),
    ],
}
# The overlap of T-O1 and T-O2: 0.001° × 0.002°, centred at latitude Y + D/2.
OVERLAP_M2 = round(m2(0.001, D, Y + D / 2), 1)
