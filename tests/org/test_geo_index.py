"""PolygonIndex against a brute-force answer, and the metric helpers of civicgrid.kit.geo."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from civicgrid.kit.geo import PolygonIndex, area_m2, from_metres, repair, to_metres, to_shape


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0, 9), st.floats(0, 9), st.floats(0.1, 3), st.floats(0.1, 3)),
        min_size=1,
        max_size=15,
    ),
    st.integers(0, 2**32 - 1),
)
def test_assign_matches_brute_force(
    rects: list[tuple[float, float, float, float]], seed: int
) -> None:
    polys = [box(x, y, x + w, y + h) for x, y, w, h in rects]
    keys = [100 + i for i in range(len(polys))]
    rng = np.random.default_rng(seed)
    lon = rng.uniform(-1, 13, 300)
    lat = rng.uniform(-1, 13, 300)
    lon[::7] = np.round(lon[::7])  # some points on borders and corners
    lat[::7] = np.round(lat[::7])
    lat[5] = np.nan
    got = PolygonIndex(keys, polys).assign(lon, lat)
    for i in range(lon.size):
        hits = [
            k for k, p in zip(keys, polys, strict=True) if shapely.intersects_xy(p, lon[i], lat[i])
        ]
        assert got[i] == (hits[0] if hits else -1)


def test_index_input_checks() -> None:
    with pytest.raises(ValueError):
        PolygonIndex([1, 2], [box(0, 0, 1, 1)])
    with pytest.raises(ValueError):
        PolygonIndex([1], [box(0, 0, 1, 1)]).assign([0.5, 0.5], [0.5])
    assert PolygonIndex([7], [box(0, 0, 1, 1)]).assign_one(0.5, 0.5) == 7


def test_metric_helpers() -> None:
    # One hundredth of a degree square at 28° N: ~1,113 m × 1,106 m × cos(28°).
    sq = box(113.0, 28.0, 113.01, 28.01)
    assert area_m2(sq) == pytest.approx(1113.2 * 1105.74 * np.cos(np.radians(28.005)), rel=1e-4)
    assert area_m2([sq, box(0, 0, 0, 0)]).tolist()[1] == 0.0
    local = to_metres(sq, 113.0, 28.0)
    assert local.bounds[0] == pytest.approx(0) and local.bounds[3] == pytest.approx(1105.74)
    assert from_metres(local, 113.0, 28.0).equals_exact(sq, 1e-9)
    fixed, reason = repair(
        to_shape({"type": "Polygon", "coordinates": [[[0, 0], [2, 2], [2, 0], [0, 2], [0, 0]]]})
    )
    assert reason is not None and reason.startswith("Self-intersection")
    assert fixed is not None and fixed.area == pytest.approx(2.0)
    assert repair(sq) == (sq, None)
