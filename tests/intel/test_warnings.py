"""Early warning (pure and over work orders) and the hot-issue service over work orders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from civicgrid.intel.analytics import early_warnings, hot_issues
from civicgrid.intel.hotspots import HotspotParams
from civicgrid.intel.warnings import WarningParams, check_all, check_series
from civicgrid.models.workorder import WorkOrder
from tests.fixtures.world import World, centre


def steady(days: int = 200, level: float = 20.0, seed: int = 0) -> pd.Series:
    rng = np.random.default_rng(seed)
    index = pd.date_range("2024-01-01", periods=days, freq="D")
    return pd.Series(rng.poisson(level, days).astype(float), index=index)


def test_no_warning_on_an_ordinary_week() -> None:
    for seed in range(5):
        assert (
            check_series(steady(seed=seed), group="g", params=WarningParams(country=None)) is None
        )


def test_surge_and_drop_are_flagged_with_figures() -> None:
    y = steady()
    y.iloc[-7:] = 45.0  # more than double
    dep = check_series(y, group="路灯", params=WarningParams(country=None))
    assert dep is not None
    assert dep.direction == "surge"
    assert dep.observed == 7 * 45
    assert 120 <= dep.expected <= 160
    assert dep.observed > dep.upper
    assert dep.severity == "high"
    assert "路灯" in dep.message() and "激增" in dep.message()

    y = steady()
    y.iloc[-7:] = 3.0
    dep = check_series(y, group="g", params=WarningParams(country=None))
    assert dep is not None and dep.direction == "drop" and dep.observed < dep.lower


def test_check_all_orders_by_strength() -> None:
    a, b, c = steady(seed=1), steady(seed=2), steady(seed=3)
    a.iloc[-7:] = 40.0
    b.iloc[-7:] = 60.0
    found = check_all({"a": a, "b": b, "c": c}, WarningParams(country=None))
    assert [d.group for d in found] == ["b", "a"]


def test_short_series_gives_no_warning() -> None:
    assert check_series(steady(days=20), group="g") is None


AS_OF = datetime(2025, 3, 1, 4, tzinfo=UTC)  # 12:00 in Shanghai
_codes = count()


def test_early_warnings_over_work_orders(db: Session, world: World) -> None:
    rng = np.random.default_rng(5)
    rows = []
    grids = ("D1-1", "X1-1")
    for back in range(1, 120):
        day = AS_OF - timedelta(days=back)
        for grid in grids:
            n = rng.poisson(3)
            if grid == "D1-1" and back <= 7:
                n = 12  # a surge in the last week
            rows += [
                WorkOrder(
                    code=f"W{next(_codes):06d}",
                    title="占道经营",
                    category="市容环境",
                    status="dispatched",
                    node_id=world.grids[grid].id,
                    reported_at=day,
                )
                for _ in range(n)
            ]
    db.add_all(rows)
    db.flush()
    params = WarningParams(country=None)
    found = early_warnings(db, as_of=AS_OF, by="grid", history_days=100, params=params)
    assert [d.group for d in found] == [world.grids["D1-1"].name]
    assert found[0].observed == 7 * 12
    assert found[0].end.isoformat() == "2025-02-28"
    by_cat = early_warnings(db, as_of=AS_OF, by="category", history_days=100, params=params)
    assert [d.group for d in by_cat] == ["市容环境"]
    scoped = early_warnings(
        db, as_of=AS_OF, history_days=100, root_id=world.streets["西山街道"].id, params=params
    )
    assert scoped == []


def test_hot_issue_service_over_work_orders(db: Session, world: World) -> None:
    lon, lat = centre(world.grid_cols["D2-1"])
    rows = []
    for k in range(6):
        rows.append(
            WorkOrder(
                code=f"H{next(_codes):06d}",
                title="小区门口垃圾堆积无人清运" if k % 2 else "门口垃圾堆了好几天没人清运",
                description="垃圾堆放发臭，请尽快清运",
                status="dispatched",
                node_id=world.grids["D2-1"].id,
                lat=lat + 0.0002 * k,
                lon=lon,
                likes=k,
                reported_at=AS_OF - timedelta(days=k),
            )
        )
    # the same words 8 km away: not the same issue
    far_lon, far_lat = centre(world.grid_cols["X2-1"])
    rows += [
        WorkOrder(
            code=f"H{next(_codes):06d}",
            title="小区门口垃圾堆积无人清运",
            description="垃圾堆放发臭",
            status="dispatched",
            node_id=world.grids["X2-1"].id,
            lat=far_lat + 0.08,
            lon=far_lon,
            reported_at=AS_OF - timedelta(days=1),
        )
    ]
    db.add_all(rows)
    db.flush()
    issues = hot_issues(db, since=AS_OF - timedelta(days=30), until=AS_OF + timedelta(hours=1))
    assert len(issues) == 1
    issue = issues[0]
    assert issue.reports == 6
    assert issue.likes == sum(range(6))
    assert issue.place == world.grids["D2-1"].name  # no place in the text: the grid's name
    assert issue.lat is not None and abs(issue.lat - lat) < 0.01
    none = hot_issues(
        db,
        since=AS_OF - timedelta(days=30),
        until=AS_OF + timedelta(hours=1),
        root_id=world.streets["西山街道"].id,
        params=HotspotParams(min_reports=2),
    )
    assert none == []
