"""Helpers for registry tests: the test cipher, valid/invalid ID numbers, file writers."""

from __future__ import annotations

import csv
import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicgrid.kit.crypto import FieldCipher
from civicgrid.models.registry import Household, ImportBatch, Person
from civicgrid.registry.codes import ID_CHECK, make_id_number

PEOPLE_HEADER = [
    "姓名",
    "身份证号",
    "联系电话",
    "性别",
    "出生日期",
    "户号",
    "与户主关系",
    "现住址",
    "经度",
    "纬度",
    "人员类别",
]


def cipher() -> FieldCipher:
    return FieldCipher.from_config(
        os.environ["CIVICGRID_FIELD_KEYS"], os.environ["CIVICGRID_SECRET_KEY"]
    )


def id_number(birth: dt.date, seq: int = 1, *, male: bool = True, region: str = "430102") -> str:
    return make_id_number(region, birth, seq, male=male)


def wrong_check(number: str) -> str:
    """The same number with a check character that does not match."""
    right = number[-1]
    return number[:-1] + next(c for c in ID_CHECK if c != right)


def write_csv(
    path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]], encoding: str
) -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])
    return path


def write_xlsx(path: Path, rows: Sequence[Sequence[Any]]) -> Path:
    """Every row as given (title rows, header and blanks included), cells typed as given."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(list(row))
    wb.save(path)
    return path


def counts(db: Session) -> tuple[int, int, int]:
    return tuple(  # type: ignore[return-value]
        int(db.scalar(select(func.count()).select_from(m)) or 0)
        for m in (Person, Household, ImportBatch)
    )


def person_by_id(db: Session, number: str) -> Person | None:
    return db.scalar(select(Person).where(Person.id_number_index == cipher().blind_index(number)))
