"""The work-order JSON API end to end: roles, scopes, errors, concurrency, uploads, exports."""

from __future__ import annotations

import io

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy.orm import Session
from tests.conftest import login
from tests.fixtures.accounts import DEPARTMENT
from tests.fixtures.world import World, centre

from civicgrid.workorders import responsibility as rl

LIST = [
    (
        2,
        {
            "分类编码": "HJ01",
            "分类名称": "垃圾清运",
            "责任部门": DEPARTMENT,
            "分流类型": "小事",
            "签收时限": "2",
            "办理时限": "24",
        },
    ),
    (3, {"分类编码": "ZS01", "分类名称": "噪音扰民", "责任部门": "派出所", "办理时限": "72"}),
]


@pytest.fixture
def published(db: Session) -> None:
    rl.import_rows(db, rows=LIST)


def body(world: World, grid: str = "D1-1", **kw: object) -> dict[str, object]:
    lon, lat = centre(world.grid_cols[grid])
    return {
        "title": "小区门口垃圾没人清运",
        "description": "已经三天了，联系电话13912345678",
        "lat": lat,
        "lon": lon,
        "reporter_name": "张三丰",
        **kw,
    }


def other(app: FastAPI) -> TestClient:
    return TestClient(app)


pytestmark = pytest.mark.usefixtures("published")


def test_resident_to_department_and_back(client: TestClient, app: FastAPI, world: World) -> None:
    login(client, "resident")
    created = client.post("/api/workorders", json=body(world), headers={"Idempotency-Key": "k-1"})
    assert created.status_code == 201, created.text
    order = created.json()
    assert order["status"] == "reported" and order["channel"] == "resident"
    again = client.post("/api/workorders", json=body(world), headers={"Idempotency-Key": "k-1"})
    assert again.json()["id"] == order["id"]  # a phone re-sending creates one order
    oid = order["id"]

    with other(app) as dispatcher:
        login(dispatcher, "dh-dispatcher")
        seen = dispatcher.get(f"/api/workorders/{oid}").json()
        assert "triage" in seen["allowed_actions"] and "dispatch" in seen["allowed_actions"]
        assert seen["reporter_name"] != "张三丰"  # masked for staff
        r = dispatcher.post(f"/api/workorders/{oid}/actions/dispatch", json={"category": "HJ01"})
        assert r.status_code == 200, r.text
        assert r.json()["department"] == DEPARTMENT

    with other(app) as dept:
        login(dept, "dh-dept")
        queue = dept.get("/api/workorders", params={"queue": "mine"}).json()
        assert [o["id"] for o in queue["items"]] == [oid]
        for action, extra in (("accept", {}), ("start", {}), ("reply", {"reply": "已清运"})):
            r = dept.post(f"/api/workorders/{oid}/actions/{action}", json=extra)
            assert r.status_code == 200, (action, r.text)

    rated = client.post(f"/api/workorders/{oid}/actions/confirm", json={"satisfaction": "满意"})
    assert rated.status_code == 200, rated.text
    detail = client.get(f"/api/workorders/{oid}").json()
    assert detail["status"] == "closed" and detail["satisfaction"] == "满意"
    assert [e["action"] for e in detail["timeline"]] == [
        "open",
        "dispatch",
        "accept",
        "start",
        "reply",
        "confirm",
    ]
    assert all(e["ledger_index"] is not None for e in detail["timeline"])
    proof = client.get(f"/api/ledger/entries/{detail['timeline'][-1]['ledger_index']}")
    assert proof.status_code == 200


def test_other_street_cannot_see_or_act(client: TestClient, app: FastAPI, world: World) -> None:
    login(client, "dh-hotline")
    oid = client.post("/api/workorders", json=body(world)).json()["id"]
    with other(app) as xs:
        login(xs, "xs-dispatcher")
        assert xs.get(f"/api/workorders/{oid}").status_code == 404
        assert xs.post(f"/api/workorders/{oid}/actions/dispatch", json={}).status_code == 404
        assert oid not in [o["id"] for o in xs.get("/api/workorders").json()["items"]]
        # A hotline operator of 东湖 cannot file an order located in 西山.
    denied = client.post("/api/workorders", json=body(world, grid="X1-1"))
    assert denied.status_code == 403


