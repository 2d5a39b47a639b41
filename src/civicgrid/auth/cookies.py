"""Session cookies for the JSON login route and the HTML login page alike.

``cg_session``: HttpOnly, SameSite=Lax, Secure when ``CIVICGRID_HTTPS`` is on, path ``/``.
"""

from __future__ import annotations

from fastapi import Request, Response
from sqlalchemy.orm import Session

from civicgrid.auth import sessions
from civicgrid.auth.deps import client_ip, settings_of
from civicgrid.models.auth import AuthSession, User


def begin_session(
    request: Request, response: Response, db: Session, *, user: User, mfa_ok: bool
) -> AuthSession:
    """Open a server-side session for ``user`` and set its cookie on ``response``."""
    settings = settings_of(request)
    row, raw = sessions.start_session(
        db,
        user=user,
        mfa_ok=mfa_ok,
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
        settings=settings,
    )
    response.set_cookie(
        sessions.SESSION_COOKIE,
        raw,
        max_age=settings.session_hours * 3600,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.https,
    )
    return row


def end_session(request: Request, response: Response, db: Session) -> None:
    """Revoke the session behind this request's cookie (if live) and clear the cookie."""
    live = sessions.resolve_session(
        db, request.cookies.get(sessions.SESSION_COOKIE), settings=settings_of(request)
    )
    if live is not None:
        sessions.end_session(db, auth_session=live[0])
    response.delete_cookie(
        sessions.SESSION_COOKIE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings_of(request).https,
    )
