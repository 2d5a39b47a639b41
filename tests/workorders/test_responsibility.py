"""权责清单: validation report, versioning, lookup."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from civicgrid.errors import Invalid
from civicgrid.kit.timeutil import utcnow
from civicgrid.workorders import responsibility as rl

GOOD = [
    (
        2,
        {
            "分类编码": "HJ",
            "分类名称": "市容环境",
            "责任部门": "城管局",
            "分流类型": "大事",
            "签收时限": "2",
            "办理时限": "72",
            "计时方式": "自然",
            "升级路径": "街道>区",
        },
    ),
    (
        3,
        {
            "分类编码": "HJ01",
            "分类名称": "垃圾清运",
            "上级编码": "HJ",
            "责任部门": "环卫所",
            "分流类型": "小事",
            "签收时限": "1",
            "办理时限": "24",
            "计时方式": "工作",
        },
    ),
    (
        4,
        {
            "分类编码": "JF",
            "分类名称": "邻里纠纷",
            "责任部门": "司法所",
            "分流类型": "小事",
            "办理时限": "240",
            "矛盾纠纷": "是",
        },
    ),
]


def test_parse_good_rows() -> None:
    items, errors = rl.parse_rows(GOOD)
    assert errors == []
    assert [i.code for i in items] == ["HJ", "HJ01", "JF"]
    assert items[0].escalation == ["街道", "区"]
    assert items[1].sla_mode == "working"
    assert items[1].triage == "community"
    assert items[2].is_dispute is True
    assert items[0].is_dispute is False


def test_bad_rows_are_reported_by_row_and_column() -> None:
    rows = [
        *GOOD,
        (5, {"分类编码": "HJ", "分类名称": "重复", "责任部门": "x"}),
        (6, {"分类编码": "X1", "分类名称": "", "责任部门": "x", "办理时限": "abc"}),
        (7, {"分类编码": "X2", "分类名称": "y", "责任部门": "x", "分流类型": "中事"}),
        (8, {"分类编码": "X3", "分类名称": "z", "责任部门": "x", "上级编码": "NOPE"}),
        (
            9,
            {
                "分类编码": "X4",
                "分类名称": "w",
                "责任部门": "x",
                "签收时限": "100",
                "办理时限": "10",
            },
        ),
    ]
    _items, errors = rl.parse_rows(rows)
    found = {(e.row, e.column) for e in errors}
    assert found == {
        (5, "分类编码"),
        (6, "分类名称"),
        (6, "办理时限"),
        (7, "分流类型"),
        (8, "上级编码"),
        (9, "签收时限"),
    }
    assert any("第2行" in e.reason for e in errors if e.row == 5)


def test_import_refuses_whole_list_on_any_error(db: Session) -> None:
    with pytest.raises(Invalid) as info:
        rl.import_rows(db, rows=[*GOOD, (5, {"分类编码": "", "分类名称": "a", "责任部门": "b"})])
    assert info.value.details["rows"][0]["row"] == 5
    assert rl.version_in_force(db) is None


def test_versions_judge_old_orders_by_old_rules(db: Session) -> None:
    t0 = utcnow() - timedelta(days=10)
    v1 = rl.import_rows(db, rows=GOOD, effective_from=t0)
    v2 = rl.edit_item(db, code="HJ01", changes={"handle_hours": 12.0}, note="faster")
    assert v2.number == v1.number + 1
    assert rl.version_in_force(db, t0 + timedelta(days=1)) == v1
    assert rl.version_in_force(db) == v2
    old = rl.lookup_or_raise(db, category="垃圾清运", version=v1)
    new = rl.lookup_or_raise(db, category="HJ01", version=v2)
    assert (old.handle_hours, new.handle_hours) == (24.0, 12.0)
    with pytest.raises(Invalid):
        rl.lookup_or_raise(db, category="不存在", version=v2)


def test_export_round_trips(db: Session) -> None:
    v1 = rl.import_rows(db, rows=GOOD)
    exported = rl.export_rows(db, v1)
    items, errors = rl.parse_rows(enumerate(exported, start=2))
    assert errors == []
    assert {i.code: i.handle_hours for i in items} == {"HJ": 72.0, "HJ01": 24.0, "JF": 240.0}


def test_edit_rejects_invalid_change(db: Session) -> None:
    rl.import_rows(db, rows=GOOD)
    with pytest.raises(Invalid):
        rl.edit_item(db, code="HJ", changes={"accept_hours": 500.0})
    with pytest.raises(Invalid):
        rl.edit_item(db, code="HJ", changes={"bogus": 1})
