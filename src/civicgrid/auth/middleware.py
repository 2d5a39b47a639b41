"""Security middleware: response headers, CSRF, and the auth-specific error answers.

CSRF uses a signed double-submit cookie bound to the session: ``cg_csrf`` holds
``<nonce>.<HMAC(secret, nonce | SHA-256(session cookie))>`` (renewed when a login or logout changes
the session, so a token obtained or planted beforehand is useless), is readable by the page (not
HttpOnly) and must come back in an ``X-CSRF-Token`` header or a
``csrf_token`` form field on every state-changing request that a browser could send on its own:

- exempt: GET/HEAD/OPTIONS; requests with an ``Authorization`` header (API tokens are not sent by
  browsers automatically); JSON requests carrying no session cookie (a cross-site page cannot send
  ``application/json`` without a CORS preflight, which is never granted);
- checked: everything else — any unsafe request with a session cookie, and any form post
  (urlencoded, multipart, text/plain), including the login form.

Templates read the token from ``request.state.csrf_token``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from urllib.parse import parse_qs, quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from civicgrid.auth.ratelimit import limiter_from_url
from civicgrid.auth.sessions import SESSION_COOKIE
from civicgrid.config import Settings
from civicgrid.errors import RateLimited, Unauthenticated
from civicgrid.kit.i18n import _

log = logging.getLogger(__name__)

CSRF_COOKIE = "cg_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# Protocols whose requests authenticate with a key in the request itself, never with cookies
# (Open311 GeoReport v2 sends ``api_key`` in a form post): a forged cross-site request carries
# no credential there, so there is nothing for CSRF to steal.
CSRF_EXEMPT_PREFIXES = ("/open311/",)
MAX_FORM_BYTES = 64 * 1024 * 1024

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# FastAPI's Swagger UI page loads its script from a CDN and starts it inline: only that page.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: "
    "https://fastapi.tiangolo.com; object-src 'none'; frame-ancestors 'none'"
)


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, https: bool = False) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault(
                    "content-security-policy", DOCS_CSP if path == "/api/docs" else CSP
                )
                headers.setdefault("x-content-type-options", "nosniff")
                headers.setdefault("x-frame-options", "DENY")
                headers.setdefault("referrer-policy", "strict-origin-when-cross-origin")
                headers.setdefault("cross-origin-opener-policy", "same-origin")
                headers.setdefault(
                    "permissions-policy", "camera=(self), geolocation=(self), microphone=()"
                )
                if self.https:
                    headers.setdefault(
                        "strict-transport-security", "max-age=31536000; includeSubDomains"
                    )
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _sign(secret: bytes, nonce: str, session: str) -> str:
    bound = hashlib.sha256(session.encode("utf-8", "replace")).hexdigest()
    return hmac.new(secret, f"{nonce}|{bound}".encode(), hashlib.sha256).hexdigest()[:32]


def new_csrf_token(secret: bytes, session: str = "") -> str:
    """A token bound to the session cookie's value ("" before login)."""
    nonce = secrets.token_urlsafe(18)
    return f"{nonce}.{_sign(secret, nonce, session)}"


def valid_csrf_token(secret: bytes, token: str | None, session: str = "") -> bool:
    if not token or "." not in token or len(token) > 200:
        return False
    nonce, _sep, sig = token.partition(".")
    try:
        return hmac.compare_digest(_sign(secret, nonce, session), sig)
    except (TypeError, UnicodeEncodeError):
        return False


def _new_session_value(message: Message) -> str | None:
    """The session cookie a response sets ("" when it deletes it), or None if it leaves it."""
    for key, value in message.get("headers", []):
        if key.lower() == b"set-cookie" and value.startswith(SESSION_COOKIE.encode() + b"="):
            raw = value.split(b";", 1)[0].split(b"=", 1)[1].decode("latin-1").strip('"')
            return "" if b"max-age=0" in value.lower() or not raw else raw
    return None


def _cookie(headers: Headers, name: str) -> str | None:
    for part in headers.get("cookie", "").split(";"):
        key, _sep, value = part.strip().partition("=")
        if key == name:
            return value
    return None


