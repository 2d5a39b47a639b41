"""Resident registration with a phone number and a verification code."""

from __future__ import annotations

import logging
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth import registration
from civicgrid.models.auth import PhoneCode, User
from tests.auth.conftest import People, make_app

PHONE = "13607315566"
PASSWORD = "Maple-Window-2718"


def _request_code(client: TestClient, caplog: pytest.LogCaptureFixture, phone: str) -> str:
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="civicgrid.auth.registration"):
        assert client.post("/api/auth/register/code", json={"phone": phone}).status_code == 202
    message = next(r.getMessage() for r in caplog.records if "verification code" in r.getMessage())
    assert phone not in message  # the log shows a masked phone
    match = re.search(r": (\d{6})$", message)
    assert match is not None
    return match.group(1)


def test_register_then_log_in_with_the_phone(
    client: TestClient, db: Session, caplog: pytest.LogCaptureFixture
) -> None:
    code = _request_code(client, caplog, PHONE)
    response = client.post(
        "/api/auth/register",
        json={"phone": PHONE, "code": code, "password": PASSWORD, "display_name": "王阿姨"},
    )
    assert response.status_code == 201, response.text
    me = response.json()
    assert me["kind"] == "resident" and [r["role"] for r in me["roles"]] == ["resident"]
    user = db.scalars(
        select(User).where(User.kind == "resident", User.phone_index.is_not(None))
    ).one()
    assert PHONE not in user.username and PHONE not in (user.phone_enc or "")
    client.cookies.clear()
    login = client.post("/api/auth/login", json={"username": PHONE, "password": PASSWORD})
    assert login.status_code == 200
    assert login.json()["id"] == user.id
    # The code was consumed; a second registration with it fails.
    client.headers["X-CSRF-Token"] = client.cookies.get("cg_csrf") or ""
    again = client.post(
        "/api/auth/register", json={"phone": PHONE, "code": code, "password": PASSWORD}
    )
    assert again.status_code == 422


def test_wrong_codes_are_counted_and_exhaust_the_code(
    engine, db: Session, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(make_app(engine, db, rate_register="100/hour"))
    code = _request_code(client, caplog, PHONE)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(registration.MAX_TRIES):
        bad = client.post(
            "/api/auth/register", json={"phone": PHONE, "code": wrong, "password": PASSWORD}
        )
        assert bad.status_code == 422 and "验证码" in bad.json()["error"]["message"]
    assert db.scalars(select(PhoneCode)).one().attempts == registration.MAX_TRIES
    late = client.post(
        "/api/auth/register", json={"phone": PHONE, "code": code, "password": PASSWORD}
    )
    assert late.status_code == 422  # even the right code is dead now


def test_codes_are_limited_per_phone(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    _request_code(client, caplog, PHONE)
    again = client.post("/api/auth/register/code", json={"phone": PHONE})
    assert again.status_code == 429 and int(again.headers["Retry-After"]) == 60


def test_bad_phone_and_weak_password_are_refused(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    bad = client.post("/api/auth/register/code", json={"phone": "12345678901"})
    assert bad.status_code == 422 and "手机号" in bad.json()["error"]["message"]
    code = _request_code(client, caplog, PHONE)
    weak = client.post(
        "/api/auth/register", json={"phone": PHONE, "code": code, "password": "12345678901"}
    )
    assert weak.status_code == 422


def test_resident_is_linked_to_their_registry_record_and_sees_only_it(
    client: TestClient, caplog: pytest.LogCaptureFixture, people: People
) -> None:
    own = people["D1-2"]
    code = _request_code(client, caplog, own.phone)
    me = client.post(
        "/api/auth/register", json={"phone": own.phone, "code": code, "password": PASSWORD}
    ).json()
    assert me["person_id"] == own.person.id
    client.headers["X-CSRF-Token"] = client.cookies.get("cg_csrf") or ""
    listing = client.get("/api/people").json()
    assert [p["id"] for p in listing["items"]] == [own.person.id]
    assert client.get(f"/api/people/{people['D1-1'].person.id}").status_code == 404
    assert client.get("/api/people/export.csv").status_code == 403


def test_custom_sender_is_pluggable(db: Session) -> None:
    from civicgrid.config import Settings

    sent: list[tuple[str, str]] = []
    globals()["_OUTBOX"] = sent
    settings = Settings(sms_sender=f"{__name__}:_outbox_sender")
    registration.request_code(db, phone=PHONE, settings=settings)
    assert len(sent) == 1 and sent[0][0] == PHONE and len(sent[0][1]) == 6


def _outbox_sender(phone: str, code: str) -> None:
    globals()["_OUTBOX"].append((phone, code))
