"""Registry services: grid workers' incremental updates, verification, listing, data quality."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from civicgrid.errors import Conflict, Invalid, NotFound
from civicgrid.kit.timeutil import utcnow
from civicgrid.models.registry import Person
from civicgrid.registry import service
from civicgrid.registry.quality import registry_quality
from tests.fixtures.world import World, centre
from tests.registry.factory import cipher, id_number, person_by_id, wrong_check

ID_1 = id_number(dt.date(1940, 1, 1), 1, male=False)
ID_2 = id_number(dt.date(1990, 5, 5), 2)
ID_3 = id_number(dt.date(2015, 9, 9), 3)


def seed(db: Session) -> dict[str, Person]:
    rows = [
        ["刘奶奶", ID_1, "13800000001", *centre(0), "独居老人", "H1", "幸福小区1栋"],
        ["陈强", ID_2, "", *centre(1), "党员", "", ""],
        ["小明", ID_3, "13800000003", *centre(3), "留守儿童", "H3", "西山村3组"],
    ]
    result = service.import_rows(
        db,
        kind="people",
        header=["姓名", "身份证号", "手机号", "经度", "纬度", "人员类别", "户号", "地址"],
        rows=rows,
        cipher=cipher(),
    )
    assert result.rows_inserted == 3
    return {n: p for n in ("刘奶奶", "陈强", "小明") if (p := person_by_id(db, {
        "刘奶奶": ID_1, "陈强": ID_2, "小明": ID_3}[n])) is not None}  # fmt: skip


def test_update_person_writes_only_changes(db: Session, world: World) -> None:
    people = seed(db)
    grandma = people["刘奶奶"]
    changed = service.update_person(
        db,
        person=grandma,
        changes={"phone": "139-0000-0009", "address": "幸福小区1栋", "tags": ["独居老人", "低保"]},
        cipher=cipher(),
    )
    assert changed == ["phone_enc", "phone_index", "tags"]  # the address was already that
    assert cipher().decrypt(grandma.phone_enc or "") == "13900000009"
    assert grandma.tags == ["elderly_alone", "low_income"]
    assert (
        service.update_person(db, person=grandma, changes={"phone": "13900000009"}, cipher=cipher())
        == []
    )

    moved = service.update_person(
        db,
        person=grandma,
        changes=dict(zip(("lon", "lat"), centre(4), strict=True)),
        cipher=cipher(),
    )
    assert "node_id" in moved
    assert grandma.node_id == world.grids["X1-2"].id


def test_update_person_rejects_bad_values_and_writes_nothing(db: Session, world: World) -> None:
    people = seed(db)
    grandma = people["刘奶奶"]
    phone_before = grandma.phone_enc
    with pytest.raises(Invalid, match="联系电话格式不正确"):
        service.update_person(
            db, person=grandma, changes={"name": "刘婆婆", "phone": "123"}, cipher=cipher()
        )
    assert (grandma.name, grandma.phone_enc) == ("刘奶奶", phone_before)
    with pytest.raises(Invalid, match="校验位"):
        service.update_person(
            db,
            person=grandma,
            changes={"id_number": wrong_check(ID_1)},
            cipher=cipher(),
        )
    with pytest.raises(Conflict, match="另一人名下"):
        service.update_person(db, person=grandma, changes={"id_number": ID_2}, cipher=cipher())
    with pytest.raises(Invalid, match="不能修改的字段"):
        service.update_person(db, person=grandma, changes={"verified_at": None}, cipher=cipher())
    with pytest.raises(Invalid, match="不在辖区"):
        service.update_person(
            db, person=grandma, changes={"lon": 100.0, "lat": 30.0}, cipher=cipher()
        )
    with pytest.raises(NotFound):
        service.update_person(db, person=grandma, changes={"household_id": 999999}, cipher=cipher())


def test_correcting_an_id_number_rederives_birth_and_gender(db: Session, world: World) -> None:
    people = seed(db)
    kid = people["小明"]
    fixed = id_number(dt.date(2014, 9, 9), 4, male=False)
    changed = service.update_person(db, person=kid, changes={"id_number": fixed}, cipher=cipher())
    assert set(changed) == {"id_number_enc", "id_number_index", "gender", "birth_date"}
    assert (kid.gender, kid.birth_date) == ("F", dt.date(2014, 9, 9))
    assert service.find_person_by_id_number(db, id_number=fixed, cipher=cipher()) is kid


def test_verify_record(db: Session, world: World) -> None:
    people = seed(db)
    record = service.verify_record(db, kind="people", record_id=people["陈强"].id)
    assert record.verified_at is not None
    with pytest.raises(NotFound):
        service.verify_record(db, kind="places", record_id=123456)
    with pytest.raises(Invalid):
        service.verify_record(db, kind="cars", record_id=1)


def test_list_and_search_people(db: Session, world: World) -> None:
    seed(db)
    east = service.list_people(db, node=world.streets["东湖街道"])
    assert [p.name for p in east.items] == ["刘奶奶", "陈强"]
    assert east.total == 2
    west = service.list_people(db, node=world.streets["西山街道"])
    assert [p.name for p in west.items] == ["小明"]
    # the access layer's scope filter comes in through ``where``
    scoped = service.list_people(db, where=Person.node_id == world.grids["D1-2"].id)
    assert [p.name for p in scoped.items] == ["陈强"]
    c = cipher()
    assert [p.name for p in service.list_people(db, q=ID_3, cipher=c).items] == ["小明"]
    assert [p.name for p in service.list_people(db, q="138 0000 0001", cipher=c).items] == [
        "刘奶奶"
    ]
    assert [p.name for p in service.list_people(db, q="奶奶").items] == ["刘奶奶"]
    assert service.list_people(db, q="%").total == 0  # LIKE wildcards are escaped
    assert [p.name for p in service.list_people(db, tag="party_member").items] == ["陈强"]
    with pytest.raises(Invalid):
        service.list_people(db, tag="vip")
    page = service.list_people(db, limit=1, offset=1)
    assert (page.total, len(page.items), page.items[0].name) == (3, 1, "陈强")
    with pytest.raises(Invalid):
        service.list_people(db, limit=0)


def test_list_entities_and_places(db: Session, world: World) -> None:
    lon, lat = centre(0)
    service.import_rows(
        db,
        kind="places",
        header=["名称", "设施类型", "容纳人数", "经度", "纬度"],
        rows=[
            ["东湖避难场所", "应急避难场所", "500", lon, lat],
            ["卫生站", "卫生站", "", lon, lat],
        ],
        cipher=cipher(),
    )
    service.import_rows(
        db,
        kind="entities",
        header=["单位名称", "单位类型", "经度", "纬度"],
        rows=[["东湖超市", "商户", lon, lat]],
        cipher=cipher(),
    )
    shelters = service.list_places(db, node=world.district, facility_type="shelter")
    assert [p.name for p in shelters.items] == ["东湖避难场所"]
    assert service.list_places(db, node=world.streets["西山街道"]).total == 0
    assert service.list_places(db, q="卫生").total == 1
    assert [e.name for e in service.list_entities(db, node=world.district, kind="shop").items] == [
        "东湖超市"
    ]
    assert service.list_entities(db, q="超市").total == 1


def test_registry_quality(db: Session, world: World) -> None:
    people = seed(db)
    now = utcnow()
    old = now - dt.timedelta(days=400)
    db.execute(update(Person).values(updated_at=old))
    service.verify_record(db, kind="people", record_id=people["刘奶奶"].id)
    report = {q.name: q for q in registry_quality(db, node=world.streets["东湖街道"], days=90)}
    assert set(report) == {"D1-1网格", "D1-2网格", "D2-1网格"}
    d11, d12, d21 = report["D1-1网格"], report["D1-2网格"], report["D2-1网格"]
    # 刘奶奶: phone, address, household, location, birth date, gender → all 6 filled.
    assert d11.records["people"] == 1
    assert d11.completeness == 1.0
    assert d11.freshness == 1.0  # verified just now
    # 陈强: no phone, no address, no household → 3 of 6.
    assert d12.completeness == 0.5
    assert d12.filled["people.phone"] == 0.0
    assert d12.freshness == 0.0  # last touched 400 days ago
    assert d21.total == 0
    assert (d21.completeness, d21.freshness) == (None, None)
    everything = registry_quality(db, days=500)
    assert len(everything) == 6
    assert all(q.freshness == 1.0 for q in everything if q.total)
