"""Grouping buildings into grids and covering areas with H3 cells, without a database."""

from __future__ import annotations

import math

import h3
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from civicgrid.org.partition import (
    buildings_domain,
    compactness,
    grid_count,
    group_polygons,
    h3_cells,
    h3_cover,
    partition_buildings,
)


def _town(seed: int, n: int = 800) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    lon = 112.9 + rng.random(n) * 0.03
    lat = 28.2 + rng.random(n) * 0.02
    households = rng.integers(8, 80, n)
    return lon, lat, households


def _hull(lon: np.ndarray, lat: np.ndarray, members: np.ndarray) -> shapely.Geometry:
    return shapely.convex_hull(shapely.multipoints(np.column_stack([lon[members], lat[members]])))


def test_grid_count() -> None:
    assert grid_count(0, 300) == 1
    assert grid_count(449, 300) == 1
    assert grid_count(451, 300) == 2
    assert grid_count(30_000, 300) == 100
    with pytest.raises(ValueError):
        grid_count(10, 0)


def test_sizes_compactness_and_tiling() -> None:
    lon, lat, hh = _town(1)
    domain = buildings_domain(lon, lat)
    groups = partition_buildings(lon, lat, hh, 300, bounds=domain.bounds)
    total = int(hh.sum())
    k = grid_count(total, 300)
    assert len(groups) == k
    # Every building exactly once.
    members = np.concatenate([g.members for g in groups])
    assert sorted(members.tolist()) == list(range(lon.size))
    # Each grid holds total/k households give or take one building.
    for g in groups:
        assert g.households == int(hh[g.members].sum())
        assert abs(g.households - total / k) <= hh.max()
    # Compact: the buildings of different grids never interleave (hulls do not overlap) and
    # the grids are far tighter than a random split of the same sizes.
    hulls = [_hull(lon, lat, g.members) for g in groups]
    tree = shapely.STRtree(hulls)
    left, right = tree.query(hulls, predicate="intersects")
    assert not (left < right).any()  # not even touching: each cut passes between buildings
    assert np.mean([compactness(h, 28.21) for h in hulls]) > 0.5

    def spread(parts: list[np.ndarray]) -> float:
        return float(
            np.mean(
                [np.hypot(lon[m] - lon[m].mean(), lat[m] - lat[m].mean()).mean() for m in parts]
            )
        )

    rng = np.random.default_rng(0)
    random_parts = np.array_split(rng.permutation(lon.size), k)
    assert spread([g.members for g in groups]) < spread(random_parts) / 5
    # The grid polygons tile the area: no overlap, no gap, each contains its own buildings.
    polygons = group_polygons(groups, domain)
    assert all(p is not None for p in polygons)
    assert sum(p.area for p in polygons) == pytest.approx(domain.area, rel=1e-9)
    assert shapely.union_all(polygons).symmetric_difference(domain).area < 1e-12
    for g, p in zip(groups, polygons, strict=True):
        assert shapely.covers(p, shapely.points(lon[g.members], lat[g.members])).all()


def test_deterministic_and_rural_target() -> None:
    lon, lat, hh = _town(2, 300)
    a = partition_buildings(lon, lat, hh, 200)
    b = partition_buildings(lon, lat, hh, 200)
    assert [g.members.tolist() for g in a] == [g.members.tolist() for g in b]
    assert len(a) == grid_count(int(hh.sum()), 200)


def test_degenerate_inputs() -> None:
    assert partition_buildings([], [], [], 300) == []
    one = partition_buildings([113.0], [28.0], [900], 300)
    assert len(one) == 1 and one[0].households == 900
    # All buildings at one spot cannot be cut: one grid.
    same = partition_buildings([113.0] * 5, [28.0] * 5, [300] * 5, 300)
    assert len(same) == 1 and same[0].members.size == 5
    # A column of buildings (same longitude) is cut along latitude instead.
    col = partition_buildings([113.0] * 4, [28.0, 28.001, 28.002, 28.003], [300] * 4, 300)
    assert [g.members.size for g in col] == [1, 1, 1, 1]
    # Missing counts weigh nothing.
    zero = partition_buildings([113.0, 113.1], [28.0, 28.0], [float("nan"), 0], 300)
    assert len(zero) == 1
    with pytest.raises(ValueError):
        partition_buildings([113.0], [28.0, 28.1], [1], 300)
    with pytest.raises(ValueError):
        partition_buildings([float("nan")], [28.0], [1], 300)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(min_value=1, max_value=300),
    target=st.sampled_from([50, 200, 300]),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_partition_properties(n: int, target: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    lon = 113 + rng.random(n) * 0.05
    lat = 28 + rng.random(n) * 0.05 * rng.random()
    hh = rng.integers(1, 60, n)
    groups = partition_buildings(lon, lat, hh, target)
    members = np.concatenate([g.members for g in groups])
    assert sorted(members.tolist()) == list(range(n))
    total = int(hh.sum())
    k = grid_count(total, target)
    assert len(groups) <= k
    if len(groups) == k:
        for g in groups:
            assert abs(g.households - total / k) <= hh.max()
    # Cells never overlap.
    cells = [box(*g.bounds) for g in groups]
    assert sum(c.area for c in cells) == pytest.approx(
        shapely.union_all(cells).area, rel=1e-9, abs=1e-15
    )


def test_h3_cover_tiles_the_area() -> None:
    area = box(112.9, 28.2, 112.95, 28.23)
    cover = h3_cover(area, 8)
    cells = [c for c, _ in cover]
    assert cells == sorted(cells) and len(set(cells)) == len(cells)
    assert all(h3.get_resolution(c) == 8 for c in cells)
    polys = [p for _, p in cover]
    assert sum(p.area for p in polys) == pytest.approx(area.area, rel=1e-9)
    # Every cell whose centre is inside is there, and the boundary cells too.
    assert set(h3.geo_to_cells(area.__geo_interface__, 8)) <= set(cells)
    assert len(cells) > len(h3.geo_to_cells(area.__geo_interface__, 8))
    avg = h3.average_hexagon_area(8, "km^2")
    assert len(cells) < 2 * (area.area * 111 * 111 * math.cos(math.radians(28.2))) / avg + 30
    with pytest.raises(ValueError):
        h3_cells(area, 16)
