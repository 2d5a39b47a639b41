"""Historic order import: real 311 rows into real NYC boundaries, Chinese messages, broken files."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session
from tests.conftest import shared_data
from tests.fixtures.world import World, centre

from civicgrid.errors import Invalid
from civicgrid.kit.tabular import memory_table, open_table
from civicgrid.kit.timeutil import LOCAL_TZ
from civicgrid.models.ledger import LedgerEvent
from civicgrid.models.org import OrgLevel
from civicgrid.models.registry import ImportBatch
from civicgrid.models.workorder import WorkOrder
from civicgrid.org import service as org
from civicgrid.org.formats import read_source
from civicgrid.org.importer import import_grids
from civicgrid.workorders import bulk_import


def test_nyc311_into_community_districts(db: Session) -> None:
    boundaries = shared_data("geo_nyc", "community_districts.geojson").read_bytes()
    city = org.create_node(db, parent=None, level=OrgLevel.CITY, name="New York", code="nyc")
    import_grids(
        db,
        source=read_source(boundaries, "community_districts.geojson"),
        parent=city,
        name_prop="BoroCD",
        code_prop="BoroCD",
    )
    path = shared_data("nyc311", "nyc311_2014_2019_sample_train.csv")
    with open_table(path) as table:
        result = bulk_import.import_orders(
            db,
            rows=table.rows(),
            mapping=bulk_import.BUILTIN["nyc311"],
            source="nyc311",
            filename=path.name,
        )
    assert result.rows_total == 850
    assert result.inserted + result.rejected + result.duplicates == 850
    assert result.inserted > 700  # most rows carry coordinates inside a community district
    reasons = {p.reason for p in result.problems}
    # Real data: some rows have no position, and a few were closed before they were created.
    assert reasons <= {"缺少位置，且未指定默认网格", "位置不在辖区范围内", "时间早于上报时间"}
    first = db.scalar(select(WorkOrder).where(WorkOrder.code == "nyc311-28018055"))
    assert first is not None
    assert first.reported_at.isoformat() == "2014-05-10T10:15:00+00:00"  # 06:15 New York (EDT)
    assert first.status == "closed" and first.department == "DEP"
    # Re-importing the same file adds nothing and reports every located row as a duplicate.
    with open_table(path) as table:
        again = bulk_import.import_orders(
            db, rows=table.rows(), mapping=bulk_import.BUILTIN["nyc311"], source="nyc311"
        )
    assert again.inserted == 0 and again.duplicates == result.inserted
    batches = db.scalar(
        select(func.count())
        .select_from(LedgerEvent)
        .where(LedgerEvent.subject_type == "import_batch")
    )
    assert batches == 2  # one ledger entry per batch


def test_chinese_messages_with_default_node(db: Session, world: World) -> None:
    path = shared_data("gov_messages", "train.csv")
    with open_table(path) as table:
        result = bulk_import.import_orders(
            db,
            rows=table.rows(),
            mapping=bulk_import.BUILTIN["gov_messages"],
            source="gov",
            default_node_id=world.streets["东湖街道"].id,
        )
    assert result.rows_total == 1103
    assert result.inserted == 1103 - result.rejected - result.duplicates
    assert result.inserted > 1090
    count = db.scalar(
        select(func.count()).select_from(WorkOrder).where(WorkOrder.code.like("gov-%"))
    )
    assert count == result.inserted
    cats = set(db.scalars(select(WorkOrder.category).where(WorkOrder.code.like("gov-%"))))
    assert "城乡建设" in cats and len(cats) == 7


def test_broken_rows_are_reported_and_good_rows_land(db: Session, world: World) -> None:
    lon, lat = centre(world.grid_cols["D1-1"])
    header = ["编号", "上报时间", "标题", "状态", "办结时间", "纬度", "经度", "满意度"]
    rows = [
        ["A1", "2025-03-01 08:00", "路灯不亮", "已办结", "2025-03-02 09:00", lat, lon, "满意"],
        ["A2", "2025/3/1 8:00", "井盖破损", "", "", lat, lon, ""],
        ["A3", "yesterday", "时间坏了", "", "", lat, lon, ""],
        ["A4", "2025-03-05 08:00", "办结早于上报", "已办结", "2025-03-01 08:00", lat, lon, ""],
        ["A5", "2025-03-05 08:00", "状态未知", "飞走了", "", lat, lon, ""],
        ["A6", "2025-03-05 08:00", "辖区外", "", "", 10.0, 10.0, ""],
        ["A1", "2025-03-01 08:00", "重复编号", "", "", lat, lon, ""],
        ["A8", "2025-03-05 08:00", "满意度错", "", "", lat, lon, "很好"],
        ["", "2025-03-05 08:00", "缺编号", "", "", lat, lon, ""],
        ["A10", "2025-03-05 08:00", "坐标不是数", "", "", "abc", lon, ""],
    ]
    result = bulk_import.import_orders(
        db,
        rows=memory_table(header, rows).rows(),
        mapping=bulk_import.BUILTIN["civicgrid"],
        source="t",
    )
    problems = {p.row: p.reason for p in result.problems}
    assert sorted(problems) == [4, 5, 6, 7, 8, 9, 10, 11]
    assert "无法识别的时间" in problems[4]
    assert problems[5] == "时间早于上报时间"
    assert "无法识别的状态" in problems[6]
    assert problems[7] == "位置不在辖区范围内"
    assert problems[8] == "与第2行重复"
    assert result.inserted == 2
    landed = {o.code: o for o in db.scalars(select(WorkOrder).where(WorkOrder.code.like("t-%")))}
    assert set(landed) == {"t-A1", "t-A2"}
    assert landed["t-A1"].node_id == world.grids["D1-1"].id
    assert landed["t-A2"].status == "dispatched"
    # Bulk-written timestamps compare exactly with ORM-bound ones (same stored form).
    at = datetime(2025, 3, 1, 8, 0, tzinfo=LOCAL_TZ)
    exact = db.scalars(
        select(WorkOrder.code).where(WorkOrder.reported_at == at, WorkOrder.code.like("t-%"))
    ).all()
    assert sorted(exact) == ["t-A1", "t-A2"]


def test_mapping_file_validation() -> None:
    with pytest.raises(Invalid):
        bulk_import.OrderMapping.from_dict({"external_id": "id", "title": "t"})
    with pytest.raises(Invalid):
        bulk_import.OrderMapping.from_dict(
            {"external_id": "id", "reported_at": "t", "title": "x", "colour": "red"}
        )
    m = bulk_import.OrderMapping.from_dict(
        {"external_id": "id", "reported_at": "t", "title": ["a", "b"]}
    )
    assert m.title == ("a", "b")


def _orders(world: World, n: int, prefix: str) -> tuple[list[str], list[list[object]]]:
    lon, lat = centre(world.grid_cols["D1-1"])
    header = ["编号", "上报时间", "标题", "状态", "办结时间", "纬度", "经度", "满意度"]
    rows: list[list[object]] = []
    for i in range(n):
        rows.append(
            [f"{prefix}{i}", f"2025-03-01 08:{i % 60:02d}", f"第{i}号", "", "", lat, lon, ""]
        )
    return header, rows


def _indexes(db: Session) -> set[str]:
    if db.get_bind().dialect.name != "sqlite":
        return set()
    return set(
        db.execute(
            text("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'work_order'")
        ).scalars()
    )


def test_large_load_rebuilds_indexes_and_reports_across_chunks(
    db: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _indexes(db)
    suspended: list[list[str]] = []
    real_suspend = bulk_import.suspend_indexes

    def spy(*args: object, **kwargs: object) -> list[str]:
        suspended.append(real_suspend(*args, **kwargs))  # type: ignore[arg-type]
        return suspended[-1]

    monkeypatch.setattr(bulk_import, "suspend_indexes", spy)
    existing = db.scalar(select(func.max(WorkOrder.id))) or 0
    header, rows = _orders(world, existing + 300, "L")
    rows[7][1] = "not a time"  # chunk 1
    rows[130][0] = "L3"  # repeats row 5 (file row 5 = index 3), chunk 3
    rows[-1][5] = 95.0  # the last chunk: latitude out of range
    result = bulk_import.import_orders(
        db,
        rows=memory_table(header, rows),  # a Table: read column-wise from its records
        mapping=bulk_import.BUILTIN["civicgrid"],
        source="big",
        chunk_size=50,
        bulk_load_rows=100,
    )
    assert result.inserted == len(rows) - 3 and result.duplicates == 1 and result.rejected == 2
    problems = {p.row: p.reason for p in result.problems}
    assert [p.row for p in result.problems] == sorted(problems)  # the report is in row order
    assert "无法识别的时间" in problems[9]
    assert problems[132] == "与第5行重复"
    assert problems[len(rows) + 1] == "坐标超出范围"
    if db.get_bind().dialect.name == "sqlite":
        assert suspended and suspended[0]  # dropped once the load was large enough …
    assert _indexes(db) == before  # … and every index is back
    count = db.scalar(
        select(func.count()).select_from(WorkOrder).where(WorkOrder.code.like("big-%"))
    )
    assert count == result.inserted
    at = datetime(2025, 3, 1, 8, 7, tzinfo=LOCAL_TZ)
    assert db.scalar(select(WorkOrder.code).where(WorkOrder.code == "big-L67")) == "big-L67"
    assert "big-L67" in db.scalars(select(WorkOrder.code).where(WorkOrder.reported_at == at))


def test_failure_half_way_leaves_nothing(
    db: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _indexes(db)
    batches = db.scalar(select(func.count()).select_from(ImportBatch))
    calls = 0
    real_rows = bulk_import._rows

    def failing(*args: object, **kwargs: object) -> object:
        nonlocal calls
        calls += 1
        if calls == 4:
            raise RuntimeError("disk on fire")
        return real_rows(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(bulk_import, "_rows", failing)
    existing = db.scalar(select(func.max(WorkOrder.id))) or 0
    header, rows = _orders(world, existing + 300, "F")
    with pytest.raises(RuntimeError):
        bulk_import.import_orders(
            db,
            rows=memory_table(header, rows).rows(),
            mapping=bulk_import.BUILTIN["civicgrid"],
            source="half",
            chunk_size=max(50, (existing + 300) // 5),
            bulk_load_rows=1,
        )
    assert calls == 4
    # The session is still usable, and nothing of the import is left: no order, no batch, and
    # the indexes dropped for the load are back.
    assert not db.scalars(select(WorkOrder.id).where(WorkOrder.code.like("half-%"))).first()
    assert db.scalar(select(func.count()).select_from(ImportBatch)) == batches
    assert _indexes(db) == before


def test_unusable_numbers_are_row_problems(db: Session, world: World) -> None:
    header = ["留言编号", "留言时间", "留言主题", "点赞数"]
    rows = [
        ["1", "2025-03-01 08:00:00", "好", "3"],
        ["2", "2025-03-01 08:00:00", "大", "inf"],
        ["3", "2025-03-01 08:00:00", "小", "nan"],
        ["4", "2025-03-01 08:00:00", "多", "7.0"],
    ]
    result = bulk_import.import_orders(
        db,
        rows=memory_table(header, rows),
        mapping=bulk_import.BUILTIN["gov_messages"],
        source="likes",
        default_node_id=world.streets["东湖街道"].id,
    )
    assert {p.row: p.reason for p in result.problems} == {3: "点赞数不是数字", 4: "点赞数不是数字"}
    query = select(WorkOrder.code, WorkOrder.likes).where(WorkOrder.code.like("likes-%"))
    likes = {row.code: row.likes for row in db.execute(query)}
    assert likes == {"likes-1": 3, "likes-4": 7}
