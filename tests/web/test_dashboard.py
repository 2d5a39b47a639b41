"""Command dashboard: key figures, drill-down, scoping by auth.policy, the page shell."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.conftest import login
from tests.fixtures.world import World

from civicgrid.kit.timeutil import utcnow
from civicgrid.models.workorder import WorkOrder

SCRIPT_TAG = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)


def add_order(db: Session, node_id: int, n: int, **fields: object) -> WorkOrder:
    now = utcnow()
    values: dict[str, object] = {
        "code": f"T{node_id}-{n}",
        "title": f"测试工单{node_id}-{n}",
        "status": "dispatched",
        "node_id": node_id,
        "reported_at": now - timedelta(minutes=5),
        "category": "市容环境",
    }
    values.update(fields)
    order = WorkOrder(**values)
    db.add(order)
    db.flush()
    return order


def seed_orders(db: Session, world: World) -> None:
    now = utcnow()
    east, west = world.grids["D1-1"].id, world.grids["X1-1"].id
    add_order(db, east, 1)
    add_order(db, east, 2, due_at=now - timedelta(hours=1))  # overdue
    add_order(
        db,
        east,
        3,
        status="closed",
        closed_at=now - timedelta(hours=2),
        due_at=now,
        satisfaction="满意",
    )
    add_order(
        db,
        east,
        4,
        status="closed",
        closed_at=now - timedelta(hours=2),
        due_at=now - timedelta(hours=3),
        satisfaction="不满意",
    )
    add_order(db, east, 5, status="rejected")  # not an event: never counted
    add_order(
        db,
        west,
        1,
        title="西山的秘密工单",
        reported_at=now - timedelta(days=3),
        due_at=now - timedelta(days=1),
    )


def test_summary_figures_for_the_district(client: TestClient, db: Session, world: World) -> None:
    seed_orders(db, world)
    login(client, "admin")
    data = client.get("/api/dashboard/summary").json()
    assert data["node"]["id"] == world.district.id
    figures = data["figures"]
    assert figures["today"] == 4  # east 1–4 today, the rejected one and the 3-day-old excluded
    assert figures["open"] == 3
    assert figures["overdue"] == 2
    assert figures["on_time_rate"] == 50.0
    assert figures["satisfaction_rate"] == 50.0
    assert sum(d["count"] for d in data["trend"]) == 5
    assert data["categories"] == [{"category": "市容环境", "count": 5}]
    assert {c["name"] for c in data["children"]} == set(world.streets)
    grids = {g["name"]: g for g in data["grids"]}
    assert grids["D1-1网格"]["open"] == 2 and grids["D1-1网格"]["overdue"] == 1
    assert grids["D1-1网格"]["branch"] == world.streets["东湖街道"].id
    assert data["latest"][0]["title"].startswith("测试工单")


def test_drill_down_to_a_street_and_a_grid(client: TestClient, db: Session, world: World) -> None:
    seed_orders(db, world)
    login(client, "admin")
    street = world.streets["西山街道"]
    data = client.get("/api/dashboard/summary", params={"node_id": street.id}).json()
    assert [b["name"] for b in data["breadcrumb"]] == [world.district.name, "西山街道"]
    assert data["figures"]["open"] == 1
    assert all(g["branch"] in {c["id"] for c in data["children"]} for g in data["grids"])
    grid = world.grids["X1-1"]
    data = client.get("/api/dashboard/summary", params={"node_id": grid.id}).json()
    assert [g["id"] for g in data["grids"]] == [grid.id]
    assert data["figures"]["overdue"] == 1


def test_street_leader_sees_only_their_street(
    client: TestClient, db: Session, world: World
) -> None:
    seed_orders(db, world)
    login(client, "xs-leader")
    data = client.get("/api/dashboard/summary").json()
    assert data["node"]["name"] == "西山街道"
    text = str(data)
    assert "东湖" not in text and "D1-1" not in text
    assert data["figures"]["open"] == 1
    east = client.get("/api/dashboard/summary", params={"node_id": world.streets["东湖街道"].id})
    assert east.status_code == 404
    east_grid = client.get("/api/dashboard/summary", params={"node_id": world.grids["D1-1"].id})
    assert east_grid.status_code == 404


def test_risk_measure_colours_every_grid(client: TestClient, db: Session, world: World) -> None:
    seed_orders(db, world)
    login(client, "dh-leader")
    data = client.get("/api/dashboard/summary", params={"measure": "risk"}).json()
    colours = {g["risk"]["colour"] for g in data["grids"]}
    assert colours <= {"red", "orange", "yellow", "blue", "green"} and colours
    bad = client.get("/api/dashboard/summary", params={"measure": "nonsense"})
    assert bad.status_code == 422


def test_dashboard_page_and_redirects(client: TestClient, world: World) -> None:
    login(client, "dh-dispatcher")
    page = client.get("/")
    assert page.status_code == 200
    assert 'id="dashboard"' in page.text and "/static/js/dashboard.js" in page.text
    assert f'data-node-id="{world.streets["东湖街道"].id}"' in page.text
    assert not SCRIPT_TAG.search(page.text)
    resident = TestClient(client.app)
    login(resident, "resident")
    moved = resident.get("/", follow_redirects=False)
    assert moved.status_code == 303 and moved.headers["location"] == "/m/report"
    dept = TestClient(client.app)
    login(dept, "dh-dept")
    assert dept.get("/", follow_redirects=False).headers["location"] == "/workbench"
    assert dept.get("/api/dashboard/summary").status_code == 403


def test_evaluation_page_for_leaders_and_evaluators_only(client: TestClient, world: World) -> None:
    login(client, "dh-evaluator")
    page = client.get("/evaluation")
    assert page.status_code == 200
    assert 'id="evaluation"' in page.text and "/static/js/evaluation.js" in page.text
    assert re.search(r'<option value="\w+" data-levels="[a-z_,]+">', page.text)
    assert not SCRIPT_TAG.search(page.text)
    other = TestClient(client.app)
    login(other, "dh-dispatcher")
    assert other.get("/evaluation").status_code == 403
