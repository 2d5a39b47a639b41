"""物联感知 / 数据碰撞: a gateway's alarm opens one order, however often it is re-sent."""

from __future__ import annotations

from fastapi.testclient import TestClient
from tests.conftest import login
from tests.fixtures.world import World, centre


def alarm(world: World, grid: str = "D1-1", **kw: object) -> dict[str, object]:
    lon, lat = centre(world.grid_cols[grid])
    return {
        "source": "sensor",
        "external_id": "WL-0231:2026-11-23T08:15",
        "device": "WL-0231",
        "title": "道路积水超警戒水位",
        "lat": lat,
        "lon": lon,
        "readings": {"水深cm": 32, "警戒cm": 20},
        **kw,
    }


def test_an_alarm_opens_one_proactive_order(client: TestClient, world: World) -> None:
    login(client, "dh-sensor")
    first = client.post("/api/workorders/leads", json=alarm(world))
    assert first.status_code == 201, first.text
    order = first.json()
    assert order["channel"] == "sensor" and order["status"] == "reported"
    assert "WL-0231" in order["description"] and "水深cm 32" in order["description"]
    again = client.post("/api/workorders/leads", json=alarm(world))
    assert again.status_code == 200 and again.json()["id"] == order["id"]
    collision = client.post(
        "/api/workorders/leads",
        json=alarm(world, source="collision", rule="出租房屋无登记租户", device=None),
    )
    assert collision.status_code == 201 and collision.json()["id"] != order["id"]
    assert collision.json()["channel"] == "collision"
    # The gateway follows up its own orders; a dispatcher of the street sees them as usual.
    assert client.get(f"/api/workorders/{order['id']}").status_code == 200
    dispatcher = TestClient(client.app)
    login(dispatcher, "dh-dispatcher")
    seen = dispatcher.get(f"/api/workorders/{order['id']}").json()
    assert seen["channel"] == "sensor"


def test_leads_are_checked(client: TestClient, world: World) -> None:
    login(client, "dh-sensor")
    outside = client.post("/api/workorders/leads", json=alarm(world, grid="X1-1"))
    assert outside.status_code == 403  # not this gateway's territory
    nowhere = client.post("/api/workorders/leads", json=alarm(world, lat=10.0, lon=10.0))
    assert nowhere.status_code == 422
    bad_source = client.post("/api/workorders/leads", json=alarm(world, source="rumour"))
    assert bad_source.status_code == 422
    bad_id = client.post("/api/workorders/leads", json=alarm(world, external_id="a b"))
    assert bad_id.status_code == 422
    staff = TestClient(client.app)
    login(staff, "dh-dispatcher")
    assert staff.post("/api/workorders/leads", json=alarm(world)).status_code == 403
