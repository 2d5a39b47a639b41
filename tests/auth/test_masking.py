"""Personal fields never leave unmasked without the permission; each permitted unmasking is logged;
de-identified exports carry no direct identifier."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth.deidentify import age_band, pseudonym, pseudonym_key
from civicgrid.config import get_settings
from civicgrid.kit.timeutil import LOCAL_TZ, utcnow
from civicgrid.models.auth import UnmaskLog, User
from tests.auth.conftest import People
from tests.auth.test_route_walk import endpoints, is_public, text_of
from tests.conftest import login


def _clear_values(people: People) -> list[str]:
    return [v for p in people.all() for v in p.secrets]


def test_people_api_masks_personal_fields(client: TestClient, people: People) -> None:
    login(client, "dh-dispatcher")
    page = client.get("/api/people").json()
    assert page["total"] == 2  # D1-1 and D1-2: the dispatcher's street
    first = next(p for p in page["items"] if p["id"] == people["D1-1"].person.id)
    assert first["id_number"] == "4301**********7714"
    assert first["phone"] == "138****0001"
    assert first["address"] == "东湖路18号3栋****"  # the building, not the flat
    assert first["name"] == "郑东湖" and first["grid"] == "D1-1网格"


def test_no_clear_value_anywhere_without_unmasking(
    client: TestClient,
    app,
    people: People,  # type: ignore[no-untyped-def]
) -> None:
    """Every GET route (JSON, HTML pages, CSV and Excel exports), every role: no clear value."""
    secrets = _clear_values(people)
    for username in ("dh-worker", "dh-leader", "admin"):
        client.cookies.clear()
        login(client, username)
        for ep in endpoints(app):
            if ep.method != "GET" or "{" in ep.path:
                continue
            text = text_of(client.get(ep.path))
            assert not [s for s in secrets if s in text], f"{username} GET {ep.path}"
        for planted in people.all():
            text = client.get(f"/api/people/{planted.person.id}").text
            assert not [s for s in secrets if s in text], f"{username} person {planted.grid}"


def test_unmask_needs_permission_scope_and_reason_and_is_logged(
    client: TestClient, db: Session, people: People
) -> None:
    target = people["D1-1"]
    body = {
        "resource": "person",
        "id": target.person.id,
        "field": "id_number",
        "reason": "核实低保资格",
    }

    login(client, "dh-leader")  # leaders read masked data but may not unmask
    assert client.post("/api/auth/unmask", json=body).status_code == 403
    client.cookies.clear()

    login(client, "dh-worker")
    no_reason = client.post("/api/auth/unmask", json={**body, "reason": "看"})
    assert no_reason.status_code == 422
    other_grid = client.post("/api/auth/unmask", json={**body, "id": people["D1-2"].person.id})
    missing = client.post("/api/auth/unmask", json={**body, "id": 987654321})
    assert other_grid.status_code == missing.status_code == 404
    assert other_grid.json() == missing.json()
    assert db.scalars(select(UnmaskLog)).all() == []  # refusals leave no clear value, no row

    shown = client.post("/api/auth/unmask", json=body)
    assert shown.status_code == 200 and shown.json()["value"] == target.id_number
    phone = client.post("/api/auth/unmask", json={**body, "field": "phone"})
    assert phone.json()["value"] == target.phone

    worker = db.scalars(select(User).where(User.username == "dh-worker")).one()
    rows = db.scalars(select(UnmaskLog).order_by(UnmaskLog.id)).all()
    assert [(r.user_id, r.resource, r.resource_id, r.field, r.reason) for r in rows] == [
        (worker.id, "person", target.person.id, "id_number", "核实低保资格"),
        (worker.id, "person", target.person.id, "phone", "核实低保资格"),
    ]
    assert all(r.node_id == target.person.node_id and r.at is not None for r in rows)
    unknown = client.post("/api/auth/unmask", json={**body, "field": "password_hash"})
    assert unknown.status_code == 404


def test_auditor_reads_the_access_log_within_scope(
    client: TestClient, db: Session, people: People
) -> None:
    login(client, "dh-worker")
    body = {
        "resource": "person",
        "id": people["D1-1"].person.id,
        "field": "phone",
        "reason": "电话回访",
    }
    assert client.post("/api/auth/unmask", json=body).status_code == 200
    client.cookies.clear()
    login(client, "xs-worker")
    xs = {**body, "id": people["X1-1"].person.id}
    assert client.post("/api/auth/unmask", json=xs).status_code == 200
    client.cookies.clear()
    login(client, "dh-evaluator")
    log = client.get("/api/auth/unmask-log").json()
    assert [(e["resource_id"], e["reason"]) for e in log] == [
        (people["D1-1"].person.id, "电话回访")
    ]
    client.cookies.clear()
    login(client, "dh-worker")
    assert client.get("/api/auth/unmask-log").status_code == 403


def test_work_order_reporter_phone_is_unmasked_through_the_same_path(
    client: TestClient, db: Session, people: People
) -> None:
    order = people["X1-1"].workorder
    login(client, "xs-dispatcher")
    body = {
        "resource": "workorder",
        "id": order.id,
        "field": "reporter_phone",
        "reason": "回访报告人",
    }
    assert client.post("/api/auth/unmask", json=body).json()["value"] == people["X1-1"].phone
    client.cookies.clear()
    login(client, "dh-dispatcher")
    assert client.post("/api/auth/unmask", json=body).status_code == 404


def test_deidentified_exports(client: TestClient, people: People) -> None:
    login(client, "dh-leader")
    key = pseudonym_key(get_settings().secret_key)
    response = client.get("/api/people/export.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert {r["pid"] for r in rows} == {
        pseudonym(key, "person", people[g].person.id) for g in ("D1-1", "D1-2")
    }
    assert set(rows[0]) == {"pid", "household", "grid_code", "grid", "gender", "age_band", "tags"}
    d11 = next(r for r in rows if r["grid"] == "D1-1网格")
    today = utcnow().astimezone(LOCAL_TZ).date()
    assert d11["age_band"] == age_band(people["D1-1"].person.birth_date, today)
    assert d11["tags"] == "elderly_alone"
    text = response.content.decode("utf-8-sig")
    for planted in people.all():
        for value in (planted.name, planted.id_number, planted.phone, planted.address):
            assert value not in text
        assert str(planted.person.birth_date) not in text
    by_year = client.get("/api/people/export.csv", params={"birth_year": True}).content
    assert b"birth_year" in by_year and b"age_band" not in by_year

    xlsx = client.get("/api/people/export.xlsx")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content), read_only=True).active
    assert sheet is not None
    cells = [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert len([c for c in cells if c.startswith("P-")]) == 2
    joined = "\n".join(cells)
    for planted in people.all():
        assert planted.name not in joined and planted.id_number not in joined

    client.cookies.clear()
    login(client, "dh-worker")  # grid workers may read, not export
    assert client.get("/api/people/export.csv").status_code == 403


def test_public_routes_show_no_personal_field(
    client: TestClient,
    app,
    people: People,  # type: ignore[no-untyped-def]
) -> None:
    """Anonymous reads (ledger, Open311 …) never carry an ID number, phone or exact address."""
    secrets = _clear_values(people)
    masked = [m for p in people.all() for m in p.markers[2:5:2]]  # masked ID number and phone
    checked = 0
    for ep in endpoints(app):
        if ep.method != "GET" or not is_public("GET", ep.path):
            continue
        for fmt in ("json", "xml") if "{fmt}" in ep.path else ("",):
            if set(ep.params) - {"fmt"}:
                continue
            response = client.get(ep.path.replace("{fmt}", fmt))
            text = text_of(response)
            assert not [s for s in secrets + masked if s in text], f"GET {ep.path} ({fmt})"
            checked += 1
    assert checked >= 3
