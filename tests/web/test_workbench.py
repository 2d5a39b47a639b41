"""Workbench pages over the work-order services: queues, order page, actions, bulk, errors."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
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
]
RAW_ERRORS = ("Internal Server Error", "Traceback", "UndefinedError", "TemplateSyntaxError")


@pytest.fixture
def published(db: Session) -> None:
    rl.import_rows(db, rows=LIST)


pytestmark = pytest.mark.usefixtures("published")


def report(app: FastAPI, world: World, title: str = "小区门口垃圾没人清运") -> int:
    with TestClient(app) as resident:
        login(resident, "resident")
        lon, lat = centre(world.grid_cols["D1-1"])
        body = {"title": title, "lat": lat, "lon": lon, "reporter_name": "张三丰"}
        created = resident.post("/api/workorders", json=body)
        assert created.status_code == 201, created.text
        return int(created.json()["id"])


def clean(html: str) -> str:
    for marker in RAW_ERRORS:
        assert marker not in html
    return html


def act(client: TestClient, oid: int, action: str, **fields: str) -> object:
    page = client.get(f"/workbench/orders/{oid}")
    version = re.search(rf'data-action="{action}">.*?name="version" value="(\d+)"', page.text, re.S)
    assert version, f"no {action} form on the page"
    data = {"action": action, "version": version.group(1), **fields}
    return client.post(f"/workbench/orders/{oid}/act", data=data, follow_redirects=False)


def test_unauthenticated_workbench_goes_to_login(client: TestClient) -> None:
    r = client.get("/workbench", follow_redirects=False)
    assert r.status_code in (302, 303, 307) and "/login" in r.headers["location"]


def test_dispatcher_routes_and_department_handles(
    client: TestClient, app: FastAPI, world: World
) -> None:
    oid = report(app, world)
    login(client, "dh-dispatcher")
    listing = clean(client.get("/workbench", params={"queue": "to_triage"}).text)
    assert f"/workbench/orders/{oid}" in listing and "待分流" in listing
    assert "/api/workorders/export.xlsx?queue=to_triage" in listing
    page = clean(client.get(f"/workbench/orders/{oid}").text)
    assert 'data-action="dispatch"' in page and 'data-action="accept"' not in page
    assert "张三丰" not in page  # reporter masked for staff
    r = act(client, oid, "dispatch", category="HJ01")
    assert r.status_code == 303, r.text  # type: ignore[attr-defined]

    with TestClient(app) as dept:
        login(dept, "dh-dept")
        mine = clean(dept.get("/workbench", params={"queue": "mine"}).text)
        assert f"/workbench/orders/{oid}" in mine
        assert act(dept, oid, "accept").status_code == 303  # type: ignore[attr-defined]
        assert act(dept, oid, "start").status_code == 303  # type: ignore[attr-defined]
        # A reply without text: Chinese message, 422, the other input kept.
        empty = act(dept, oid, "reply", reply="  ")
        assert empty.status_code == 422  # type: ignore[attr-defined]
        assert "请填写答复内容" in clean(empty.text)  # type: ignore[attr-defined]
        done = act(dept, oid, "reply", reply="已安排清运，垃圾已清理完毕")
        assert done.status_code == 303  # type: ignore[attr-defined]
        page = clean(dept.get(f"/workbench/orders/{oid}").text)
        assert "已答复" in page and "已安排清运" in page
        assert re.search(r'href="/api/ledger/entries/\d+"', page)  # each step's proof
        assert page.count('class="tl-time"') >= 5


def test_reason_required_keeps_input_and_stale_version_is_explained(
    client: TestClient, app: FastAPI, world: World
) -> None:
    oid = report(app, world)
    login(client, "dh-dispatcher")
    r = act(client, oid, "reject", reason="")
    assert r.status_code == 422  # type: ignore[attr-defined]
    assert "该操作必须填写理由" in clean(r.text)  # type: ignore[attr-defined]
    r = client.post(
        f"/workbench/orders/{oid}/act",
        data={"action": "merge", "version": "1", "merge_into": "abc", "reason": "重复上报"},
    )
    assert r.status_code == 422 and "合并目标必须是工单编号" in r.text
    assert "重复上报" in r.text  # the reason typed is kept
    with TestClient(app) as other:
        login(other, "dh-dispatcher")
        assert act(other, oid, "triage", category="HJ01").status_code == 303  # type: ignore[attr-defined]
    stale = client.post(
        f"/workbench/orders/{oid}/act",
        data={"action": "dispatch", "version": "0", "department": "环卫所"},
    )
    assert stale.status_code == 409
    assert "其他人已处理了该工单" in clean(stale.text) and 'value="环卫所"' in stale.text


def test_bulk_dispatch_and_role_limits(client: TestClient, app: FastAPI, world: World) -> None:
    ids = [report(app, world, f"路灯不亮 {i}") for i in range(2)]
    login(client, "dh-dispatcher")
    r = client.post(
        "/workbench/bulk",
        data={"ids": [str(i) for i in ids], "bulk_action": "dispatch", "category": "HJ01"},
    )
    assert r.status_code == 200 and "已派单 2 件" in clean(r.text)
    nothing = client.post("/workbench/bulk", data={"bulk_action": "dispatch"})
    assert nothing.status_code == 422 and "请选择工单和批量操作" in nothing.text

    with TestClient(app) as dept:
        login(dept, "dh-dept")
        page = clean(dept.get("/workbench").text)
        assert 'id="select-all"' not in page  # no bulk actions without dispatch permission
        assert dept.post("/workbench/bulk", data={"ids": [str(ids[0])]}).status_code == 403
    with TestClient(app) as west:
        login(west, "xs-dispatcher")
        assert f"/workbench/orders/{ids[0]}" not in west.get("/workbench").text
        assert west.get(f"/workbench/orders/{ids[0]}").status_code == 404


def test_list_filters_sort_pagination_and_english(
    client: TestClient, app: FastAPI, world: World
) -> None:
    report(app, world, "井盖缺失")
    login(client, "dh-dispatcher")
    found = client.get("/workbench", params={"q": "井盖", "sort": "due_at", "status": "reported"})
    assert "井盖缺失" in clean(found.text)
    none = client.get("/workbench", params={"q": "不存在的标题"})
    assert "没有符合条件的工单" in none.text
    odd = client.get("/workbench", params={"page": "-3", "sort": "drop table", "queue": "x"})
    assert odd.status_code == 200 and "第 1 /" in clean(odd.text)
    client.cookies.set("lang", "en")
    english = client.get("/workbench")
    assert english.status_code == 200 and "My queue" in clean(english.text)
    assert "我的待办" not in english.text
