"""Legal entities and places: credit codes, kinds, facility types, capacities, de-duplication."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.models.registry import Entity, Place
from civicgrid.registry import service
from civicgrid.registry.codes import make_credit_code
from tests.fixtures.world import World, centre
from tests.registry.factory import cipher, write_csv

D11, X11 = centre(0), centre(3)
CODE_A = make_credit_code("91430100MA4L0001A")  # an enterprise (9 = 工商, 1 = 企业)
CODE_B = make_credit_code("92430100MA4L0002B")  # an individual business (2 = 个体工商户)
CODE_BAD = CODE_A[:-1] + ("0" if CODE_A[-1] != "0" else "1")
ENTITY_HEADER = ["单位名称", "统一社会信用代码", "单位类型", "法定代表人", "联系电话", "经营地址",
                 "从业人数", "经度", "纬度"]  # fmt: skip


def entity_rows() -> list[list[object]]:
    return [
        ["湘江科技有限公司", CODE_A, "", "张三", "0731-88880001", "岳麓大道1号", "120", *D11],
        ["老王小吃", CODE_B, "", "王五", "13800138000", "幸福小区底商3号", "3", *D11],
        ["坏代码公司", CODE_BAD, "企业", "李四", "", "", "", *D11],
        ["湘江科技（重复）", CODE_A, "企业", "", "", "", "", *D11],
        ["夕阳红协会", "", "社会组织", "赵六", "", "社区活动中心", "", *X11],
        ["无类型单位", "", "", "", "", "", "", *X11],
        ["夕阳红协会", "", "社会组织", "", "", "社区活动中心", "", *X11],
        ["幸福物业", "", "物业", "", "13900139000", "幸福小区物业楼", "x人", *D11],
    ]


def test_entities(db: Session, world: World, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "法人.csv", ENTITY_HEADER, entity_rows(), "gbk")
    result = service.import_file(db, kind="entities", path=path, cipher=cipher())
    assert [(i.row, i.column) for i in result.issues] == [
        (4, "统一社会信用代码"),
        (5, "统一社会信用代码"),
        (7, "单位类型"),
        (8, "单位名称"),
        (9, "从业人数"),
    ]
    reasons = {i.row: i.reason for i in result.issues}
    assert "校验位不符" in reasons[4]
    assert reasons[5] == "与第 2 行是同一单位（统一社会信用代码相同）"
    assert "缺少单位类型" in reasons[7]
    assert reasons[8] == "与第 6 行是同一单位（名称和地址相同）"
    assert (result.rows_inserted, result.rows_rejected) == (3, 5)
    entities = {e.name: e for e in db.scalars(select(Entity))}
    assert entities["湘江科技有限公司"].kind == "enterprise"  # inferred from the credit code
    assert entities["老王小吃"].kind == "shop"
    assert entities["夕阳红协会"].node_id == world.grids["X1-1"].id
    assert cipher().decrypt(entities["老王小吃"].phone_enc or "") == "13800138000"
    assert entities["湘江科技有限公司"].employees == 120

    # Incremental: the same enterprise again with a new legal representative and phone.
    again = service.import_rows(
        db,
        kind="entities",
        header=["名称", "信用代码", "法人", "电话", "经度", "纬度"],
        rows=[
            ["湘江科技有限公司", CODE_A.lower(), "张三丰", "0731-88880002", *D11],
            ["夕阳红协会", "", "", "", "", ""],
        ],
        cipher=cipher(),
    )
    assert (again.rows_inserted, again.rows_updated, again.rows_rejected) == (0, 1, 1)
    assert again.issues[0].row == 3  # no credit code, no address → a new entity with no place
    db.refresh(entities["湘江科技有限公司"])
    assert entities["湘江科技有限公司"].legal_rep == "张三丰"
    assert cipher().decrypt(entities["湘江科技有限公司"].phone_enc or "") == "0731-88880002"


PLACE_HEADER = ["名称", "设施类型", "场所类别", "编码", "容纳人数", "地址", "经纬度", "开放时间"]


def test_places(db: Session, world: World) -> None:
    lon, lat = D11
    at = f"{lon},{lat}"
    rows = [
        ["东湖社区卫生服务站", "社区卫生服务站", "", "P001", "", "东湖路1号", at, "8:00-17:00"],
        ["东湖广场避难场所", "应急避难场所", "", "P002", "2000人", "东湖广场", at, ""],
        ["西山避难点", "应急避难场所", "", "P003", "", "西山路", at, ""],
        ["幸福小区3栋", "", "房屋", "", "", "幸福小区3栋", at, ""],
        ["加油站", "加油站", "", "P004", "", "", at, ""],
        ["卫生站（重复）", "卫生站", "", "P001", "", "", at, ""],
        ["井盖", "", "隐患点", "P005", "", "", "200,28", ""],
        ["幼儿园", "幼儿园", "房屋", "P006", "", "", at, ""],
        ["无类别", "", "", "P007", "", "", at, ""],
    ]
    result = service.import_rows(db, kind="places", header=PLACE_HEADER, rows=rows, cipher=cipher())
    assert [(i.row, i.column) for i in result.issues] == [
        (4, "容纳人数"),
        (6, "设施类型"),
        (7, "编码"),
        (8, "经纬度"),
        (9, "场所类别"),
        (10, "场所类别"),
    ]
    reasons = {i.row: i.reason for i in result.issues}
    assert reasons[4] == "应急避难场所须填写容纳人数"
    assert reasons[7] == "与第 2 行是同一场所（编码相同）"
    assert "经纬度超出范围" in reasons[8]
    assert reasons[9] == "填写了设施类型时，场所类别应为“设施”"
    places = {p.name: p for p in db.scalars(select(Place))}
    assert set(places) == {"东湖社区卫生服务站", "东湖广场避难场所", "幸福小区3栋"}
    station = places["东湖社区卫生服务站"]
    assert (station.kind, station.facility_type) == ("facility", "health_station")
    assert station.attributes == {"开放时间": "8:00-17:00"}
    assert station.node_id == world.grids["D1-1"].id
    assert places["东湖广场避难场所"].capacity == 2000
    assert places["幸福小区3栋"].kind == "house"

    again = service.import_rows(
        db,
        kind="places",
        header=["名称", "设施类型", "编码", "容量", "经度", "纬度"],
        rows=[["东湖广场避难场所", "避难场所", "P002", "2500", *X11]],
        cipher=cipher(),
    )
    assert (again.rows_updated, again.rows_rejected) == (1, 0)
    db.refresh(places["东湖广场避难场所"])
    assert places["东湖广场避难场所"].capacity == 2500
    assert places["东湖广场避难场所"].node_id == world.grids["X1-1"].id
