"""Property: for any mix of good and bad rows, every good row lands, every bad row is reported
with its row number, and the counts add up — whatever the chunk size and writer mode."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicgrid.models.registry import Person
from civicgrid.registry import service
from civicgrid.registry.importer import ImportOptions
from civicgrid.registry.report import Level
from tests.fixtures.world import World, centre
from tests.registry.factory import cipher, id_number, person_by_id, wrong_check

HEADER = ["姓名", "身份证号", "联系电话", "出生日期", "经度", "纬度", "人员类别"]
KINDS = ("good", "good", "good", "bad_id", "bad_phone", "bad_date", "outside", "dup", "no_name",
         "bad_tag")  # fmt: skip


def make_rows(
    kinds: list[str], grid_cols: list[int]
) -> tuple[list[list[Any]], dict[str, str], set[int]]:
    """Rows for ``kinds``; returns (rows, good ID → name, bad row numbers)."""
    rows: list[list[Any]] = []
    good: dict[str, str] = {}
    bad: set[int] = set()
    for i, kind in enumerate(kinds):
        row_number = i + 2
        number = id_number(dt.date(1950, 1, 1) + dt.timedelta(days=37 * i), i % 500)
        lon, lat = centre(grid_cols[i % len(grid_cols)])
        row = [f"居民{i}", number, f"139{i:08d}", "", lon, lat, ""]
        if kind == "bad_id":
            row[1] = wrong_check(number)
        elif kind == "bad_phone":
            row[2] = f"12{i:08d}"
        elif kind == "bad_date":
            row[3] = "2001-02-30"
        elif kind == "outside":
            row[4], row[5] = 100.0, 30.0
        elif kind == "no_name":
            row[0] = ""
        elif kind == "bad_tag":
            row[6] = "重点人员"
        elif kind == "dup" and good:
            row[1] = next(iter(good))
        if kind == "good" or (kind == "dup" and row[1] == number):
            good[number] = row[0]
        else:
            bad.add(row_number)
        rows.append(row)
    return rows, good, bad


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    kinds=st.lists(st.sampled_from(KINDS), min_size=1, max_size=30),
    chunk_rows=st.integers(1, 7),
    threaded=st.booleans(),
    cols=st.lists(st.integers(0, 5), min_size=1, max_size=3),
)
def test_good_rows_land_bad_rows_reported(
    db: Session, world: World, kinds: list[str], chunk_rows: int, threaded: bool, cols: list[int]
) -> None:
    rows, good, bad = make_rows(kinds, cols)
    savepoint = db.begin_nested()
    try:
        before = int(db.scalar(select(func.count()).select_from(Person)) or 0)
        result = service.import_rows(
            db,
            kind="people",
            header=HEADER,
            rows=rows,
            cipher=cipher(),
            options=ImportOptions(chunk_rows=chunk_rows, threaded=threaded),
        )
        assert result.rows_total == len(rows)
        assert result.rows_inserted == len(good)
        assert result.rows_rejected == len(bad)
        assert set(result.rejected_rows) == bad
        assert all(i.level == Level.ERROR for i in result.issues)
        landed = result.rows_inserted + result.rows_updated + result.rows_unchanged
        assert landed + result.rows_rejected == result.rows_total
        after = int(db.scalar(select(func.count()).select_from(Person)) or 0)
        assert after - before == len(good)
        for number, name in good.items():
            person = person_by_id(db, number)
            assert person is not None
            assert person.name == name
    finally:
        savepoint.rollback()
