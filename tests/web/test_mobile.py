"""Resident and grid-worker phone pages: report, my reports, rate, reopen, tasks, patrol, people."""

from __future__ import annotations

import io
import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy.orm import Session
from tests.conftest import login
from tests.fixtures.world import World, centre
from tests.web.test_workbench import clean, published  # noqa: F401 (published: fixture)

from civicgrid.auth import fields
from civicgrid.models.registry import Person
from civicgrid.models.workorder import WorkOrder

pytestmark = pytest.mark.usefixtures("published")


def jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 80, 40)).save(buf, "JPEG")
    return buf.getvalue()


def submit(client: TestClient, world: World, grid: str = "D1-1", **kw: str) -> object:
    lon, lat = centre(world.grid_cols[grid])
    data = {"title": "楼道堆放杂物", "description": "堵住消防通道"}
    data.update({"lat": str(lat), "lon": str(lon)})
    data.update(kw)
    return client.post(
        "/m/report",
        data=data,
        files=[("photos", ("a.jpg", jpeg(), "image/jpeg"))],
        follow_redirects=False,
    )


def to_replied(app: FastAPI, oid: int) -> None:
    with TestClient(app) as staff:
        login(staff, "dh-dispatcher")
        r = staff.post(f"/api/workorders/{oid}/actions/dispatch", json={"category": "HJ01"})
        assert r.status_code == 200, r.text
    with TestClient(app) as dept:
        login(dept, "dh-dept")
        for action, body in (("accept", {}), ("start", {}), ("reply", {"reply": "已清理"})):
            r = dept.post(f"/api/workorders/{oid}/actions/{action}", json=body)
            assert r.status_code == 200, r.text


def test_report_keeps_input_on_error_then_creates(client: TestClient, world: World) -> None:
    login(client, "resident")
    page = clean(client.get("/m/report").text)
    assert 'name="title"' in page and "/static/js/report.js" in page and "垃圾清运" in page
    missing = client.post("/m/report", data={"title": "楼道堆放杂物", "description": "很久了"})
    assert missing.status_code == 422
    assert "请在地图上标注位置" in clean(missing.text) and "很久了" in missing.text
    short = client.post("/m/report", data={"title": "x", "lat": "28.2", "lon": "112.9"})
    assert short.status_code == 422 and "请填写标题" in short.text
    away = client.post("/m/report", data={"title": "远处的问题", "lat": "10", "lon": "10"})
    assert away.status_code == 422 and "位置不在辖区范围内" in away.text
    bad = client.post("/m/report", data={"title": "坐标乱填", "lat": "abc", "lon": "1"})
    assert bad.status_code == 422 and "位置" in clean(bad.text)
    created = submit(client, world)
    assert created.status_code == 303, created.text  # type: ignore[attr-defined]
    target = created.headers["location"]  # type: ignore[attr-defined]
    order_page = clean(client.get(target).text)
    assert "楼道堆放杂物" in order_page and "/attachments/" in order_page
    mine = clean(client.get("/m/mine").text)
    assert "楼道堆放杂物" in mine and 'aria-current="step"' in mine
    hints = client.get("/m/report/hints", params={"title": "楼道堆放杂物"})
    assert hints.status_code == 200 and set(hints.json()) == {"categories", "duplicates"}


def test_rate_satisfied_and_reopen(client: TestClient, app: FastAPI, world: World) -> None:
    login(client, "resident")
    ids = []
    for _ in range(2):
        r = submit(client, world)
        ids.append(int(re.findall(r"\d+", r.headers["location"])[0]))  # type: ignore[attr-defined]
    for oid in ids:
        to_replied(app, oid)
    page = clean(client.get(f"/m/orders/{ids[0]}").text)
    assert 'id="rate"' in page and "基本满意" in page
    none = client.post(f"/m/orders/{ids[0]}/rate", data={"comment": "好"})
    assert none.status_code == 422 and "请选择满意、基本满意或不满意" in none.text
    ok = client.post(f"/m/orders/{ids[0]}/rate", data={"satisfaction": "满意"})
    assert ok.status_code == 200 and "已办结" in clean(ok.text)
    why = client.post(f"/m/orders/{ids[1]}/rate", data={"satisfaction": "不满意"})
    assert why.status_code == 422 and "请说明原因" in why.text
    re_open = client.post(
        f"/m/orders/{ids[1]}/rate", data={"satisfaction": "不满意", "comment": "还没清理干净"}
    )
    assert re_open.status_code == 200 and "已重办" in clean(re_open.text)
    again = client.post(f"/m/orders/{ids[1]}/rate", data={"satisfaction": "满意"})
    assert again.status_code == 409 and "不能执行该操作" in again.text


def test_resident_cannot_open_worker_or_workbench_actions(client: TestClient, world: World) -> None:
    login(client, "resident")
    assert client.get("/m/worker").status_code == 403
    assert client.get("/m/worker/people").status_code == 403
    listing = client.get("/workbench", follow_redirects=False)
    assert listing.status_code == 303 and listing.headers["location"] == "/m/mine"


def test_worker_tasks_patrol_and_people(
    client: TestClient, app: FastAPI, db: Session, world: World
) -> None:
    cipher = fields.cipher()
    person = Person(name="李四", node_id=world.grids["D1-1"].id, address="东湖路1号", tags=[])
    outside = Person(name="王五", node_id=world.grids["X1-1"].id)
    db.add_all([person, outside])
    db.flush()
    login(client, "dh-worker")
    tasks = clean(client.get("/m/worker").text)
    assert "我的任务" in tasks and "/m/worker/patrol" in tasks
    lon, lat = centre(world.grid_cols["D1-1"])
    patrol = client.post(
        "/m/worker/patrol",
        data={"title": "占道经营", "lat": str(lat), "lon": str(lon)},
        follow_redirects=False,
    )
    assert patrol.status_code == 303, patrol.text
    oid = int(patrol.headers["location"].rsplit("=", 1)[1])
    assert db.get(WorkOrder, oid).channel == "patrol"  # type: ignore[union-attr]
    people = clean(client.get("/m/worker/people").text)
    assert "李四" in people and "王五" not in people
    assert client.get(f"/m/worker/people/{outside.id}").status_code == 404
    bad = client.post(f"/m/worker/people/{person.id}", data={"phone": "12", "address": "新址"})
    assert bad.status_code == 422 and 'value="新址"' in clean(bad.text)
    empty = client.post(f"/m/worker/people/{person.id}", data={})
    assert empty.status_code == 422 and "请至少填写一项" in empty.text
    ok = client.post(
        f"/m/worker/people/{person.id}",
        data={"phone": "13912345678", "tags": "独居老人"},
    )
    assert ok.status_code == 200 and "已保存" in clean(ok.text)
    db.refresh(person)
    assert cipher.decrypt(person.phone_enc or "") == "13912345678"
    assert (
        person.tags == ["elderly_alone"] and "独居老人" in ok.text and person.address == "东湖路1号"
    )
    assert "1391234" not in ok.text  # the phone is shown masked
