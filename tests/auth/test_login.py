"""Logins: sessions and their cookie, wrong passwords, back-off then lock, TOTP, logout."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicgrid.auth import login as login_service
from civicgrid.auth import service, totp
from civicgrid.auth.passwords import hash_password, hasher
from civicgrid.config import Settings
from civicgrid.errors import RateLimited
from civicgrid.kit.timeutil import utcnow
from civicgrid.models.auth import AuthSession, LoginAttempt, User
from tests.auth.conftest import make_app
from tests.conftest import login
from tests.fixtures.accounts import ADMIN_TOTP_SECRET, PASSWORD


def _post_login(client: TestClient, username: str, password: str, **extra: str) -> Response:
    body = {"username": username, "password": password, **extra}
    return client.post("/api/auth/login", json=body)


def test_login_sets_a_hardened_session_cookie_and_me_shows_scope(client: TestClient) -> None:
    me = login(client, "dh-worker")
    assert me["username"] == "dh-worker"
    assert [r["role"] for r in me["roles"]] == ["grid_worker"]
    assert me["roles"][0]["node_name"] == "D1-1网格"
    assert "registry:unmask" in me["permissions"]
    cookie = next(
        h for h in client.get("/api/auth/me").request.headers.get_list("cookie")
    )  # the browser sends it back
    assert "cg_session=" in cookie


def test_session_cookie_flags(client: TestClient) -> None:
    response = _post_login(client, "dh-worker", PASSWORD)
    set_cookie = [h for h in response.headers.get_list("set-cookie") if h.startswith("cg_session=")]
    assert len(set_cookie) == 1
    flags = set_cookie[0].lower()
    assert "httponly" in flags
    assert "samesite=lax" in flags
    assert "secure" not in flags  # plain HTTP in tests


def test_session_cookie_is_secure_over_https(engine, db: Session) -> None:  # type: ignore[no-untyped-def]
    app = make_app(engine, db, https=True)
    with TestClient(app, base_url="https://testserver") as client:
        response = _post_login(client, "dh-worker", PASSWORD)
        flags = next(
            h for h in response.headers.get_list("set-cookie") if h.startswith("cg_session=")
        ).lower()
        assert "secure" in flags
        assert "strict-transport-security" in response.headers


def test_wrong_password_is_401_and_recorded_without_the_identifier(
    client: TestClient, db: Session
) -> None:
    response = _post_login(client, "13800001111", "not-the-password")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "bad_credentials"
    assert "cg_session" not in response.cookies
    attempts = list(db.scalars(select(LoginAttempt)))
    assert len(attempts) == 1 and attempts[0].success is False
    assert "13800001111" not in attempts[0].login_key  # a keyed hash, not the phone
    assert _post_login(client, "no-such-user", PASSWORD).status_code == 401


def test_unknown_user_and_wrong_password_give_the_same_answer(client: TestClient) -> None:
    a = _post_login(client, "dh-worker", "Wrong-Password-1")
    b = _post_login(client, "nobody-here", "Wrong-Password-1")
    assert a.status_code == b.status_code == 401
    assert a.json() == b.json()


def test_brute_force_is_slowed_then_locked(client: TestClient, db: Session) -> None:
    # Through the API: three failures, then the fourth try must wait (429 + Retry-After).
    for _ in range(3):
        assert _post_login(client, "dh-leader", "Guess-Number-1").status_code == 401
    slowed = _post_login(client, "dh-leader", PASSWORD)  # even the right password waits
    assert slowed.status_code == 429
    assert int(slowed.headers["Retry-After"]) >= 1
    assert "秒后再试" in slowed.json()["error"]["message"]

    # Through the service with a clock: waiting out each back-off, the 10th failure locks.
    settings = Settings()
    now = utcnow()
    key = login_service.login_key("dh-leader")
    for _ in range(7):
        now += timedelta(seconds=61)
        result = login_service.authenticate(
            db, identifier="dh-leader", password="Guess-Number-2", ip="10.0.0.9", now=now,
            settings=settings,
        )  # fmt: skip
        assert result.outcome == login_service.BAD_CREDENTIALS
    failures = db.scalar(
        select(func.count()).where(LoginAttempt.login_key == key, LoginAttempt.success.is_(False))
    )
    assert failures == 10
    with pytest.raises(RateLimited) as locked:
        login_service.authenticate(
            db, identifier="dh-leader", password=PASSWORD, ip="10.0.0.9",
            now=now + timedelta(minutes=5), settings=settings,
        )  # fmt: skip
    assert "锁定" in locked.value.message
    assert 5 * 60 <= locked.value.details["retry_after"] <= 10 * 60
    # After the lock window the right password works again and resets the count.
    later = now + timedelta(minutes=settings.login_lock_minutes, seconds=1)
    ok = login_service.authenticate(
        db, identifier="dh-leader", password=PASSWORD, ip="10.0.0.9", now=later, settings=settings
    )
    assert ok.ok
    again = login_service.authenticate(
        db, identifier="dh-leader", password="Guess-Number-3", ip="10.0.0.9",
        now=later + timedelta(seconds=1), settings=settings,
    )  # fmt: skip
    assert again.outcome == login_service.BAD_CREDENTIALS  # not throttled: counting restarted


def test_one_ip_guessing_many_accounts_is_locked(db: Session) -> None:
    settings = Settings(login_ip_lock_after=5)
    now = utcnow()
    for i in range(5):
        login_service.authenticate(
            db, identifier=f"user{i}", password="x", ip="203.0.113.7", now=now, settings=settings
        )
    with pytest.raises(RateLimited):
        login_service.authenticate(
            db, identifier="dh-worker", password=PASSWORD, ip="203.0.113.7", now=now,
            settings=settings,
        )  # fmt: skip
    # Another address is unaffected.
    assert login_service.authenticate(
        db, identifier="dh-worker", password=PASSWORD, ip="203.0.113.8", now=now, settings=settings
    ).ok


def test_password_is_rehashed_when_parameters_change(db: Session) -> None:
    old = Settings(password_time_cost=1, password_memory_kib=8192, password_parallelism=1)
    new = Settings(password_time_cost=2, password_memory_kib=16384, password_parallelism=1)
    user = db.scalars(select(User).where(User.username == "dh-hotline")).one()
    user.password_hash = hash_password(PASSWORD, old)
    db.flush()
    assert hasher(new).check_needs_rehash(user.password_hash)
    result = login_service.authenticate(
        db, identifier="dh-hotline", password=PASSWORD, settings=new
    )
    assert result.ok
    assert "$argon2id$" in user.password_hash and "m=16384,t=2" in user.password_hash
    assert not hasher(new).check_needs_rehash(user.password_hash)


def test_logout_ends_the_session_at_once(client: TestClient, db: Session) -> None:
    login(client, "dh-worker")
    stolen = client.cookies.get("cg_session")
    assert client.post("/api/auth/logout").status_code == 204
    assert client.get("/api/auth/me").status_code == 401
    client.cookies.set("cg_session", stolen or "")  # replaying the old cookie does not help
    assert client.get("/api/auth/me").status_code == 401
    assert db.scalars(select(AuthSession)).one().revoked_at is not None


def test_disabled_user_loses_sessions_and_cannot_log_in(client: TestClient, db: Session) -> None:
    login(client, "dh-worker")
    user = service.get_user_or_raise(db, "dh-worker")
    service.disable_user(db, user=user)
    assert client.get("/api/auth/me").status_code == 401
    assert _post_login(client, "dh-worker", PASSWORD).status_code == 401


def test_idle_session_expires(client: TestClient, db: Session) -> None:
    login(client, "dh-worker")
    row = db.scalars(select(AuthSession)).one()
    row.last_seen_at = utcnow() - timedelta(minutes=Settings().session_idle_minutes + 1)
    db.flush()
    assert client.get("/api/auth/me").status_code == 401


def test_admin_needs_totp_and_codes_are_not_replayed(client: TestClient) -> None:
    missing = _post_login(client, "admin", PASSWORD)
    assert missing.status_code == 401 and missing.json()["error"]["code"] == "totp_required"
    code = totp.code_at(ADMIN_TOTP_SECRET, utcnow())
    wrong = _post_login(client, "admin", PASSWORD, totp="000000" if code != "000000" else "111111")
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "totp_invalid"
    ok = _post_login(client, "admin", PASSWORD, totp=code)
    assert ok.status_code == 200, ok.text
    client.cookies.clear()
    replay = _post_login(client, "admin", PASSWORD, totp=code)
    assert replay.status_code == 401 and replay.json()["error"]["code"] == "totp_invalid"


def test_new_admin_must_enrol_totp_before_doing_anything(client: TestClient, db: Session) -> None:
    admin = service.create_user(db, username="new-admin", password="Fresh-Admin-4821")
    service.assign_role(db, user=admin, role="admin")
    me = client.post(
        "/api/auth/login", json={"username": "new-admin", "password": "Fresh-Admin-4821"}
    ).json()
    client.headers["X-CSRF-Token"] = client.cookies.get("cg_csrf") or ""
    assert me["totp_enrolment_required"] is True and me["permissions"] == []
    assert client.get("/api/auth/users").status_code == 403
    setup = client.post("/api/auth/totp/setup").json()
    assert setup["otpauth_uri"].startswith("otpauth://totp/civicgrid:new-admin")
    bad = client.post("/api/auth/totp/confirm", json={"code": "123456"})
    assert bad.status_code == 422 or totp.code_at(setup["secret"], utcnow()) == "123456"
    done = client.post(
        "/api/auth/totp/confirm", json={"code": totp.code_at(setup["secret"], utcnow())}
    )
    assert done.status_code == 200, done.text
    assert done.json()["totp_enrolment_required"] is False
    assert client.get("/api/auth/users").status_code == 200
    # Admins may not switch it off again.
    off = client.post(
        "/api/auth/totp/disable",
        json={"code": totp.code_at(setup["secret"], utcnow() + timedelta(seconds=30))},
    )
    assert off.status_code == 403


def test_staff_can_opt_into_totp(client: TestClient) -> None:
    login(client, "dh-dispatcher")
    secret = client.post("/api/auth/totp/setup").json()["secret"]
    now = utcnow()
    confirm = client.post("/api/auth/totp/confirm", json={"code": totp.code_at(secret, now)})
    assert confirm.status_code == 200
    client.cookies.clear()
    assert _post_login(client, "dh-dispatcher", PASSWORD).json()["error"]["code"] == "totp_required"
    later = totp.code_at(secret, now + timedelta(seconds=30))
    assert _post_login(client, "dh-dispatcher", PASSWORD, totp=later).status_code == 200


def test_change_password_checks_strength_and_ends_other_sessions(
    app,
    client: TestClient,  # type: ignore[no-untyped-def]
) -> None:
    login(client, "dh-leader")
    with TestClient(app) as other:
        login(other, "dh-leader")
        weak = client.post(
            "/api/auth/password",
            json={"current_password": PASSWORD, "new_password": "password123"},
        )
        assert weak.status_code == 422
        assert "常见" in weak.json()["error"]["message"]
        short = client.post(
            "/api/auth/password", json={"current_password": PASSWORD, "new_password": "aB3$x"}
        )
        assert short.status_code == 422 and "太短" in short.json()["error"]["message"]
        ok = client.post(
            "/api/auth/password",
            json={"current_password": PASSWORD, "new_password": "Lotus-Pond-Lantern-58"},
        )
        assert ok.status_code == 204
        assert client.get("/api/auth/me").status_code == 200
        assert other.get("/api/auth/me").status_code == 401


def test_html_login_form_uses_csrf_and_redirects_back(client: TestClient) -> None:
    assert client.get("/", follow_redirects=False).headers["location"] == "/login?next=/"
    page = client.get("/login?next=/")
    assert page.status_code == 200
    token = client.cookies.get("cg_csrf")
    assert token and f'value="{token}"' in page.text
    form = {"username": "dh-worker", "password": PASSWORD, "next": "/", "csrf_token": token}
    forged = client.post("/login", data={**form, "csrf_token": "forged.token"})
    assert forged.status_code == 403
    wrong = client.post("/login", data={**form, "password": "Not-It-At-All-9"})
    assert wrong.status_code == 401 and "用户名或密码错误" in wrong.text
    ok = client.post("/login", data=form, follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == "/"
    assert client.get("/").status_code == 200
    token = client.cookies.get("cg_csrf")  # renewed with the session
    assert token != form["csrf_token"]
    form["csrf_token"] = token
    evil = client.post("/login", data={**form, "next": "//evil.example/x"}, follow_redirects=False)
    assert evil.headers["location"] == "/"
    token = client.cookies.get("cg_csrf")  # that was a new login, hence a new session
    out = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 303
