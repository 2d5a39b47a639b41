"""演示地理 — the district outline, contiguous street / community / grid polygons, points inside.

Every level is a Voronoi partition of its parent (relaxed a few times with Lloyd's algorithm so
the cells have similar sizes), clipped to the parent. The district is convex, so every cell is a
convex polygon and the children of a node tile it exactly: no gaps, no overlaps.
Coordinates are WGS84 lon/lat rounded to 6 decimals (about 0.1 m).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import MultiPoint, Polygon
from shapely.geometry.base import BaseGeometry

DECIMALS = 6


def district_outline(
    rng: np.random.Generator, centre: tuple[float, float], width: float, height: float
) -> Polygon:
    """A convex, slightly irregular outline of ``width`` × ``height`` degrees around ``centre``."""
    angles = np.sort(rng.uniform(0, 2 * np.pi, 24))
    radius = rng.uniform(0.85, 1.0, angles.size)
    xs = centre[0] + np.cos(angles) * radius * width / 2
    ys = centre[1] + np.sin(angles) * radius * height / 2
    hull = MultiPoint(np.column_stack([xs, ys])).convex_hull
    return _rounded(hull)


def _rounded(geom: BaseGeometry) -> Polygon:
    fixed = shapely.set_precision(geom, 10.0**-DECIMALS)
    if not isinstance(fixed, Polygon):
        fixed = max(getattr(fixed, "geoms", [fixed]), key=lambda g: g.area)
    return Polygon(fixed.exterior.coords)


def sample_in(
    rng: np.random.Generator, polygon: BaseGeometry, n: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``n`` uniform points strictly inside ``polygon`` (rounded, then checked)."""
    xmin, ymin, xmax, ymax = polygon.bounds
    xs: list[NDArray[np.float64]] = []
    ys: list[NDArray[np.float64]] = []
    have = 0
    shapely.prepare(polygon)
    ratio = max(polygon.area / max((xmax - xmin) * (ymax - ymin), 1e-12), 0.05)
    while have < n:
        m = int((n - have) / ratio * 1.3) + 8
        x = np.round(rng.uniform(xmin, xmax, m), DECIMALS)
        y = np.round(rng.uniform(ymin, ymax, m), DECIMALS)
        inside = shapely.contains_xy(polygon, x, y)
        xs.append(x[inside])
        ys.append(y[inside])
        have += int(inside.sum())
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n]


def sample_near(
    rng: np.random.Generator,
    polygon: BaseGeometry,
    centre: tuple[float, float],
    spread: float,
    n: int,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``n`` points around ``centre`` (Gaussian, ``spread`` degrees), kept inside ``polygon``."""
    shapely.prepare(polygon)
    xs: list[NDArray[np.float64]] = []
    ys: list[NDArray[np.float64]] = []
    have = 0
    tries = 0
    while have < n:
        m = (n - have) * 2 + 8
        x = np.round(rng.normal(centre[0], spread, m), DECIMALS)
        y = np.round(rng.normal(centre[1], spread, m), DECIMALS)
        inside = shapely.contains_xy(polygon, x, y)
        xs.append(x[inside])
        ys.append(y[inside])
        have += int(inside.sum())
        tries += 1
        if tries > 20:  # the centre sits on a corner: fall back to uniform points
            ux, uy = sample_in(rng, polygon, n)
            xs.append(ux)
            ys.append(uy)
            have += n
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n]


def partition(
    rng: np.random.Generator, polygon: Polygon, n: int, *, relax: int = 3
) -> list[Polygon]:
    """Split ``polygon`` into ``n`` contiguous convex cells, ordered north-west to south-east."""
    if n <= 1:
        return [polygon]
    x, y = sample_in(rng, polygon, n)
    seeds = np.column_stack([x, y])
    cells: list[Polygon] = []
    for step in range(relax + 1):
        diagram = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=polygon, ordered=True)
        clipped = [shapely.intersection(cell, polygon) for cell in diagram.geoms]
        cells = [_largest(c) for c in clipped]
        if step < relax:
            seeds = np.array([[c.centroid.x, c.centroid.y] for c in cells])
    cells = _snap_tiling(cells, polygon)
    # Reading order: rows from north to south, then west to east within a row.
    band = max(polygon.bounds[3] - polygon.bounds[1], 1e-9) / max(round(np.sqrt(n)), 1)
    order = sorted(
        range(len(cells)),
        key=lambda i: (-round(cells[i].centroid.y / band), cells[i].centroid.x),
    )
    return [cells[i] for i in order]


def _largest(geom: BaseGeometry) -> Polygon:
    if isinstance(geom, Polygon):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon)]
    return max(parts, key=lambda g: g.area)


def _snap_tiling(cells: Sequence[Polygon], parent: Polygon) -> list[Polygon]:
    """Round every vertex to the grid; shared edges stay shared because they round the same."""
    out = []
    for cell in cells:
        rounded = shapely.set_precision(cell, 10.0**-DECIMALS)
        out.append(_largest(rounded) if not rounded.is_empty else cell)
    return out


def geojson(polygon: Polygon) -> dict[str, Any]:
    ring = [[round(x, DECIMALS), round(y, DECIMALS)] for x, y in polygon.exterior.coords]
    return {"type": "Polygon", "coordinates": [ring]}


def point_geojson(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [round(lon, DECIMALS), round(lat, DECIMALS)]}


def inside_ratio(polygons: Sequence[BaseGeometry], parent: BaseGeometry) -> float:
    """Share of the parent's area covered by ``polygons`` (1.0 for an exact tiling)."""
    return float(shapely.union_all(list(polygons)).area / parent.area)
