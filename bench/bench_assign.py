"""Point → grid assignment: 1,000,000 points onto 10,000 grid polygons.

    .venv/bin/python bench/bench_assign.py [--points 1000000] [--grids 10000] [--url URL]

The grid layer is realistic rather than square: a Voronoi tessellation of jittered lattice points
over ~35 km × 30 km around Changsha, clipped to the extent, with edges densified to ~20 m so
each grid has a few dozen vertices like a digitised boundary. 2 % of the points fall outside the
layer. The grids are stored as ``org_node`` rows of a migrated database (SQLite file by default).

Timed in the same run, best of ``--repeat``:
  (a) ``civicgrid.org.locate.assign_points(session, lons, lats)`` — our path: the grid-layer
      fingerprint query, the cached STRtree index, one vectorised query, the first grid per point;
  (b) the baseline: shapely's own ``STRtree.query(points, predicate="intersects")`` on the same
      polygons (tree built beforehand, point construction included, as in (a)).
Also printed: the cold call (index built from the database) and the ratio (a)/(b); goal ≤ 3.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

import numpy as np
import shapely
from sqlalchemy import insert
from sqlalchemy.orm import Session

from civicgrid.kit import migrate
from civicgrid.kit.db import make_engine
from civicgrid.kit.geo import to_geojson
from civicgrid.kit.timeutil import utcnow
from civicgrid.models.org import OrgLevel, OrgNode
from civicgrid.org import locate

LON0, LAT0 = 112.80, 28.05


def grid_layer(n: int, seed: int = 11) -> list[shapely.Geometry]:
    """``n`` irregular, gap-free grid polygons (Voronoi cells of a jittered lattice)."""
    rng = np.random.default_rng(seed)
    side = math.ceil(math.sqrt(n))
    step = 0.0035  # ~340 m × 390 m per cell
    ii, jj = np.meshgrid(np.arange(side), np.arange(side))
    x = LON0 + (ii.ravel() + 0.5 + rng.uniform(-0.35, 0.35, side * side)) * step
    y = LAT0 + (jj.ravel() + 0.5 + rng.uniform(-0.35, 0.35, side * side)) * step
    extent = shapely.box(LON0, LAT0, LON0 + side * step, LAT0 + side * step)
    cells = shapely.voronoi_polygons(shapely.multipoints(np.column_stack([x, y])), extend_to=extent)
    polys = [shapely.intersection(c, extent) for c in cells.geoms]
    polys = sorted(polys, key=lambda p: (p.centroid.y, p.centroid.x))[:n]
    return list(shapely.segmentize(np.asarray(polys, dtype=object), 0.0002))


def store(session: Session, polygons: list[shapely.Geometry]) -> None:
    now = utcnow()
    session.execute(
        insert(OrgNode),
        [
            {
                "id": 1,
                "parent_id": None,
                "level": OrgLevel.DISTRICT,
                "name": "基准区",
                "code": "bench",
                "path": "/1/",
                "depth": 0,
                "tags": [],
                "created_at": now,
                "updated_at": now,
            }
        ],
    )
    rows = []
    for i, poly in enumerate(polygons, start=2):
        pt = poly.representative_point()
        rows.append(
            {
                "id": i,
                "parent_id": 1,
                "level": OrgLevel.GRID,
                "name": f"网格{i - 1}",
                "code": f"bench-{i - 1}",
                "path": f"/1/{i}/",
                "depth": 1,
                "geometry": to_geojson(poly),
                "lon": pt.x,
                "lat": pt.y,
                "tags": [],
                "created_at": now,
                "updated_at": now,
            }
        )
    session.execute(insert(OrgNode), rows)
    session.commit()


def points(
    n: int, polygons: list[shapely.Geometry], seed: int = 5
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = shapely.total_bounds(np.asarray(polygons, dtype=object))
    pad = 0.01 * (x1 - x0)  # ~2 % of the points land outside the layer
    lon = rng.uniform(x0 - pad, x1 + pad, n)
    lat = rng.uniform(y0 - pad, y1 + pad, n)
    return lon, lat


def best(fn, repeat: int) -> tuple[float, float, object]:  # type: ignore[no-untyped-def]
    """Best wall-clock and best CPU time (this process) over ``repeat`` runs, and the result."""
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return min(walls), min(cpus), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--grids", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--url", default=None, help="database URL (default: a temp SQLite file)")
    args = parser.parse_args()

    t = time.perf_counter()
    polygons = grid_layer(args.grids)
    vertices = int(shapely.get_num_coordinates(np.asarray(polygons, dtype=object)).sum())
    lon, lat = points(args.points, polygons)
    print(
        f"layer: {len(polygons):,} grids, {vertices / len(polygons):.0f} vertices each on average; "
        f"{args.points:,} points ({time.perf_counter() - t:.1f} s to generate)"
    )

    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
        migrate.upgrade(engine)
        with Session(engine) as session:
            store(session, polygons)

        baseline_tree = shapely.STRtree(np.asarray(polygons, dtype=object))

        def baseline() -> tuple[np.ndarray, np.ndarray]:
            return baseline_tree.query(shapely.points(lon, lat), predicate="intersects")

        with Session(engine) as session:
            locate.invalidate_grid_index()
            cold, cold_cpu, ours_first = best(lambda: locate.assign_points(session, lon, lat), 1)
            t_ours, c_ours, ours = best(
                lambda: locate.assign_points(session, lon, lat), args.repeat
            )
            t_base, c_base, (pt_idx, poly_idx) = best(baseline, args.repeat)  # type: ignore[misc]
            t_fp, _c, _ = best(lambda: locate.grid_fingerprint(session), args.repeat)
        engine.dispose()

    # Same answers: every point the baseline finds is assigned, to one of its polygons.
    assert isinstance(ours, np.ndarray)
    assert np.array_equal(ours, ours_first)
    inside = np.zeros(args.points, dtype=bool)
    inside[pt_idx] = True
    assert np.array_equal(ours >= 0, inside), "assigned points differ from the baseline's"
    first = np.full(args.points, np.iinfo(np.int64).max)
    np.minimum.at(first, pt_idx, poly_idx + 2)  # node ids are positions + 2
    assert np.array_equal(ours[inside], first[inside]), "grid ids differ from the baseline's"

    n = args.points
    print(f"points inside a grid: {inside.mean():.1%}")
    print(f"{'':40} {'wall s':>8} {'CPU s':>8} {'M points/s (CPU)':>17}")
    rows = [
        ("cold assign_points (index from the DB)", cold, cold_cpu),
        ("assign_points (ours, cached index)", t_ours, c_ours),
        ("STRtree.query intersects (baseline)", t_base, c_base),
    ]
    for label, wall, cpu in rows:
        print(f"{label:40} {wall:8.3f} {cpu:8.3f} {n / cpu / 1e6:17.2f}")
    print(f"grid-layer fingerprint query: {t_fp * 1000:.2f} ms")
    print(
        f"ratio ours / baseline: wall {t_ours / t_base:.2f}x, CPU {c_ours / c_base:.2f}x "
        "(goal <= 3x)"
    )


if __name__ == "__main__":
    main()
