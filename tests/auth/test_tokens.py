"""API tokens: Bearer authentication, scoped permissions, expiry, immediate revocation."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth import tokens
from civicgrid.models.auth import ApiToken
from tests.auth.conftest import People
from tests.conftest import login


def _new_token(client: TestClient, permissions: list[str], days: int = 30) -> dict[str, object]:
    response = client.post(
        "/api/auth/tokens",
        json={"name": "巡查同步", "permissions": permissions, "expires_in_days": days},
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_token_authenticates_with_its_owners_scope(
    app, client: TestClient, db: Session, people: People
) -> None:  # type: ignore[no-untyped-def]
    login(client, "dh-worker")
    created = _new_token(client, ["registry:read"])
    raw = str(created["token"])
    assert raw.startswith(f"cg_{created['id']}_")
    stored = db.get(ApiToken, created["id"])
    assert stored is not None and raw.split("_", 2)[2] not in stored.secret_hash
    with TestClient(app) as machine:
        headers = {"Authorization": f"Bearer {raw}"}
        mine = machine.get(f"/api/people/{people['D1-1'].person.id}", headers=headers)
        assert mine.status_code == 200
        assert (
            machine.get(f"/api/people/{people['X1-1'].person.id}", headers=headers).status_code
            == 404
        )
        me = machine.get("/api/auth/me", headers=headers).json()
        assert me["via_token"] is True and me["permissions"] == ["registry:read"]
        # The token carries only what was asked for: no unmasking through it.
        unmask = machine.post(
            "/api/auth/unmask",
            headers=headers,
            json={"resource": "person", "id": people["D1-1"].person.id, "field": "phone",
                  "reason": "核实联系方式"},
        )  # fmt: skip
        assert unmask.status_code == 403


def test_revoked_token_stops_working_at_once(app, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    login(client, "dh-leader")
    created = _new_token(client, ["registry:read", "org:read"])
    headers = {"Authorization": f"Bearer {created['token']}"}
    with TestClient(app) as machine:
        assert machine.get("/api/auth/me", headers=headers).status_code == 200
        assert client.delete(f"/api/auth/tokens/{created['id']}").status_code == 204
        gone = machine.get("/api/auth/me", headers=headers)
        assert gone.status_code == 401
        assert "撤销" in gone.json()["error"]["message"]
    listed = client.get("/api/auth/tokens").json()
    assert listed[0]["revoked_at"] is not None and "token" not in listed[0]


def test_expired_and_malformed_tokens_are_refused(app, client: TestClient, db: Session) -> None:  # type: ignore[no-untyped-def]
    login(client, "dh-leader")
    created = _new_token(client, ["org:read"])
    token = db.get(ApiToken, created["id"])
    assert token is not None and token.expires_at is not None
    token.expires_at = token.expires_at - timedelta(days=31)
    db.flush()
    with TestClient(app) as machine:
        for value in (
            f"Bearer {created['token']}",
            "Bearer cg_1_short",
            f"Bearer cg_{created['id']}_{'A' * 43}",
            "Basic dXNlcjpwYXNz",
        ):
            assert machine.get("/api/auth/me", headers={"Authorization": value}).status_code == 401


def test_tokens_cannot_escalate_or_outlive_the_limit(client: TestClient) -> None:
    login(client, "dh-worker")
    escalate = client.post(
        "/api/auth/tokens", json={"name": "x", "permissions": ["user:manage"], "expires_in_days": 5}
    )
    assert escalate.status_code == 403
    unknown = client.post(
        "/api/auth/tokens", json={"name": "x", "permissions": ["nope:do"], "expires_in_days": 5}
    )
    assert unknown.status_code == 422
    too_long = client.post(
        "/api/auth/tokens",
        json={"name": "x", "permissions": ["org:read"], "expires_in_days": 5000},
    )
    assert too_long.status_code == 422


def test_cannot_revoke_someone_elses_token(app, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    login(client, "dh-leader")
    created = _new_token(client, ["org:read"])
    with TestClient(app) as other:
        login(other, "xs-leader")
        assert other.delete(f"/api/auth/tokens/{created['id']}").status_code == 404


def test_token_parsing_is_strict() -> None:
    assert tokens.parse("cg_12_" + "a" * 43) == (12, "a" * 43)
    for bad in ("cg__abc", "cg_x_" + "a" * 43, "xx_1_" + "a" * 43, "cg_1_" + "a" * 5, ""):
        assert tokens.parse(bad) is None


def test_bearer_requests_skip_csrf_but_cookie_requests_do_not(
    app, client: TestClient, db: Session
) -> None:  # type: ignore[no-untyped-def]
    login(client, "dh-leader")
    created = _new_token(client, ["token:create"])
    with TestClient(app) as machine:
        response = machine.post(
            "/api/auth/tokens",
            headers={"Authorization": f"Bearer {created['token']}"},
            json={"name": "child", "permissions": ["token:create"], "expires_in_days": 1},
        )
        assert response.status_code == 201
        assert "csrf" not in response.headers.get("set-cookie", "")  # no cookie for machines
    del client.headers["X-CSRF-Token"]
    no_csrf = client.post(
        "/api/auth/tokens", json={"name": "y", "permissions": ["org:read"], "expires_in_days": 1}
    )
    assert no_csrf.status_code == 403
    assert no_csrf.json()["error"]["code"] == "csrf_failed"
    assert len(list(db.scalars(select(ApiToken)))) == 2
