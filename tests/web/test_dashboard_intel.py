"""Hot issues and early warnings on the dashboard (/api/dashboard/intel), scoped like the rest."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, true
from sqlalchemy.orm import Session
from tests.conftest import login
from tests.fixtures.world import World, centre
from tests.web.test_dashboard import add_order

from civicgrid.kit.timeutil import utcnow
from civicgrid.web import dashboard_service as svc

HOT = "幸福小区3栋门口垃圾堆积无人清运"


@pytest.fixture(autouse=True)
def fresh_panel_cache() -> Iterator[None]:
    """The panel is kept ten minutes per node: another test's (rolled back) data must not show."""
    svc._intel_cache.clear()
    yield
    svc._intel_cache.clear()


def seed(db: Session, world: World) -> None:
    now = utcnow()
    lon, lat = centre(0)
    east, east2, west = (world.grids[g].id for g in ("D1-1", "D1-2", "X1-1"))
    for n in range(6):  # one place, one problem, six reports over a week
        add_order(
            db,
            east,
            100 + n,
            title=HOT if n % 2 else f"{HOT}，臭味很大",
            description="幸福小区3栋门口的垃圾已经堆了好几天没人清运，影响居民出行",
            lat=lat + n * 1e-5,
            lon=lon,
            reported_at=now - timedelta(days=n, hours=2),
            likes=n,
        )
    for day in range(8, 70):  # a quiet grid: one order a day for two months ...
        add_order(db, east2, 1000 + day, reported_at=now - timedelta(days=day, hours=3))
    for n in range(40):  # ... then forty in the last week
        add_order(db, east2, 2000 + n, reported_at=now - timedelta(days=1 + n % 6, hours=3))
    add_order(db, west, 1, title="西山的秘密工单", reported_at=now - timedelta(days=1))


def test_hot_issue_and_surge_for_the_street(client: TestClient, db: Session, world: World) -> None:
    seed(db, world)
    login(client, "dh-leader")
    data = client.get("/api/dashboard/intel").json()
    assert data["pending"] is False
    garbage = [h for h in data["hot_issues"] if "垃圾" in h["title"]]
    assert len(garbage) == 1 and garbage[0]["reports"] == 6
    assert garbage[0]["lat"] is not None and garbage[0]["heat"] > 0
    assert garbage[0]["likes"] == sum(range(6))
    surges = [w for w in data["warnings"] if w["group"] == "D1-2网格"]
    assert surges and surges[0]["direction"] == "surge"
    assert surges[0]["observed"] > surges[0]["upper"] or abs(surges[0]["z"]) >= 3
    assert "D1-2网格" in surges[0]["message"]
    assert "西山" not in str(data)
    english = client.get("/api/dashboard/intel", headers={"Accept-Language": "en"}).json()
    assert "surge" in english["warnings"][0]["message"].lower()


def test_intel_is_scoped(client: TestClient, db: Session, world: World) -> None:
    seed(db, world)
    login(client, "xs-leader")
    data = client.get("/api/dashboard/intel").json()
    assert data["hot_issues"] == [] and "东湖" not in str(data) and "D1-" not in str(data)
    east = client.get("/api/dashboard/intel", params={"node_id": world.streets["东湖街道"].id})
    assert east.status_code == 404
    dept = TestClient(client.app)
    login(dept, "dh-dept")
    assert dept.get("/api/dashboard/intel").status_code == 403
    bad = client.get("/api/dashboard/intel", params={"days": 1})
    assert bad.status_code == 422


def test_background_mode_answers_pending_then_the_result(engine: Engine, world: World) -> None:
    """Outside the suite the panel is computed in a thread: first "pending", then the data."""
    with Session(engine) as session:
        node = session.get(type(world.district), world.district.id)
        assert node is not None
        first = svc.intel_panel(session, node=node, visible=true(), days=30)
        assert first["pending"] is True
        deadline = time.monotonic() + 60
        while svc._intel_running and time.monotonic() < deadline:
            time.sleep(0.1)
        second = svc.intel_panel(session, node=node, visible=true(), days=30)
        assert second["pending"] is False and isinstance(second["warnings"], list)


def test_a_failing_background_run_says_so(
    engine: Engine, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure is shown for a minute instead of being retried on every poll of the page."""

    def broken(*args: object) -> dict[str, object]:
        raise RuntimeError("forecast blew up")

    monkeypatch.setattr(svc, "_compute_intel", broken)
    with Session(engine) as session:
        node = session.get(type(world.district), world.district.id)
        assert node is not None
        assert svc.intel_panel(session, node=node, visible=true())["pending"] is True
        deadline = time.monotonic() + 30
        while svc._intel_running and time.monotonic() < deadline:
            time.sleep(0.05)
        after = svc.intel_panel(session, node=node, visible=true())
        assert after["pending"] is False and after["note"] and after["hot_issues"] == []
        assert not svc._intel_running  # no new run started by the second call
