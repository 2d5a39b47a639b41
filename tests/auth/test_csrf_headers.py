"""Security headers on every response; CSRF on form posts and cookie-authenticated writes."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from civicgrid.auth.middleware import new_csrf_token, valid_csrf_token
from tests.conftest import login


@pytest.mark.parametrize("path", ["/", "/login", "/health", "/api/auth/me", "/static/css/app.css"])
def test_security_headers_everywhere(client: TestClient, path: str) -> None:
    response = client.get(path, follow_redirects=False)
    csp = response.headers["content-security-policy"]
    assert (
        "script-src 'self';" in csp
        and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    )
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "strict-transport-security" not in response.headers  # only over HTTPS


def test_pages_have_no_inline_scripts(client: TestClient) -> None:
    login(client, "dh-leader")
    for path in ("/", "/login"):
        html = client.get(path).text
        for tag in html.split("<script")[1:]:
            head = tag.split(">", 1)[0]
            assert "src=" in head, f"inline script on {path}"
        assert " on" + "load=" not in html and "javascript:" not in html


def test_csrf_token_signature() -> None:
    secret = b"k" * 32
    token = new_csrf_token(secret)
    assert valid_csrf_token(secret, token)
    assert not valid_csrf_token(b"x" * 32, token)
    bound = new_csrf_token(secret, "session-a")
    assert valid_csrf_token(secret, bound, "session-a")
    assert not valid_csrf_token(secret, bound, "session-b")
    assert not valid_csrf_token(secret, bound)
    nonce, _sep, _sig = token.partition(".")
    assert not valid_csrf_token(secret, nonce + ".0123456789abcdef0123456789abcdef")
    assert not valid_csrf_token(secret, None)
    assert not valid_csrf_token(secret, "no-dot")


def test_cookie_authenticated_writes_need_the_header(client: TestClient) -> None:
    login(client, "dh-leader")
    token = client.headers.pop("X-CSRF-Token")
    refused = client.post("/api/auth/logout")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf_failed"
    assert client.get("/api/auth/me").status_code == 200  # still logged in
    english = client.post("/api/auth/logout", headers={"Accept-Language": "en"})
    assert "CSRF" in english.json()["error"]["message"]
    assert "页面" not in english.json()["error"]["message"]  # the refusal speaks English too
    wrong = client.post("/api/auth/logout", headers={"X-CSRF-Token": new_csrf_token(b"z" * 32)})
    assert wrong.status_code == 403
    assert client.post("/api/auth/logout", headers={"X-CSRF-Token": token}).status_code == 204


def test_form_posts_need_the_field_even_without_a_session(client: TestClient) -> None:
    client.get("/login")
    form = {"username": "dh-leader", "password": "whatever-it-is"}
    assert client.post("/login", data=form).status_code == 403
    token = client.cookies.get("cg_csrf")
    assert client.post("/login", data={**form, "csrf_token": token}).status_code == 401
    # A multipart form carries the token as a field too.
    multipart = client.post("/login", data=form, files={"csrf_token": (None, token)})
    assert multipart.status_code == 401
    # A text/plain "form" pretending to be JSON is still a form.
    plain = client.post(
        "/api/auth/login",
        content=b'{"username": "dh-leader", "password": "x"}',
        headers={"Content-Type": "text/plain"},
    )
    assert plain.status_code == 403


def test_json_without_cookie_is_exempt(client: TestClient) -> None:
    fresh = client.post("/api/auth/login", json={"username": "nobody", "password": "x"})
    assert fresh.status_code == 401  # reached the route


def test_token_from_before_login_is_replaced_and_dies(client: TestClient) -> None:
    client.get("/login")
    before = client.cookies.get("cg_csrf")
    login(client, "dh-leader")
    after = client.cookies.get("cg_csrf")
    assert after and after != before
    planted = client.post("/api/auth/logout", headers={"X-CSRF-Token": before or ""})
    assert planted.status_code == 403  # e.g. a token an attacker fixed in the victim's browser
    assert client.post("/api/auth/logout", headers={"X-CSRF-Token": after}).status_code == 204
