"""Key rotation as a service (both backends) and the demo accounts."""

from __future__ import annotations

import base64

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth import keys, totp
from civicgrid.auth.demo import demo_accounts_step
from civicgrid.auth.service import DEMO_ADMIN_TOTP_SECRET, create_demo_accounts
from civicgrid.kit.crypto import FieldCipher
from civicgrid.kit.timeutil import utcnow
from civicgrid.models import Base
from civicgrid.models.auth import RoleAssignment, User
from civicgrid.models.registry import Person
from tests.auth.conftest import People

OLD = "k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
NEW = "k2:" + base64.b64encode(b"R" * 32).decode()
SECRET = "test-secret-key-not-for-production"


def test_rotation_reencrypts_and_keeps_values(db: Session, people: People) -> None:
    cipher = FieldCipher.from_config(f"{NEW},{OLD}", SECRET)
    stale = keys.count_stale(db, Base.metadata, cipher)
    assert stale >= 4 * 4  # id number, phone, entity phone, reporter phone per planted person
    ticks: list[int] = []
    report = keys.rotate(db, Base.metadata, cipher, batch=2, progress=ticks.append)
    assert sum(ticks) == stale and report.total == stale and not report.not_encrypted
    assert keys.count_stale(db, Base.metadata, cipher) == 0
    new_only = FieldCipher.from_config(NEW, SECRET)
    for planted in people.all():
        row = db.execute(
            select(Person.id_number_enc, Person.phone_enc).where(Person.id == planted.person.id)
        ).one()
        assert new_only.decrypt(row[0]) == planted.id_number
        assert new_only.decrypt(row[1]) == planted.phone


def test_demo_accounts_one_per_role_and_idempotent(db: Session, client: TestClient) -> None:
    accounts = create_demo_accounts(db)
    roles = [r for _u, r, _p in accounts]
    assert sorted(roles) == sorted(
        ["resident", "grid_worker", "hotline_operator", "dispatcher", "department_handler",
         "leader", "evaluator", "admin"]
    )  # fmt: skip
    assert create_demo_accounts(db) == accounts
    assert db.scalars(select(User).where(User.username.like("demo-%"))).all().__len__() == 8
    worker = db.scalars(select(User).where(User.username == "demo-gridworker")).one()
    scope = db.scalars(select(RoleAssignment).where(RoleAssignment.user_id == worker.id)).one()
    assert scope.node_id is not None
    for username, _role, password in accounts:
        body = {"username": username, "password": password}
        if username == "demo-admin":
            body["totp"] = totp.code_at(DEMO_ADMIN_TOTP_SECRET, utcnow())
        client.cookies.clear()
        assert client.post("/api/auth/login", json=body).status_code == 200, username


class _Summary:
    def __init__(self) -> None:
        self.messages: list[str] = []


def test_demo_step_prints_the_accounts(db: Session) -> None:
    summary = _Summary()
    demo_accounts_step(db, summary)
    text = "\n".join(summary.messages)
    assert "demo-admin" in text and "admin-Demo-2026" in text and DEMO_ADMIN_TOTP_SECRET in text
