"""网格划分 — pure functions that cut an area into grids: by household count, or into H3 cells.

Buildings are grouped by **weighted recursive bisection** (a k-d split on household counts):
with ``k = round(total households / target)`` grids to make, the buildings are sorted along the
longer side of their extent (measured in metres) and cut where the running household sum reaches
``k1/k`` of the total (``k1 = k // 2``); each side is split again for ``k1`` and ``k - k1`` grids.
Each grid therefore holds ``total/k`` households give or take one building's count, its buildings
are contiguous, and the grid polygons — the k-d cells clipped to the parent's area — tile that
area with neither overlaps nor gaps (全覆盖).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import MultiPolygon, Polygon, box
from shapely.geometry.base import BaseGeometry

from civicgrid.kit.geo import polygonal

URBAN_TARGET = 300  # households per grid in towns (一格 200–300 户)
RURAL_TARGET = 200
MAX_H3_CELLS = 50_000

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Group:
    """One grid-to-be: the positions of its buildings, their households, and its k-d cell."""

    members: IntArray
    households: int
    bounds: tuple[float, float, float, float]  # (min lon, min lat, max lon, max lat)


def grid_count(total_households: float, target: int) -> int:
    """How many grids ``total_households`` makes at ``target`` households per grid (at least 1)."""
    if target <= 0:
        raise ValueError("target must be positive")
    return max(1, round(total_households / target))


def _split_position(coord: FloatArray, cum: FloatArray, goal: float) -> int | None:
    """Index ``j`` so that items ``[:j]`` go left: the cut nearest to ``goal`` households that
    falls between two distinct coordinates (so the cut line passes through no building)."""
    valid = np.flatnonzero(coord[1:] > coord[:-1]) + 1
    if valid.size == 0:
        return None
    return int(valid[np.argmin(np.abs(cum[valid - 1] - goal))])


def partition_buildings(
    lons: FloatArray | list[float],
    lats: FloatArray | list[float],
    households: FloatArray | list[float] | list[int],
    target: int,
    *,
    bounds: tuple[float, float, float, float] | None = None,
) -> list[Group]:
    """Group buildings into grids of about ``target`` households (see the module docstring).

    ``bounds`` is the area the cells must tile (defaults to the buildings' own extent). Every
    building lands in exactly one group; groups come out in a stable order (west/south first
    along each cut), so the same input always gives the same grids.
    """
    lon = np.asarray(lons, dtype=np.float64)
    lat = np.asarray(lats, dtype=np.float64)
    weight = np.asarray(households, dtype=np.float64)
    if not (lon.shape == lat.shape == weight.shape) or lon.ndim != 1:
        raise ValueError("lons, lats and households must be 1-d and of equal length")
    if lon.size == 0:
        return []
    if not (np.isfinite(lon).all() and np.isfinite(lat).all()):
        raise ValueError("building coordinates must be finite")
    weight = np.where(np.isfinite(weight) & (weight > 0), weight, 0.0)
    x_scale = math.cos(math.radians(float(lat.mean())))
    if bounds is None:
        bounds = (float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max()))
    groups: list[Group] = []

    def split(idx: IntArray, k: int, cell: tuple[float, float, float, float]) -> None:
        if k <= 1 or idx.size <= 1:
            groups.append(Group(idx, round(float(weight[idx].sum())), cell))
            return
        span_x = (lon[idx].max() - lon[idx].min()) * x_scale
        span_y = lat[idx].max() - lat[idx].min()
        k1 = k // 2
        for axis in (0, 1) if span_x >= span_y else (1, 0):
            coord, other = (lon, lat) if axis == 0 else (lat, lon)
            order = idx[np.lexsort((other[idx], coord[idx]))]
            cum = np.cumsum(weight[order])
            j = _split_position(coord[order], cum, float(cum[-1]) * k1 / k)
            if j is None:
                continue
            cut = float(coord[order[j - 1]] + coord[order[j]]) / 2
            x0, y0, x1, y1 = cell
            if axis == 0:
                left, right = (x0, y0, cut, y1), (cut, y0, x1, y1)
            else:
                left, right = (x0, y0, x1, cut), (x0, cut, x1, y1)
            # Give each side a number of grids matching the households it actually got.
            share = float(cum[j - 1]) / float(cum[-1]) if cum[-1] > 0 else j / order.size
            k_left = min(max(1, round(share * k)), k - 1)
            split(order[:j], k_left, left)
            split(order[j:], k - k_left, right)
            return
        groups.append(Group(idx, round(float(weight[idx].sum())), cell))

    total = float(weight.sum())
    k = grid_count(total, target) if total > 0 else 1
    split(np.arange(lon.size, dtype=np.int64), k, bounds)
    return groups


def group_polygons(
    groups: list[Group], domain: BaseGeometry
) -> list[Polygon | MultiPolygon | None]:
    """Each group's k-d cell clipped to ``domain`` (None when nothing of it is inside)."""
    cells = np.asarray([box(*g.bounds) for g in groups], dtype=object)
    return [polygonal(p) for p in shapely.intersection(cells, domain)]


def buildings_domain(
    lons: FloatArray, lats: FloatArray, margin_m: float = 30.0
) -> Polygon | MultiPolygon:
    """The area of a set of buildings when their parent has no polygon: their convex hull
    grown by ``margin_m`` metres."""
    pts = shapely.multipoints(np.column_stack([lons, lats]))
    lat0 = float(np.mean(lats))
    margin_deg = margin_m / 110_574.0
    hull = shapely.convex_hull(pts)
    # Grow in a locally isotropic way: stretch x so a degree of lon has a degree of lat's length.
    k = math.cos(math.radians(lat0))
    stretched = shapely.transform(hull, lambda c: c * (k, 1.0))
    grown = shapely.buffer(stretched, margin_deg, quad_segs=4)
    result = polygonal(shapely.transform(grown, lambda c: c / (k, 1.0)))
    assert result is not None
    return result


def compactness(geom: BaseGeometry, lat0: float) -> float:
    """Polsby-Popper score 4πA/P² in local metres (1 for a disc, ~0.785 for a square)."""
    k = math.cos(math.radians(lat0))
    g = shapely.transform(geom, lambda c: c * (k, 1.0))
    perimeter = float(g.length)
    return 0.0 if perimeter == 0 else 4 * math.pi * float(g.area) / perimeter**2


# --- H3 ----------------------------------------------------------------------------------------


def h3_cells(area: BaseGeometry, res: int) -> list[str]:
    """Every H3 cell at ``res`` that overlaps ``area`` (lon/lat), sorted."""
    import h3

    if not 0 <= res <= 15:
        raise ValueError("H3 resolution must be between 0 and 15")
    shape = h3.geo_to_h3shape(area.__geo_interface__)
    experimental = getattr(h3, "h3shape_to_cells_experimental", None)
    if experimental is not None:
        cells = set(experimental(shape, res, "overlap"))
    else:  # older h3 v4: centre cells plus their neighbours, kept when they touch the area
        centre = set(h3.h3shape_to_cells(shape, res))
        pt = area.representative_point()
        centre.add(h3.latlng_to_cell(pt.y, pt.x, res))
        cells = {n for c in centre for n in h3.grid_disk(c, 1)}
    return sorted(cells)


def estimate_h3_cells(area: BaseGeometry, res: int) -> int:
    """Rough number of cells at ``res`` over ``area`` (to refuse absurd resolutions early)."""
    import h3

    from civicgrid.kit.geo import area_m2

    return int(float(area_m2(area)) / h3.average_hexagon_area(res, "m^2")) + 1


def h3_cover(area: BaseGeometry, res: int) -> list[tuple[str, Polygon | MultiPolygon]]:
    """H3 cells covering ``area``, each clipped to it: polygons that tile the area exactly."""
    import h3

    out = []
    for cell in h3_cells(area, res):
        hexagon = Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(cell)])
        clipped = polygonal(shapely.intersection(hexagon, area))
        if clipped is not None and clipped.area > 0:
            out.append((cell, clipped))
    return out
