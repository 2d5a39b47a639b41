"""One test per library metric on the hand-made March 2025 data set (see data.py)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from civicgrid.evaluate.dataset import Dataset, Level
from civicgrid.evaluate.metrics import METRICS, compute_metric
from civicgrid.evaluate.periods import Period
from tests.evaluate.data import build_march
from tests.fixtures.world import World

MARCH = Period.parse("2025-03")


@pytest.fixture
def march(db: Session, world: World) -> World:
    build_march(db, world)
    return world


def run(db: Session, key: str, level: Level = Level.GRID, **params: Any) -> dict[str, Any]:
    ds = Dataset(db, level=level, period=MARCH)
    return compute_metric(ds, key, params)


def code(world: World, grid: str) -> str:
    return world.grids[grid].code


def test_every_metric_is_tested() -> None:
    tested = {name.removeprefix("test_") for name in globals() if name.startswith("test_")}
    assert set(METRICS) <= tested, sorted(set(METRICS) - tested)


def test_on_time_closure_rate(db: Session, march: World) -> None:
    values = run(db, "on_time_closure_rate")
    d11 = values[code(march, "D1-1")]
    # due: o1 o2 o3 o4 o6 (o7 has no due date); on time: o1 o4 o6; o3 is open past its due time.
    assert d11.counts == {"on_time": 3, "due": 5, "overdue_open": 1}
    assert d11.value == pytest.approx(0.6)
    assert values[code(march, "D1-2")].value == 1.0  # p1 only
    assert values[code(march, "D2-1")].value is None
    assert "按时办结 3 件 / 应办结 5 件" in d11.text


def test_disposal_rate(db: Session, march: World) -> None:
    values = run(db, "disposal_rate")
    assert values[code(march, "D1-1")].counts == {"closed": 4, "orders": 6}
    # p0 was reported at 00:30 local time on March 1st: inside the period.
    assert values[code(march, "D1-2")].counts == {"closed": 2, "orders": 3}
    community = run(db, "disposal_rate", Level.COMMUNITY)
    assert community[march.communities["东湖一社区"].code].value == pytest.approx(6 / 9)
    assert community[march.communities["西山一社区"].code].value is None
    street = run(db, "disposal_rate", Level.STREET)
    assert street[march.streets["东湖街道"].code].counts == {"closed": 6, "orders": 9}
    departments = run(db, "disposal_rate", Level.DEPARTMENT)
    assert departments["城管局"].counts == {"closed": 4, "orders": 4}
    assert departments["住建局"].counts == {"closed": 1, "orders": 2}
    workers = run(db, "disposal_rate", Level.WORKER)
    assert workers[f"{code(march, 'D1-1')}/张三"].counts == {"closed": 4, "orders": 6}
    hotline = run(db, "disposal_rate", channels=["hotline"])
    assert hotline[code(march, "D1-2")].counts == {"closed": 1, "orders": 2}


def test_avg_handling_hours(db: Session, march: World) -> None:
    d11 = run(db, "avg_handling_hours")[code(march, "D1-1")]
    assert d11.counts == {"total_hours": 2 + 24 + 6 + 10, "closed": 4}
    assert d11.value == pytest.approx(10.5)


def test_median_handling_hours(db: Session, march: World) -> None:
    values = run(db, "median_handling_hours")
    assert values[code(march, "D1-1")].value == pytest.approx(8.0)  # 2, 6 | 10, 24
    assert values[code(march, "D1-2")].value == pytest.approx(12.5)  # 1, 24
    assert values[code(march, "D2-1")].value is None


def test_satisfaction_rate(db: Session, march: World) -> None:
    d11 = run(db, "satisfaction_rate")[code(march, "D1-1")]
    assert d11.counts == {"satisfied": 2, "basic": 1, "dissatisfied": 1}
    assert d11.value == pytest.approx(0.75)
    strict = run(db, "satisfaction_rate", basic_weight=0.0)[code(march, "D1-1")]
    assert strict.value == pytest.approx(0.5)


def test_repeat_complaint_rate(db: Session, march: World) -> None:
    values = run(db, "repeat_complaint_rate")
    # o6 follows o2 (same reporter, same category, 20 days); o4 follows o0 (same place and
    # category, 28 days, o0 predating the period); p2 carries the repeat flag.
    assert values[code(march, "D1-1")].counts == {"repeat": 2, "orders": 6}
    assert values[code(march, "D1-2")].counts == {"repeat": 1, "orders": 3}
    narrow = run(db, "repeat_complaint_rate", window_days=21)
    assert narrow[code(march, "D1-1")].counts["repeat"] == 1  # only o6 (20 days)


def test_resolved_in_grid_rate(db: Session, march: World) -> None:
    d11 = run(db, "resolved_in_grid_rate")[code(march, "D1-1")]
    assert d11.counts == {"in_grid": 3, "closed": 4}


def test_returns_per_order(db: Session, march: World) -> None:
    d11 = run(db, "returns_per_order")[code(march, "D1-1")]
    assert d11.counts == {"returns": 3, "reassigns": 1, "orders": 6}
    assert d11.value == pytest.approx(0.5)
    moved = run(db, "returns_per_order", include_reassign=True)[code(march, "D1-1")]
    assert moved.value == pytest.approx(4 / 6)


def test_reopen_rate(db: Session, march: World) -> None:
    d11 = run(db, "reopen_rate")[code(march, "D1-1")]
    assert d11.counts == {"reopened": 1, "orders": 6}


def test_proactive_discovery_rate(db: Session, march: World) -> None:
    values = run(db, "proactive_discovery_rate")
    assert values[code(march, "D1-1")].counts == {"proactive": 3, "orders": 6}  # o1 o4 o7
    assert values[code(march, "D1-2")].counts == {"proactive": 1, "orders": 3}


def test_patrol_coverage(db: Session, march: World) -> None:
    # March has 31 days → 5 weeks counted from March 1st. D1-1 patrols in weeks 1 (o1) and 2
    # (o7); D1-2 in week 5 (p2).
    values = run(db, "patrol_coverage")
    assert values[code(march, "D1-1")].counts == {
        "covered": 2,
        "grid_weeks": 5,
        "patrol_orders": 2,
    }
    assert values[code(march, "D1-2")].value == pytest.approx(0.2)
    assert values[code(march, "D2-1")].value == 0.0
    community = run(db, "patrol_coverage", Level.COMMUNITY)
    assert community[march.communities["东湖一社区"].code].counts["grid_weeks"] == 10
    assert community[march.communities["东湖一社区"].code].value == pytest.approx(0.3)
    street = run(db, "patrol_coverage", Level.STREET)
    assert street[march.streets["东湖街道"].code].value == pytest.approx(3 / 15)


def test_resident_reporting_rate(db: Session, march: World) -> None:
    d11 = run(db, "resident_reporting_rate")[code(march, "D1-1")]
    # o2 o3 o5 o6 from residents (o5 rejected still counts as participation); P1 and P2 are
    # the registered residents at the period end (P3 registered later).
    assert d11.counts == {"reports": 4, "residents": 2}
    assert d11.value == pytest.approx(2000.0)
    assert run(db, "resident_reporting_rate")[code(march, "D2-1")].value is None


def test_registry_completeness(db: Session, march: World) -> None:
    d11 = run(db, "registry_completeness")[code(march, "D1-1")]
    # P1 5/5, P2 1/5 (gender), place 3/3 → 9 / 13.
    assert d11.counts == {"filled": 9, "required": 13, "records": 3}
    people = run(db, "registry_completeness", registries=["person"])[code(march, "D1-1")]
    assert people.value == pytest.approx(6 / 10)


def test_registry_freshness(db: Session, march: World) -> None:
    d11 = run(db, "registry_freshness")[code(march, "D1-1")]
    # P1 verified March 15 (fresh); P2 last touched June 2024 (stale at a 180-day window);
    # the place was updated after the period, so its state at the end is unknown.
    assert d11.counts == {"fresh": 1, "stale": 1, "unknown": 1}
    assert d11.value == pytest.approx(0.5)
    long = run(db, "registry_freshness", window_days=400)[code(march, "D1-1")]
    assert long.counts == {"fresh": 2, "stale": 0, "unknown": 1}
