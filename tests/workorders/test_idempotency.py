"""Idempotency keys belong to whoever used them first, residents and staff alike."""

from __future__ import annotations

from fastapi.testclient import TestClient
from tests.conftest import login
from tests.fixtures.world import World, centre


def test_a_hotline_operator_resending_gets_the_same_order(client: TestClient, world: World) -> None:
    lon, lat = centre(world.grid_cols["D1-1"])
    body = {"title": "来电反映路灯不亮", "lat": lat, "lon": lon}
    login(client, "dh-hotline")
    first = client.post("/api/workorders", json=body, headers={"Idempotency-Key": "call-77"})
    again = client.post("/api/workorders", json=body, headers={"Idempotency-Key": "call-77"})
    assert first.status_code == 201 and again.status_code == 201, again.text
    assert again.json()["id"] == first.json()["id"]
    other = TestClient(client.app)
    login(other, "dh-dispatcher")
    stolen = other.post("/api/workorders", json=body, headers={"Idempotency-Key": "call-77"})
    assert stolen.status_code == 409
