"""Highly sensitive values (ID numbers, phones, TOTP secrets, passwords, token secrets) are never
stored in clear: not in the SQLite file's bytes, not in any column of any PostgreSQL row."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, LargeBinary, Text, cast, select, text
from sqlalchemy.orm import Session

from civicgrid.app import create_app
from civicgrid.config import Settings
from civicgrid.kit import migrate
from civicgrid.kit.db import make_engine
from civicgrid.models import Base
from tests.auth.conftest import People, plant
from tests.fixtures.accounts import PASSWORD as SEED_PW
from tests.fixtures.accounts import build_accounts
from tests.fixtures.world import World, build_world

RESIDENT_PHONE = "13712349876"
PASSWORD = "Riverside-Kite-6402"


def exercise(client: TestClient, caplog: pytest.LogCaptureFixture, people: People) -> list[str]:
    """Drive every path that handles a secret; returns the secrets it saw."""
    seen: list[str] = []
    with caplog.at_level(logging.WARNING, logger="civicgrid.auth.registration"):
        client.post("/api/auth/register/code", json={"phone": RESIDENT_PHONE})
    code = re.search(r": (\d{6})$", caplog.records[-1].getMessage())
    assert code is not None
    registered = client.post(
        "/api/auth/register",
        json={"phone": RESIDENT_PHONE, "code": code.group(1), "password": PASSWORD},
    )
    assert registered.status_code == 201, registered.text
    client.cookies.clear()
    # Somebody types an ID number and a phone into the user-name field.
    planted = people["D1-1"]
    for ident in (planted.id_number, planted.phone):
        client.post("/api/auth/login", json={"username": ident, "password": PASSWORD + "x"})
    login = client.post("/api/auth/login", json={"username": "dh-worker", "password": SEED_PW})
    assert login.status_code == 200
    client.headers["X-CSRF-Token"] = client.cookies.get("cg_csrf") or ""
    unmasked = client.post(
        "/api/auth/unmask",
        json={
            "resource": "person",
            "id": planted.person.id,
            "field": "id_number",
            "reason": "核对身份",
        },
    )
    assert unmasked.json()["value"] == planted.id_number
    token = client.post(
        "/api/auth/tokens", json={"name": "t", "permissions": ["org:read"], "expires_in_days": 1}
    ).json()["token"]
    seen.append(token.split("_", 2)[2])
    secret = client.post("/api/auth/totp/setup").json()["secret"]
    seen.append(secret)
    seen.append(login.cookies.get("cg_session") or "")
    return [s for s in seen if s]


def sensitive_values(people: People) -> list[str]:
    values = [RESIDENT_PHONE, PASSWORD, SEED_PW]
    for p in people.all():
        values += [p.id_number, p.phone]
    return values


def scan_rows(session: Session) -> dict[str, list[str]]:
    """Every column of every table, read back as text with a raw SELECT."""
    found: dict[str, list[str]] = {}
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, LargeBinary):
                raw = session.execute(select(column)).scalars()
                values = [bytes(v).decode("utf-8", "replace") for v in raw if v is not None]
            else:
                values = list(session.execute(select(cast(column, Text))).scalars())
            found[f"{table.name}.{column.name}"] = [v for v in values if v is not None]
    return found


def test_no_clear_sensitive_value_in_any_row(
    client: TestClient,
    db: Session,
    people: People,
    caplog: pytest.LogCaptureFixture,
    backend: str,
) -> None:
    secrets = sensitive_values(people) + exercise(client, caplog, people)
    rows = scan_rows(db)
    assert any(people["D1-1"].name in v for v in rows["person.name"])  # the scan sees text
    assert rows["person.id_number_enc"] and rows["auth_user.phone_enc"]
    leaks = [
        f"{col}: {secret}"
        for col, values in rows.items()
        for secret in secrets
        if any(secret in v for v in values)
    ]
    assert not leaks, f"clear sensitive values stored ({backend}):\n" + "\n".join(leaks)


def test_sqlite_file_bytes_hold_no_clear_sensitive_value(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "rest.db"
    engine: Engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    with Session(engine, expire_on_commit=False) as session:
        world: World = build_world(session)
        build_accounts(session)
        people = plant(session, world)
        session.commit()
        people_values = sensitive_values(people)
        names = [p.name for p in people.all()]
    app = create_app(Settings(), engine=engine)  # real per-request transactions
    with TestClient(app) as client:
        secrets = people_values + exercise(client, caplog, people)
    with engine.connect() as conn:
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    engine.dispose()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("rest.db"))
    assert names[0].encode() in raw  # the scan reads what is there
    leaks = [s for s in secrets if s.encode() in raw]
    assert not leaks, f"clear sensitive values in the SQLite file: {leaks}"
