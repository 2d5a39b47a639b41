"""合并？ — a dispatcher is offered the probable duplicates of an open order and merges one."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from tests.conftest import login
from tests.fixtures.world import World, centre

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def body(world: World, title: str, grid: str = "D1-1") -> dict[str, object]:
    lon, lat = centre(world.grid_cols[grid])
    return {"title": title, "description": "已经三天了，味道很大", "lat": lat, "lon": lon}


def test_duplicates_are_offered_and_merged(client: TestClient, world: World) -> None:
    login(client, "dh-dispatcher")
    first = client.post("/api/workorders", json=body(world, "幸福小区3栋门口垃圾没人清运")).json()
    second = client.post("/api/workorders", json=body(world, "幸福小区3栋门口的垃圾没有人清运"))
    unrelated = client.post("/api/workorders", json=body(world, "路灯不亮了", grid="D1-2")).json()
    oid = second.json()["id"]

    found = client.get(f"/api/workorders/{oid}/duplicates")
    assert found.status_code == 200, found.text
    candidates = found.json()
    assert [c["id"] for c in candidates] == [first["id"]]  # not the street lamp elsewhere
    assert 0 < candidates[0]["score"] <= 1 and candidates[0]["reason"]
    assert candidates[0]["id"] != unrelated["id"]

    page = client.get(f"/workbench/orders/{oid}")
    assert "疑似重复，合并？" in page.text and f"合并到 {first['code']}" in page.text
    token = CSRF.search(page.text)
    assert token is not None
    merged = client.post(
        f"/workbench/orders/{oid}/act",
        data={
            "csrf_token": token.group(1),
            "action": "merge",
            "version": str(second.json()["version"]),
            "merge_into": str(first["id"]),
            "reason": f"与 {first['code']} 疑似重复",
        },
        follow_redirects=False,
    )
    assert merged.status_code == 303, merged.text
    assert client.get(f"/api/workorders/{oid}").json()["status"] == "merged"
    assert client.get(f"/api/workorders/{oid}/duplicates").json() == []  # closed: nothing to offer
    # The surviving order no longer sees the merged one as a candidate.
    assert client.get(f"/api/workorders/{first['id']}/duplicates").json() == []


def test_duplicates_follow_the_viewer_scope(client: TestClient, world: World) -> None:
    login(client, "dh-dispatcher")
    oid = client.post("/api/workorders", json=body(world, "幸福小区垃圾没人清运")).json()["id"]
    other = TestClient(client.app)
    login(other, "xs-dispatcher")
    assert other.get(f"/api/workorders/{oid}/duplicates").status_code == 404
    assert client.get(f"/api/workorders/{oid}/duplicates", params={"limit": 0}).status_code == 422