class CSRFMiddleware:
    def __init__(self, app: ASGIApp, *, secret_key: str, https: bool = False) -> None:
        self.app = app
        self.https = https
        if not secret_key:
            log.warning("CIVICGRID_SECRET_KEY unset: CSRF tokens signed with a per-process key")
            secret_key = secrets.token_hex(32)
        self.secret = hashlib.sha256(b"civicgrid-csrf\x00" + secret_key.encode()).digest()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        cookie = _cookie(headers, CSRF_COOKIE)
        session = _cookie(headers, SESSION_COOKIE) or ""
        if "authorization" in headers and cookie is None and not session:
            # An API client with a bearer token and no cookies cannot be a forged cross-site
            # request, and renders no forms: no token to check, sign or hand out.
            scope.setdefault("state", {})["csrf_token"] = ""
            await self.app(scope, receive, send)
            return
        have_valid = valid_csrf_token(self.secret, cookie, session)
        token = cookie if have_valid and cookie else new_csrf_token(self.secret, session)
        scope.setdefault("state", {})["csrf_token"] = token

        if (
            scope["method"] not in SAFE_METHODS
            and not scope["path"].startswith(CSRF_EXEMPT_PREFIXES)
            and self._must_check(headers)
        ):
            submitted = headers.get(CSRF_HEADER)
            body: bytes | None = None
            if submitted is None:
                body, submitted = await self._form_token(headers, receive)
            if not (have_valid and submitted and hmac.compare_digest(submitted, token)):
                await _csrf_failure(scope, receive, send)
                return
            if body is not None:
                receive = _replay(body)

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                # A login or logout changes the session: the token follows it (a token obtained
                # before, or planted by someone else, stops working).
                new_session = _new_session_value(message)
                fresh = None if have_valid else token
                if new_session is not None and new_session != session:
                    fresh = new_csrf_token(self.secret, new_session)
                if fresh is not None:
                    flags = "Path=/; SameSite=Lax" + ("; Secure" if self.https else "")
                    MutableHeaders(scope=message).append(
                        "set-cookie", f"{CSRF_COOKIE}={fresh}; {flags}"
                    )
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    @staticmethod
    def _must_check(headers: Headers) -> bool:
        if "authorization" in headers:
            return False
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        has_session = _cookie(headers, SESSION_COOKIE) is not None
        return has_session or content_type != "application/json"

    async def _form_token(self, headers: Headers, receive: Receive) -> tuple[bytes, str | None]:
        """Read the whole body (to replay it) and find ``csrf_token`` in a form post."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_FORM_BYTES:
                return b"", None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        content_type = headers.get("content-type", "")
        if content_type.startswith("application/x-www-form-urlencoded"):
            values = parse_qs(body.decode("latin-1"), keep_blank_values=True).get(CSRF_FIELD)
            return body, values[0] if values else None
        if content_type.startswith("multipart/form-data"):
            return body, _multipart_field(body, content_type, CSRF_FIELD)
        return body, None


def _multipart_field(body: bytes, content_type: str, name: str) -> str | None:
    boundary = ""
    for part in content_type.split(";"):
        key, _sep, value = part.strip().partition("=")
        if key.lower() == "boundary":
            boundary = value.strip('"')
    if not boundary:
        return None
    marker = f'name="{name}"'.encode()
    for section in body.split(b"--" + boundary.encode()):
        head, _gap, rest = section.partition(b"\r\n\r\n")
        if marker in head and b"filename=" not in head:
            return rest.rstrip(b"\r\n").decode("ascii", "replace")
    return None


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


async def _csrf_failure(scope: Scope, receive: Receive, send: Send) -> None:
    message = _("页面已过期或请求来源不明（CSRF 校验失败），请刷新页面后重试")
    response = JSONResponse(
        {"error": {"code": "csrf_failed", "message": message}, "detail": message}, 403
    )
    await response(scope, receive, send)


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and request.url.path != "/health"


def install(app: FastAPI, settings: Settings) -> None:
    """Middleware (security headers outermost, then CSRF), the rate limiter and auth errors."""
    app.state.limiter = limiter_from_url(settings.redis_url)
    app.add_middleware(CSRFMiddleware, secret_key=settings.secret_key, https=settings.https)
    app.add_middleware(SecurityHeadersMiddleware, https=settings.https)

    @app.exception_handler(Unauthenticated)
    async def _unauthenticated(request: Request, exc: Unauthenticated) -> Response:
        if _wants_html(request):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)
        body = {"error": {"code": exc.code, "message": exc.message}, "detail": exc.message}
        return JSONResponse(body, 401, headers={"WWW-Authenticate": "Bearer"})

    @app.exception_handler(RateLimited)
    async def _rate_limited(_request: Request, exc: RateLimited) -> Response:
        retry = int(exc.details.get("retry_after", 60))
        body = {
            "error": {"code": exc.code, "message": exc.message, "retry_after": retry},
            "detail": exc.message,
        }
        return JSONResponse(body, 429, headers={"Retry-After": str(retry)})
