"""Web sessions kept on the server: the cookie holds a random id, the table its SHA-256.

Server-side rows (rather than a signed cookie alone) make logout, disabling a user and changing a
password take effect at once. Sessions expire after ``session_hours`` and after
``session_idle_minutes`` without use.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from civicgrid.config import Settings, get_settings
from civicgrid.kit.timeutil import utcnow
from civicgrid.models.auth import AuthSession, User

SESSION_COOKIE = "cg_session"
_TOUCH_EVERY = timedelta(seconds=60)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("ascii", "replace")).hexdigest()


def start_session(
    session: Session,
    *,
    user: User,
    mfa_ok: bool,
    ip: str | None = None,
    user_agent: str | None = None,
    settings: Settings | None = None,
) -> tuple[AuthSession, str]:
    """A new session row and the cookie value that names it (shown once, never stored)."""
    s = settings or get_settings()
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    row = AuthSession(
        token_hash=_digest(raw),
        user_id=user.id,
        mfa_ok=mfa_ok,
        ip=ip,
        user_agent=(user_agent or "")[:200] or None,
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=s.session_hours),
    )
    session.add(row)
    session.flush()
    return row, raw


def resolve_session(
    session: Session, raw: str | None, *, settings: Settings | None = None
) -> tuple[AuthSession, User] | None:
    """The live session named by a cookie value and its active user, or None."""
    if not raw or len(raw) > 128:
        return None
    s = settings or get_settings()
    found = session.execute(
        select(AuthSession, User)
        .join(User, User.id == AuthSession.user_id)
        .where(AuthSession.token_hash == _digest(raw))
    ).first()
    if found is None:
        return None
    row, user = found
    now = utcnow()
    idle = timedelta(minutes=s.session_idle_minutes)
    if (
        row.revoked_at is not None
        or not user.is_active
        or row.expires_at <= now
        or row.last_seen_at + idle <= now
    ):
        return None
    if now - row.last_seen_at >= _TOUCH_EVERY:
        row.last_seen_at = now
        session.flush()
    return row, user


def end_session(session: Session, *, auth_session: AuthSession) -> None:
    auth_session.revoked_at = utcnow()
    session.flush()


def revoke_user_sessions(session: Session, *, user_id: int, keep_id: int | None = None) -> int:
    """End every open session of a user (except ``keep_id``); returns how many."""
    stmt = (
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    if keep_id is not None:
        stmt = stmt.where(AuthSession.id != keep_id)
    result = session.execute(stmt)
    session.flush()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
