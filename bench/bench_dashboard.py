"""Command dashboard summary on the demo city (~150 grids, ~100k work orders).

    .venv/bin/python bench/bench_dashboard.py --db data/demo.db [--repeat 5]

Build the city first (``civicgrid demo --no-serve``). Timed, best of ``--repeat``:
  (a) ``civicgrid.web.dashboard_service.summary`` at the district (the whole city), at one street
      and at one grid, measure "open" (what every 45 s refresh costs), and once with
      measure "risk" (five-colour grading from ``intel.analytics``: first call, then the
      refreshes within 10 minutes, which reuse the grading);
  (c) once each at the street and the district: the hot-issue / early-warning panel
      (``intel_panel``, ``GET /api/dashboard/intel``), computed inline as its background thread
      does (it is cached ten minutes afterwards);
  (b) the baseline: reading every work order of the city (node, status, times, category,
      satisfaction) into Python — what a page that aggregated in Python would pay before counting.
Printed: the times and the ratio (a)/(b) for the district.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from sqlalchemy import select, true
from sqlalchemy.orm import Session

from civicgrid.kit.db import make_engine
from civicgrid.models.org import OrgLevel, OrgNode
from civicgrid.models.workorder import WorkOrder
from civicgrid.web.dashboard_service import _intel_cache, intel_panel, summary


def best(repeat: int, fn: Callable[[], Any]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="data/demo.db")
    parser.add_argument("--url", default=None, help="SQLAlchemy URL (overrides --db)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    engine = make_engine(args.url or f"sqlite:///{args.db}")
    with Session(engine) as db:
        orders = db.scalar(select(WorkOrder.id).order_by(WorkOrder.id.desc()).limit(1)) or 0
        top = db.scalars(select(OrgNode).where(OrgNode.parent_id.is_(None))).first()
        street = db.scalars(select(OrgNode).where(OrgNode.level == OrgLevel.STREET)).first()
        grid = db.scalars(select(OrgNode).where(OrgNode.level == OrgLevel.GRID)).first()
        grids = len(db.scalars(select(OrgNode.id).where(OrgNode.level == OrgLevel.GRID)).all())
        if top is None or street is None or grid is None:
            raise SystemExit("no demo city in this database: run civicgrid demo --no-serve")
        print(f"demo city: {grids} grids, ~{orders} work orders; best of {args.repeat}")
        results = {}
        for label, node in (("district", top), ("street", street), ("grid", grid)):
            results[label] = best(args.repeat, partial(summary, db, node=node))
            print(f"(a) summary at {label:<8} {results[label] * 1000:8.1f} ms")
        cold = best(1, lambda: summary(db, node=top, measure="risk"))
        warm = best(args.repeat, lambda: summary(db, node=top, measure="risk"))
        print(
            f"(a) summary at district, risk measure: first {cold * 1000:8.1f} ms, "
            f"then (cached grading) {warm * 1000:8.1f} ms"
        )
        columns = (
            WorkOrder.node_id, WorkOrder.status, WorkOrder.reported_at, WorkOrder.due_at,
            WorkOrder.closed_at, WorkOrder.category, WorkOrder.satisfaction,
        )  # fmt: skip
        baseline = best(args.repeat, lambda: db.execute(select(*columns)).all())
        print(f"(b) baseline: read every order into Python {baseline * 1000:8.1f} ms")
        print(f"ratio (a)/(b) at the district: {results['district'] / baseline:.2f}")
        for label, node in (("street", street), ("district", top)):
            _intel_cache.clear()
            panel = best(1, lambda node=node: intel_panel(db, node=node, visible=true(), wait=True))
            print(f"(c) hot issues + warnings at {label:<8} {panel:8.1f} s (computed once)")


if __name__ == "__main__":
    main()
