"""The territory JSON API: tree, children, grid import upload, team, point lookup."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from civicgrid.models.org import OrgLevel
from civicgrid.org import service
from tests.conftest import login
from tests.fixtures.world import World, centre
from tests.org.broken import BROKEN, OVERLAP_M2, X, Y, feature, rect


@pytest.fixture(autouse=True)
def _logged_in(client: TestClient) -> None:
    """Every territory route needs a session: these tests act as the (global) administrator."""
    login(client, "admin")


def _csrf(client: TestClient) -> None:
    """Multipart posts carry the double-submit CSRF token (any response sets the cookie)."""
    client.get("/health")
    client.headers["X-CSRF-Token"] = client.cookies.get("cg_csrf") or ""


def _upload(client: TestClient, payload: Any, name: str = "grids.geojson", **params: Any) -> Any:
    _csrf(client)
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return client.post(
        "/api/org/grids/import", params=params, files={"file": (name, data, "application/json")}
    )


def test_tree_with_counts(client: TestClient, world: World) -> None:
    response = client.get("/api/org/tree", params={"depth": 1})
    assert response.status_code == 200
    body = response.json()
    assert body["levels"]["grid"] == 6 and body["levels"]["street"] == 2
    [root] = body["nodes"]
    assert root["name"] == "示范区"
    assert root["counts"] == {"street": 2, "community": 4, "grid": 6}
    assert [c["name"] for c in root["children"]] == ["东湖街道", "西山街道"]
    assert root["children"][0]["counts"] == {"community": 2, "grid": 3}
    assert root["children"][0]["children"] == []  # depth 1 stops here
    street = world.streets["西山街道"]
    sub = client.get("/api/org/tree", params={"root": street.id, "depth": 5}).json()
    assert sub["levels"] == {"street": 1, "community": 2, "grid": 3}
    assert [n["name"] for n in sub["nodes"][0]["children"]] == ["西山一社区", "西山二社区"]
    assert client.get("/api/org/tree", params={"root": 999999}).status_code == 404
    assert client.get("/api/org/tree", params={"depth": -1}).status_code == 422


def test_node_and_children(client: TestClient, world: World) -> None:
    community = world.communities["东湖一社区"]
    node = client.get(f"/api/org/nodes/{community.id}").json()
    assert (node["code"], node["counts"]) == (community.code, {"grid": 2})
    kids = client.get(f"/api/org/nodes/{community.id}/children").json()
    assert [k["name"] for k in kids] == ["D1-1网格", "D1-2网格"]
    assert all(k["level"] == "grid" and k["counts"] == {} for k in kids)
    missing = client.get("/api/org/nodes/999999/children")
    assert missing.status_code == 404 and "不存在" in missing.json()["error"]["message"]


def test_upload_report_and_422(client: TestClient, db: Session, world: World) -> None:
    parent = service.create_node(
        db, parent=world.streets["东湖街道"], level=OrgLevel.COMMUNITY, name="上传社区", code="UP"
    )
    response = _upload(client, BROKEN, parent="UP")
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["imported"] == 4 and report["created"] == ["T-OK", "T-BOW", "T-O1", "T-O2"]
    assert [r["index"] for r in report["rejected"]] == [3, 4, 7, 8, 9, 10]
    assert report["repaired"][0]["reason"] == "已修复：自相交（113.501 28.301）"
    assert report["overlaps"] == [{"a": "T-O1", "b": "T-O2", "area_m2": OVERLAP_M2}]
    assert service.get_node_by_code_or_raise(db, "T-BOW").parent_id == parent.id
    # Nothing valid: 422 with every feature's reason, nothing written.
    only_bad = {"type": "FeatureCollection", "features": BROKEN["features"][2:4]}
    bad = _upload(client, only_bad, parent="UP")
    assert bad.status_code == 422
    error = bad.json()["error"]
    assert error["message"] == "没有可导入的要素"
    assert [(r["index"], r["reason"]) for r in error["rejected"]] == [
        (1, "不是面要素（Point）"),
        (2, "缺少名称（属性 name）"),
    ]
    assert service.get_node_by_code_or_raise(db, "T-OK").name == "好网格"


def test_upload_errors(client: TestClient, world: World) -> None:
    assert _upload(client, b"{not json", parent="430100").status_code == 422
    assert _upload(client, b"", parent="430100").status_code == 422
    assert _upload(client, b"a,b\n1,2\n", name="grids.csv").status_code == 415
    missing = _upload(client, BROKEN, parent="NOPE")
    assert missing.status_code == 404
    dry = _upload(
        client,
        {
            "type": "FeatureCollection",
            "features": [feature(rect(X, Y, X + 0.01, Y + 0.01), name="试", code="DRY")],
        },
        parent="430100",
        dry_run="true",
    )
    assert dry.status_code == 200 and dry.json()["dry_run"] is True
    nowhere = client.get("/api/org/locate", params={"lon": X + 0.005, "lat": Y + 0.005})
    assert nowhere.status_code == 200, nowhere.text
    assert nowhere.json() == {"grid_id": None, "grid": None}


def test_locate_endpoint(client: TestClient, world: World) -> None:
    lon, lat = centre(world.grid_cols["X1-2"])
    response = client.get("/api/org/locate", params={"lon": lon, "lat": lat})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["grid_id"] == world.grids["X1-2"].id and body["grid"]["name"] == "X1-2网格"
    assert client.get("/api/org/locate", params={"lon": 500, "lat": 0}).status_code == 422


def test_team_endpoints(client: TestClient, world: World) -> None:
    grid = world.grids["D2-1"]
    base = f"/api/org/grids/{grid.id}"
    _csrf(client)  # DELETE has no JSON body, so it carries the token
    worker = client.put(f"{base}/team/worker", json={"name": "张伟"})
    assert worker.status_code == 200 and worker.json()["role"] == "worker"
    liaison = client.post(
        f"{base}/team/members", json={"role": "liaison", "name": "赵强", "department": "市场监管"}
    )
    assert liaison.status_code == 201
    dup = client.post(
        f"{base}/team/members", json={"role": "liaison", "name": "赵强", "department": "市场监管"}
    )
    assert dup.status_code == 409
    assert (
        client.post(f"{base}/team/members", json={"role": "liaison", "name": "钱"}).status_code
        == 422
    )
    branch = client.put(f"{base}/party-branch", json={"party_branch": "东湖二社区网格党支部"})
    assert branch.json()["party_branch"] == "东湖二社区网格党支部"
    team = client.get(f"{base}/team").json()
    assert team["worker"]["name"] == "张伟"
    assert [m["name"] for m in team["liaisons"]] == ["赵强"]
    deleted = client.delete(f"{base}/team/members/{liaison.json()['id']}")
    assert deleted.status_code == 204
    assert client.get(f"{base}/team").json()["liaisons"] == []
    assert client.get("/api/org/grids/999999/team").status_code == 404
    community = world.communities["东湖二社区"]
    wrong = client.put(f"/api/org/grids/{community.id}/team/worker", json={"name": "某"})
    assert wrong.status_code == 422
