"""The population import end to end: a deliberately broken office file, as CSV (GBK) and XLSX."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from civicgrid.errors import Invalid
from civicgrid.models.registry import Household, ImportBatch, Person
from civicgrid.registry import codes, service
from civicgrid.registry.importer import ImportOptions, ImportResult
from civicgrid.registry.report import Level
from tests.fixtures.world import World, centre
from tests.registry.factory import (
    PEOPLE_HEADER,
    cipher,
    counts,
    id_number,
    person_by_id,
    write_csv,
    write_xlsx,
)

ID_A = id_number(dt.date(1950, 3, 1), 11, male=True)
ID_B = id_number(dt.date(1952, 7, 15), 12, male=False)
ID_C_BAD = codes.make_id_number("430102", dt.date(1960, 1, 1), 13, male=False)[:-1] + "X"
ID_D = id_number(dt.date(1970, 5, 5), 14)
ID_E = id_number(dt.date(1945, 12, 24), 15, male=False)  # already in the database
ID_F = id_number(dt.date(1990, 1, 1), 16, male=False)
ID_G = id_number(dt.date(1985, 6, 6), 17)
ID_H = id_number(dt.date(1988, 8, 8), 18, male=False)
ID_I = id_number(dt.date(1975, 3, 8), 19, male=True)
ID_J = id_number(dt.date(1966, 6, 1), 20)
assert codes.parse_id_number(ID_C_BAD) == codes.reason_id_check()

D11, D12, D21, X11 = centre(0), centre(1), centre(2), centre(3)
ADDR = "示范区东湖一社区幸福小区1栋1单元101室"


def broken_rows() -> list[list[Any]]:
    """Data rows 2..14 of the broken file (row 11 is blank)."""
    return [
        ["张伟", ID_A, "13800138001", "男", "1950-03-01", "H001", "户主", ADDR, *D11, "独居老人"],
        ["李娜", ID_B, "13800138002", "女", "1952/7/15", "H001", "配偶", ADDR, *D11, ""],
        ["王芳", ID_C_BAD, "13800138003", "女", "", "H002", "户主", "幸福小区2栋", *D12, ""],
        ["刘洋", ID_D, "1380013800", "男", "", "H003", "户主", "幸福小区3栋", *D12, ""],
        ["陈静", ID_F, "13800138006", "女", "1990-13-45", "H004", "户主", "东湖二社区", *D21, ""],
        ["杨磊", ID_G, "13800138007", "男", "", "H005", "户主", "外地", 100.0, 30.0, ""],
        ["张伟伟", ID_A, "13800138008", "男", "", "H006", "户主", "幸福小区6栋", *D11, ""],
        ["赵敏", ID_E, "13900139009", "女", "", "", "", "", *X11, "党员"],
        ["孙丽", ID_H, "13800138010", "男", "", "H007", "户主", "幸福小区7栋", *D11, ""],
        ["", "", "", "", "", "", "", "", "", "", ""],
        ["周杰", ID_I, "0731-88886666", "男", "1975年3月8日", "H007", "子", "幸福小区7栋", *D11,
         "低保、残疾人"],
        ["吴刚", ID_J, "13800138013", "男", "", "H008", "户主", "幸福小区8栋", *D11, "贫困户"],
        ["郑爽", "430102850101123", "13800138014", "女", "", "H009", "户主", "幸福小区9栋", *D11,
         ""],
    ]  # fmt: skip


PHONE_REASON = "联系电话格式不正确（应为11位手机号，或带区号的固定电话）"
DATE_REASON = (
    "日期无法识别：「1990-13-45」（可用 2024-01-05、2024/1/5、2024年1月5日 或 Excel 日期）"
)
TAG_REASON = "未知的人员类别：贫困户（可选：独居老人、残疾人、低保、留守儿童、党员、退役军人）"
EXPECTED = [
    (4, "身份证号", codes.reason_id_check(), Level.ERROR),
    (5, "联系电话", PHONE_REASON, Level.ERROR),
    (6, "出生日期", DATE_REASON, Level.ERROR),
    (7, "经度", "坐标不在辖区的任何网格内", Level.ERROR),
    (8, "身份证号", "与第 2 行身份证号重复（同一人只导入一次）", Level.ERROR),
    (10, "性别", "性别与身份证号不符，已按身份证号记为女", Level.WARNING),
    (13, "人员类别", TAG_REASON, Level.ERROR),
    (14, "身份证号", codes.reason_id_15(), Level.ERROR),
]


def add_existing(db: Session, world: World) -> Person:
    c = cipher()
    person = Person(
        name="赵敏",
        node_id=world.grids["D2-1"].id,
        id_number_enc=c.encrypt(ID_E),
        id_number_index=c.blind_index(ID_E),
        phone_enc=c.encrypt("13700137000"),
        phone_index=c.blind_index("13700137000"),
        gender="F",
        birth_date=dt.date(1945, 12, 24),
        address="西山一社区老街5号",
    )
    db.add(person)
    db.flush()
    return person


def report_of(result: ImportResult) -> list[tuple[int, str, str, str]]:
    return [(i.row, i.column, i.reason, i.level) for i in result.issues]


def check_landed(
    db: Session, world: World, result: ImportResult, existing: Person, extra_bad: int = 0
) -> None:
    """The good rows are all in the database, households linked, the existing person updated."""
    total, rejected = 12 + extra_bad, 7 + extra_bad
    assert (result.rows_total, result.rows_inserted, result.rows_updated) == (total, 4, 1)
    assert (result.rows_unchanged, result.rows_rejected, result.rows_warned) == (0, rejected, 1)
    landed = result.rows_inserted + result.rows_updated + result.rows_unchanged
    assert landed + result.rows_rejected == result.rows_total
    people = {p.name: p for p in db.scalars(select(Person))}
    assert set(people) == {"张伟", "李娜", "孙丽", "周杰", "赵敏"}
    c = cipher()
    zhang, li, sun, zhou = people["张伟"], people["李娜"], people["孙丽"], people["周杰"]
    assert c.decrypt(zhang.id_number_enc or "") == ID_A
    assert zhang.tags == ["elderly_alone"]
    assert zhang.node_id == world.grids["D1-1"].id
    assert (zhang.gender, zhang.birth_date) == ("M", dt.date(1950, 3, 1))
    assert zhang.household_id == li.household_id is not None
    assert sun.household_id == zhou.household_id is not None
    assert sun.gender == "F"  # the ID number wins over the contradicting 性别 column
    assert zhou.birth_date == dt.date(1975, 3, 8)
    assert sorted(zhou.tags) == ["disabled", "low_income"]
    assert c.decrypt(zhou.phone_enc or "") == "0731-88886666"
    codes_ = {h.code for h in db.scalars(select(Household))}
    assert codes_ == {"H001", "H007"}
    db.refresh(existing)
    assert existing.id == person_by_id(db, ID_E).id  # type: ignore[union-attr]
    assert c.decrypt(existing.phone_enc or "") == "13900139009"
    assert existing.phone_index == c.blind_index("13900139009")
    assert existing.node_id == world.grids["X1-1"].id
    assert existing.tags == ["party_member"]
    assert existing.address == "西山一社区老街5号"  # blank cell: kept, not cleared
    batch = db.get(ImportBatch, result.batch_id)
    assert batch is not None
    assert (batch.rows_total, batch.rows_inserted, batch.rows_updated) == (total, 4, 1)
    assert (batch.rows_unchanged, batch.rows_rejected) == (0, rejected)
    assert [(r["row"], r["reason"]) for r in batch.report] == [
        (i.row, i.reason) for i in result.issues
    ]
    for raw in (ID_A, ID_C_BAD, "1380013800", ID_E):
        assert all(raw not in str(r["value"]) for r in batch.report)


@pytest.mark.parametrize(
    ("threaded", "crypto_process"),
    [(True, False), (False, False), (True, True)],
    ids=["writer-thread", "synchronous", "crypto-process"],
)
def test_broken_gbk_csv(
    db: Session, world: World, tmp_path: Path, threaded: bool, crypto_process: bool
) -> None:
    existing = add_existing(db, world)
    path = write_csv(tmp_path / "人口.csv", PEOPLE_HEADER, broken_rows(), "gbk")
    options = ImportOptions(
        chunk_rows=4, threaded=threaded, crypto_process_rows=1 if crypto_process else None
    )
    result = service.import_file(db, kind="people", path=path, cipher=cipher(), options=options)
    assert result.encoding == "gbk"
    assert report_of(result) == EXPECTED
    masked = {i.row: i.value for i in result.issues}
    assert masked[4] == ID_C_BAD[:4] + "*" * 10 + ID_C_BAD[-4:]
    assert masked[5] == "138***3800"
    check_landed(db, world, result, existing)


def test_broken_xlsx(db: Session, world: World, tmp_path: Path) -> None:
    """Same file as Excel: a title row above the header, real date cells, an ID typed as a
    number (Excel keeps 15 digits), so every row number moves down by one."""
    existing = add_existing(db, world)
    rows: list[list[Any]] = [["东湖街道人口登记表（2026年）"], PEOPLE_HEADER]
    for row in broken_rows():
        if row[4] == "1950-03-01":
            row[4] = dt.datetime(1950, 3, 1)
        rows.append([None if v == "" else v for v in row])
    rows.append(["钱多", 4.30102198001011e17, "13800138015", "男", None, "H010", "户主", "x",
                 *D11, None])  # fmt: skip
    path = write_xlsx(tmp_path / "人口.xlsx", rows)
    result = service.import_file(db, kind="people", path=path, cipher=cipher())
    assert result.encoding is None
    lost = "身份证号被 Excel 存成了数字，后几位已丢失：请把该列设为“文本”后重新填写"
    expected = [(r + 1, col, reason, level) for r, col, reason, level in EXPECTED]
    expected = [
        (r, c, reason.replace("第 2 行", "第 3 行"), level) for r, c, reason, level in expected
    ]
    expected.append((16, "身份证号", lost, Level.ERROR))
    assert report_of(result) == expected
    check_landed(db, world, result, existing, extra_bad=1)


def test_gb18030_file(db: Session, world: World, tmp_path: Path) -> None:
    """A name with a character outside GBK only GB18030 can carry (four-byte sequence)."""
    rare = "𠀾"
    with pytest.raises(UnicodeEncodeError):
        rare.encode("gbk")
    number = id_number(dt.date(2001, 2, 3), 21)
    rows = [[f"王{rare}", number, "13800138021", "男", "", "", "", "", *D11, ""]]
    path = write_csv(tmp_path / "gb18030.csv", PEOPLE_HEADER, rows, "gb18030")
    result = service.import_file(db, kind="people", path=path, cipher=cipher())
    assert result.encoding == "gb18030"
    assert (result.rows_inserted, result.rows_rejected) == (1, 0)
    person = person_by_id(db, number)
    assert person is not None
    assert person.name == f"王{rare}"


def test_reimport_changes_nothing(db: Session, world: World, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", PEOPLE_HEADER, broken_rows(), "utf-8")
    first = service.import_file(db, kind="people", path=path, cipher=cipher())
    before = counts(db)
    again = service.import_file(db, kind="people", path=path, cipher=cipher())
    assert (again.rows_inserted, again.rows_updated) == (0, 0)
    assert again.rows_unchanged == first.rows_inserted
    assert counts(db)[:2] == before[:2]


def test_required_columns_and_mapping(db: Session, world: World, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "x.csv", ["名字", "证件"], [["张三", ID_A]], "utf-8")
    with pytest.raises(Invalid, match="缺少必需的列：身份证号"):
        service.import_file(db, kind="people", path=path, cipher=cipher())
    mapping = tmp_path / "m.yaml"
    mapping.write_text("id_number: 证件\n", encoding="utf-8")
    result = service.import_file(
        db,
        kind="people",
        path=path,
        cipher=cipher(),
        mapping=mapping,
        options=ImportOptions(scope=world.communities["东湖一社区"]),
    )
    assert (result.rows_inserted, result.rows_rejected) == (1, 0)
    person = person_by_id(db, ID_A)
    assert person is not None
    assert person.node_id == world.communities["东湖一社区"].id  # no location: the scope node


def test_scope_limits_where_rows_land(db: Session, world: World) -> None:
    rows = [["甲", ID_A, *D11], ["乙", ID_B, *X11], ["丙", ID_D, "", ""]]
    result = service.import_rows(
        db,
        kind="people",
        header=["姓名", "身份证号", "经度", "纬度"],
        rows=rows,
        cipher=cipher(),
        options=ImportOptions(scope=world.streets["东湖街道"]),
    )
    assert [(i.row, i.reason) for i in result.issues] == [(3, "坐标不在东湖街道的任何网格内")]
    assert (result.rows_inserted, result.rows_rejected) == (2, 1)
    third = person_by_id(db, ID_D)
    assert third is not None
    assert third.node_id == world.streets["东湖街道"].id


def test_grid_column_instead_of_coordinates(db: Session, world: World) -> None:
    grid = world.grids["X1-2"]
    rows = [["甲", ID_A, "X1-2网格"], ["乙", ID_B, grid.code], ["丙", ID_D, "不存在网格"]]
    result = service.import_rows(
        db, kind="people", header=["姓名", "身份证号", "所属网格"], rows=rows, cipher=cipher()
    )
    assert [(i.row, i.column) for i in result.issues] == [(4, "所属网格")]
    assert "不存在网格" in result.issues[0].reason
    for number in (ID_A, ID_B):
        person = person_by_id(db, number)
        assert person is not None
        assert person.node_id == grid.id


@pytest.mark.parametrize("error", [RuntimeError("disk full"), KeyboardInterrupt()])
def test_unexpected_error_leaves_nothing(
    db: Session, world: World, tmp_path: Path, error: BaseException
) -> None:
    """An error after some chunks were written rolls the whole import back, batch included."""
    existing = add_existing(db, world)
    before = counts(db)
    calls: list[int] = []

    def explode(done: int, _total: int | None) -> None:
        calls.append(done)
        if len(calls) == 2:
            raise error

    path = write_csv(tmp_path / "a.csv", PEOPLE_HEADER, broken_rows(), "gbk")
    with pytest.raises(type(error)):
        service.import_file(
            db,
            kind="people",
            path=path,
            cipher=cipher(),
            # a crash with the crypto process running: it is stopped, nothing it computed is written
            options=ImportOptions(
                chunk_rows=3,
                progress=explode,
                crypto_process_rows=1 if isinstance(error, RuntimeError) else None,
            ),
        )
    assert calls == [3, 6]  # two chunks had been written
    assert counts(db) == before
    db.refresh(existing)
    assert cipher().decrypt(existing.phone_enc or "") == "13700137000"
    assert person_by_id(db, ID_A) is None
    # the session is still usable: a later import in the same transaction works
    ok = service.import_file(db, kind="people", path=path, cipher=cipher())
    assert ok.rows_inserted == 4


def test_dry_run_writes_nothing(db: Session, world: World, tmp_path: Path) -> None:
    before = counts(db)
    path = write_csv(tmp_path / "a.csv", PEOPLE_HEADER, broken_rows(), "utf-8-sig")
    result = service.import_file(
        db, kind="people", path=path, cipher=cipher(), options=ImportOptions(dry_run=True)
    )
    assert result.encoding == "utf-8-sig"
    assert (result.rows_inserted, result.rows_rejected, result.batch_id) == (5, 7, None)
    assert counts(db) == before


def _person_indexes(db: Session) -> set[str]:
    from sqlalchemy import inspect

    return {i["name"] or "" for i in inspect(db.connection()).get_indexes("person")}


def test_bulk_load_rebuilds_indexes(db: Session, world: World, tmp_path: Path) -> None:
    """An initial load (empty table) drops the person indexes and builds them at the end; a failed
    one puts them back; the unique index still refuses a second copy of an ID number."""
    indexes = _person_indexes(db)
    assert "ix_person_id_number_index" in indexes
    sqlite = db.get_bind().dialect.name == "sqlite"
    cache = db.connection().exec_driver_sql("PRAGMA cache_size").scalar() if sqlite else None
    path = write_csv(tmp_path / "a.csv", PEOPLE_HEADER, broken_rows(), "utf-8")

    def explode(done: int, _total: int | None) -> None:
        raise RuntimeError("stop")

    with pytest.raises(RuntimeError):
        service.import_file(
            db,
            kind="people",
            path=path,
            cipher=cipher(),
            options=ImportOptions(bulk_load_rows=1, progress=explode),
        )
    assert _person_indexes(db) == indexes
    result = service.import_file(
        db, kind="people", path=path, cipher=cipher(), options=ImportOptions(bulk_load_rows=1)
    )
    assert result.rows_inserted == 5
    assert _person_indexes(db) == indexes
    if sqlite:  # the import's larger page cache was given back
        assert db.connection().exec_driver_sql("PRAGMA cache_size").scalar() == cache
    c = cipher()
    clone = Person(name="复制", id_number_index=c.blind_index(ID_A), id_number_enc=c.encrypt(ID_A))
    savepoint = db.begin_nested()
    db.add(clone)
    with pytest.raises(IntegrityError):
        db.flush()
    savepoint.rollback()


def test_thread_bound_sqlite_connection_falls_back_to_synchronous_writes(tmp_path: Path) -> None:
    """An engine made without ``check_same_thread=False`` still imports (writes on the caller's
    thread instead of the writer thread)."""
    from sqlalchemy import func

    from civicgrid.kit import migrate
    from civicgrid.kit.bulk import BulkWriter
    from civicgrid.kit.db import make_engine
    from tests.fixtures.world import build_world

    url = f"sqlite:///{tmp_path / 'plain.db'}"
    engine = make_engine(url, connect_args={"check_same_thread": True})
    migrate.upgrade(engine)
    with Session(engine) as session:
        build_world(session)
        probe = BulkWriter(session.connection(), threaded=True)
        assert probe._pool is None  # fell back to synchronous writes
        probe.close()
        result = service.import_rows(
            session,
            kind="people",
            header=["姓名", "身份证号", "经度", "纬度"],
            rows=[["甲", ID_A, *D11], ["乙", ID_B, *D12]],
            cipher=cipher(),
        )
        assert result.rows_inserted == 2
        assert session.scalar(select(func.count()).select_from(Person)) == 2
    engine.dispose()
