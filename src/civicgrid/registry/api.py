"""JSON routes of the population registry: scoped, masked reads and de-identified exports.

Every query takes its filter from ``auth.policy``; every personal field goes out masked
(``auth.masking``); the clear value is only ever available through ``POST /api/auth/unmask``.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import func, select

from civicgrid.auth import policy
from civicgrid.auth import roles as P
from civicgrid.auth.deidentify import (
    PERSON_COLUMNS,
    PERSON_COLUMNS_BY_YEAR,
    PersonRow,
    deidentify_people,
    pseudonym_key,
)
from civicgrid.auth.deps import CurrentSubject
from civicgrid.auth.masking import person_view
from civicgrid.config import get_settings
from civicgrid.kit.tabular import write_table
from civicgrid.kit.timeutil import LOCAL_TZ, utcnow
from civicgrid.kit.web import DB
from civicgrid.models.org import OrgNode, subtree_of
from civicgrid.models.registry import Person

router = APIRouter(prefix="/api/people", tags=["registry"])

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class PersonRead(BaseModel):
    id: int
    name: str
    gender: str | None
    birth_date: str | None
    id_number: str | None
    phone: str | None
    address: str | None
    node_id: int | None
    grid: str | None
    household_id: int | None
    relation: str | None
    tags: list[str]


class PersonPage(BaseModel):
    items: list[PersonRead]
    total: int
    limit: int
    offset: int


def _people(db: DB, subject: CurrentSubject, node_id: int | None, permission: str) -> Any:
    stmt = policy.readable(
        select(Person, OrgNode.name).outerjoin(OrgNode, OrgNode.id == Person.node_id),
        subject,
        Person,
        permission=permission,
    )
    if node_id is not None:
        node = db.get(OrgNode, node_id)
        path = node.path if node is not None else "/-1/"
        stmt = stmt.where(
            Person.node_id.in_(select(OrgNode.id).where(subtree_of(OrgNode.path, path)))
        )
    return stmt


def _export_rows(
    db: DB, subject: CurrentSubject, node_id: int | None, birth_year: bool
) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
    stmt = policy.readable(
        select(
            Person.id,
            Person.household_id,
            OrgNode.code,
            OrgNode.name,
            Person.gender,
            Person.birth_date,
            Person.tags,
        ).outerjoin(OrgNode, OrgNode.id == Person.node_id),
        subject,
        Person,
        permission=P.REGISTRY_EXPORT,
    )
    if node_id is not None:
        node = db.get(OrgNode, node_id)
        path = node.path if node is not None else "/-1/"
        stmt = stmt.where(
            Person.node_id.in_(select(OrgNode.id).where(subtree_of(OrgNode.path, path)))
        )
    rows = (
        PersonRow(r[0], r[1], r[2], r[3], r[4], r[5], tuple(r[6] or ()))
        for r in db.execute(stmt.order_by(Person.id))
    )
    today = utcnow().astimezone(LOCAL_TZ).date()
    key = pseudonym_key(get_settings().secret_key)
    data = list(deidentify_people(rows, key=key, today=today, birth_year=birth_year))
    return (PERSON_COLUMNS_BY_YEAR if birth_year else PERSON_COLUMNS), data


def _file_response(content: bytes, media_type: str, suffix: str) -> Response:
    name = f"people-deidentified-{date.today():%Y%m%d}.{suffix}"
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _write(suffix: str, header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"export.{suffix}"
        write_table(path, header, rows)
        return path.read_bytes()


@router.get("/export.csv", response_class=Response)
def export_csv(
    db: DB,
    subject: CurrentSubject,
    node_id: int | None = None,
    birth_year: bool = Query(False, description="出生年份代替年龄段"),
) -> Response:
    """De-identified extract (CSV, UTF-8 with BOM): pseudonymous ids, grid, gender, age band."""
    header, rows = _export_rows(db, subject, node_id, birth_year)
    return _file_response(_write("csv", header, rows), "text/csv; charset=utf-8", "csv")


@router.get("/export.xlsx", response_class=Response)
def export_xlsx(
    db: DB,
    subject: CurrentSubject,
    node_id: int | None = None,
    birth_year: bool = Query(False, description="出生年份代替年龄段"),
) -> Response:
    """De-identified extract (Excel): pseudonymous ids, grid, gender, age band."""
    header, rows = _export_rows(db, subject, node_id, birth_year)
    return _file_response(_write("xlsx", header, rows), XLSX_TYPE, "xlsx")


@router.get("", response_model=PersonPage)
def list_people(
    db: DB,
    subject: CurrentSubject,
    node_id: int | None = Query(None, description="只看该节点（含下级）"),
    q: str | None = Query(None, max_length=50, description="姓名包含"),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> PersonPage:
    """Residents within my scope, personal fields masked."""
    stmt = _people(db, subject, node_id, P.REGISTRY_READ)
    if q:
        stmt = stmt.where(Person.name.contains(q, autoescape=True))
    total = db.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = db.execute(stmt.order_by(Person.id).limit(limit).offset(offset)).all()
    items = [PersonRead(**person_view(p, grid)) for p, grid in rows]
    return PersonPage(items=items, total=int(total), limit=limit, offset=offset)


@router.get("/{person_id}", response_model=PersonRead)
def read_person(person_id: int, db: DB, subject: CurrentSubject) -> PersonRead:
    """One resident (404 when outside my scope), personal fields masked."""
    person = policy.access_person(db, subject, person_id)
    grid = db.get(OrgNode, person.node_id) if person.node_id is not None else None
    return PersonRead(**person_view(person, grid.name if grid else None))