def test_bad_input_is_4xx_with_a_message(client: TestClient, world: World) -> None:
    login(client, "dh-dispatcher")
    outside = client.post("/api/workorders", json=body(world, lat=10.0, lon=10.0))
    assert outside.status_code == 422 and "辖区" in outside.json()["error"]["message"]
    malformed = client.post(
        "/api/workorders", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 422
    missing = client.post("/api/workorders", json={"title": "x"})
    assert missing.status_code == 422 and missing.json()["error"]["fields"]
    oid = client.post("/api/workorders", json=body(world)).json()["id"]
    impossible = client.post(f"/api/workorders/{oid}/actions/reply", json={"reply": "x"})
    assert impossible.status_code == 409
    err = impossible.json()["error"]
    assert err["state"] == "reported" and "dispatch" in err["allowed_actions"]
    unknown = client.post(f"/api/workorders/{oid}/actions/fly", json={})
    assert unknown.status_code == 422
    no_reason = client.post(f"/api/workorders/{oid}/actions/reject", json={})
    assert no_reason.status_code == 422
    assert client.get(f"/api/workorders/{oid}").json()["status"] == "reported"  # nothing half-done


def test_two_dispatchers_one_wins(client: TestClient, app: FastAPI, world: World) -> None:
    login(client, "dh-dispatcher")
    created = client.post("/api/workorders", json=body(world))
    oid, etag = created.json()["id"], created.json()["version"]
    first = client.post(
        f"/api/workorders/{oid}/actions/triage",
        json={"category": "HJ01"},
        headers={"If-Match": f'"{etag}"'},
    )
    assert first.status_code == 200
    second = client.post(
        f"/api/workorders/{oid}/actions/reject",
        json={"reason": "无效"},
        headers={"If-Match": f'"{etag}"'},
    )
    assert second.status_code == 409
    assert client.get(f"/api/workorders/{oid}").json()["status"] == "triaged"


def test_photos_checked_and_stripped(client: TestClient, world: World) -> None:
    login(client, "resident")
    oid = client.post("/api/workorders", json=body(world)).json()["id"]
    buf = io.BytesIO()
    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "N", 2: (28.0, 12.0, 30.0)})
    Image.new("RGB", (32, 32), (10, 200, 10)).save(buf, format="JPEG", exif=exif)
    ok = client.post(
        f"/api/workorders/{oid}/attachments",
        files={"file": ("p.jpg", buf.getvalue(), "image/jpeg")},
    )
    assert ok.status_code == 201, ok.text
    photo = client.get(f"/api/workorders/{oid}/attachments/{ok.json()['id']}")
    with Image.open(io.BytesIO(photo.content)) as img:
        assert not img.getexif().get_ifd(0x8825)
    fake = client.post(
        f"/api/workorders/{oid}/attachments",
        files={"file": ("p.jpg", b"MZ\x90\x00 not an image", "image/jpeg")},
    )
    assert fake.status_code == 415
    huge = client.post(
        f"/api/workorders/{oid}/attachments",
        files={"file": ("p.jpg", b"\xff\xd8\xff" + b"0" * (11 * 1024 * 1024), "image/jpeg")},
    )
    assert huge.status_code == 413


def test_export_masks_and_scopes(client: TestClient, app: FastAPI, world: World) -> None:
    login(client, "dh-dispatcher")
    client.post("/api/workorders", json=body(world, address="东湖花园3栋2单元501"))
    with other(app) as xs:
        login(xs, "xs-dispatcher")
        xs.post("/api/workorders", json=body(world, grid="X1-1", title="西山的垃圾问题"))
    data = client.get("/api/workorders/export.xlsx")
    assert data.status_code == 200
    ws = load_workbook(io.BytesIO(data.content)).active
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    text = "\n".join(str(v) for r in rows for v in r)
    assert "小区门口垃圾没人清运" in text
    assert "西山的垃圾问题" not in text
    assert "2单元501" not in text and "东湖花园3栋****" in text


def test_resident_reports_are_rate_limited(client: TestClient, app: FastAPI, world: World) -> None:
    app.state.settings.rate_report = "2/hour"
    login(client, "resident")
    codes = [client.post("/api/workorders", json=body(world)).status_code for _ in range(3)]
    assert codes == [201, 201, 429]
    with other(app) as hotline:  # staff entering calls all day are not limited
        login(hotline, "dh-hotline")
        assert [
            hotline.post("/api/workorders", json=body(world)).status_code for _ in range(3)
        ] == [201, 201, 201]
