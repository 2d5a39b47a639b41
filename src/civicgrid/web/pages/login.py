"""登录 — the HTML login form and logout (the JSON equivalents are in ``auth.api``)."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from civicgrid.auth import login
from civicgrid.auth.cookies import begin_session, end_session
from civicgrid.auth.deps import OptionalSubject, client_ip, hit_rate_limit, settings_of
from civicgrid.errors import RateLimited
from civicgrid.kit.i18n import _
from civicgrid.kit.web import DB
from civicgrid.web.templating import render

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no host, no ``//``) may be redirected to."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    if any(c in target for c in "\r\n\t") or "\\" in target:
        return "/"
    return target


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, subject: OptionalSubject, next: str = "/") -> Response:
    if subject is not None and not subject.totp_enrolment_required:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html", {"next": safe_next(next), "error": None})


@router.post("/login", response_class=HTMLResponse)
def login_submit(
    request: Request,
    db: DB,
    username: str = Form("", max_length=64),
    password: str = Form("", max_length=256),
    totp: str = Form("", max_length=12),
    next: str = Form("/"),
) -> Response:
    target = safe_next(next)
    context = {"next": target, "username": username, "ask_totp": bool(totp)}
    try:
        hit_rate_limit(request, "login", settings_of(request).rate_login)
        result = login.authenticate(
            db,
            identifier=username,
            password=password,
            totp_code=totp or None,
            ip=client_ip(request),
            settings=settings_of(request),
        )
    except RateLimited as exc:
        response = render(request, "login.html", {**context, "error": exc.message}, 429)
        response.headers["Retry-After"] = str(exc.details.get("retry_after", 60))
        return response
    if result.outcome in (login.TOTP_REQUIRED, login.TOTP_INVALID):
        required = result.outcome == login.TOTP_REQUIRED
        error = _("请输入动态口令") if required else _("动态口令不正确")
        return render(request, "login.html", {**context, "error": error, "ask_totp": True}, 401)
    if not result.ok or result.user is None:
        return render(request, "login.html", {**context, "error": _("用户名或密码错误")}, 401)
    redirect = RedirectResponse(target, status_code=303)
    begin_session(request, redirect, db, user=result.user, mfa_ok=result.mfa_ok)
    return redirect


@router.post("/logout")
def logout_submit(request: Request, db: DB) -> Response:
    response = RedirectResponse("/login", status_code=303)
    end_session(request, response, db)
    return response
