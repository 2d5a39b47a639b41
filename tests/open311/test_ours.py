"""Our Open311 endpoints pass the reusable conformance suite, and plain clients see open/closed."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth import tokens
from civicgrid.models.auth import User
from civicgrid.models.workorder import Channel
from civicgrid.workorders import responsibility as rl
from civicgrid.workorders import service
from civicgrid.workorders.schemas import WorkOrderCreate
from civicgrid.workorders.states import Action
from tests.fixtures.world import World, centre
from tests.open311.conformance import Suite, failures
from tests.workorders.conftest import DISPATCHER, RESIDENT

LIST = [
    (2, {"分类编码": "HJ01", "分类名称": "垃圾清运", "上级编码": "HJ", "责任部门": "环卫所"}),
    (3, {"分类编码": "HJ", "分类名称": "市容环境", "责任部门": "城管局"}),
    (4, {"分类编码": "ZS01", "分类名称": "噪音扰民", "责任部门": "派出所"}),
]
PERSONAL = ("王秀英", "13912345678", "幸福小区7栋3单元602")


@pytest.fixture
def seeded(db: Session, world: World) -> tuple[float, float]:
    rl.import_rows(db, rows=LIST)
    lon, lat = centre(world.grid_cols["D1-1"])
    for i, cat in enumerate(("HJ01", "ZS01", "HJ01")):
        order = service.open_workorder(
            db,
            actor=RESIDENT,
            channel=Channel.RESIDENT,
            data=WorkOrderCreate(
                title=f"问题{i}",
                description=f"请联系 {PERSONAL[1]}",
                category=cat,
                lat=lat,
                lon=lon,
                reporter_name=PERSONAL[0],
                address=PERSONAL[2],
            ),
        )
        if i == 0:
            for action, params in ((Action.DISPATCH, {}),):
                service.transition(db, order=order, action=action, actor=DISPATCHER, params=params)
        if i == 2:
            service.transition(
                db, order=order, action=Action.REJECT, actor=DISPATCHER, reason="无效"
            )
    db.flush()
    return lat, lon


def test_conformance_suite_passes(
    client: TestClient, db: Session, seeded: tuple[float, float]
) -> None:
    user = db.scalars(select(User).where(User.username == "dh-hotline")).one()
    _token, raw = tokens.create_token(
        db, user=user, name="open311", permissions=["workorder:create"]
    )
    lat, lon = seeded
    suite = Suite(client, "/open311/v2", api_key=raw, lat=lat, long=lon, personal_data=PERSONAL)
    checks = suite.run()
    assert len(checks) >= 9
    assert not failures(checks), [(c.name, c.detail) for c in failures(checks)]


def test_statuses_and_extensions(client: TestClient, seeded: tuple[float, float]) -> None:
    rows = client.get("/open311/v2/requests.json", params={"extensions": "true"}).json()
    statuses = sorted(r["status"] for r in rows)
    assert statuses == ["closed", "open", "open"]  # rejected → closed for plain clients
    dispatched = next(
        r for r in rows if r["extended_attributes"]["civicgrid_status"] == "dispatched"
    )
    assert dispatched["expected_datetime"] is not None
    assert [e["action"] for e in dispatched["extended_attributes"]["timeline"]] == [
        "open",
        "dispatch",
    ]
    assert "13912345678" not in str(rows)


def test_wrong_jurisdiction_and_bad_key(client: TestClient, seeded: tuple[float, float]) -> None:
    r = client.get("/open311/v2/services.xml", params={"jurisdiction_id": "elsewhere.gov"})
    assert r.status_code == 404 and b"<errors><error><code>404</code>" in r.content
    lat, lon = seeded
    bad = client.post(
        "/open311/v2/requests.json",
        data={"api_key": "cg_1_nope", "service_code": "HJ01", "lat": lat, "long": lon},
    )
    assert bad.status_code == 403 and bad.json()[0]["code"] == 403


def test_outside_territory_is_a_spec_error(
    client: TestClient, db: Session, seeded: tuple[float, float]
) -> None:
    user = db.scalars(select(User).where(User.username == "dh-hotline")).one()
    _t, raw = tokens.create_token(db, user=user, name="o", permissions=["workorder:create"])
    r = client.post(
        "/open311/v2/requests.xml",
        data={
            "api_key": raw,
            "service_code": "HJ01",
            "lat": 1.0,
            "long": 1.0,
            "description": "远处",
        },
    )
    assert r.status_code == 400
    assert b"<errors><error><code>400</code>" in r.content
