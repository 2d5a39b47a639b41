"""登录 — password (+ TOTP) authentication with back-off and temporary locks.

Every attempt is a ``LoginAttempt`` row keyed by a keyed hash of the identifier typed (so a phone
number typed as a user name is never stored in clear) and by the client IP.

- Per account: after ``login_backoff_after`` failures each new try must wait 1, 2, 4 … 60 seconds
  after the previous failure; after ``login_lock_after`` failures the account is locked for
  ``login_lock_minutes``. Failures count within that window and since the last success.
- Per IP: ``login_ip_lock_after`` failures within the window lock the address (any account).
- A refused attempt (back-off or lock) is answered 429 with ``Retry-After`` before any password is
  checked, so the lock cannot be used to test passwords.

Failures are *returned*, not raised, so the caller can commit the attempt row and then answer 401.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicgrid.auth import fields, totp
from civicgrid.auth.passwords import verify_password
from civicgrid.auth.service import get_user, normalize_username
from civicgrid.config import Settings, get_settings
from civicgrid.errors import RateLimited
from civicgrid.kit.i18n import _
from civicgrid.kit.timeutil import utcnow
from civicgrid.models.auth import LoginAttempt, User

BAD_CREDENTIALS = "bad_credentials"
TOTP_REQUIRED = "totp_required"
TOTP_INVALID = "totp_invalid"
OK = "ok"


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    outcome: str
    mfa_ok: bool = False

    @property
    def ok(self) -> bool:
        return self.outcome == OK


def login_key(identifier: str, settings: Settings | None = None) -> str:
    ident = identifier.strip()
    if fields.looks_like_phone(ident):
        ident = "phone:" + fields.normalize_phone(ident)
    else:
        ident = "user:" + normalize_username(ident)
    return fields.keyed_hash("login", ident, settings)


def find_login_user(session: Session, identifier: str) -> User | None:
    """Staff log in with their user name, residents (and staff who registered one) with a phone."""
    if fields.looks_like_phone(identifier):
        index = fields.phone_index(fields.normalize_phone(identifier))
        return session.scalars(select(User).where(User.phone_index == index)).first()
    return get_user(session, identifier)


def _failures_since(session: Session, where: list[object], since: datetime) -> tuple[int, datetime]:
    row = session.execute(
        select(func.count(), func.max(LoginAttempt.at)).where(
            *where,  # type: ignore[arg-type]
            LoginAttempt.success.is_(False),
            LoginAttempt.at > since,
        )
    ).one()
    return int(row[0] or 0), row[1]


def check_throttle(
    session: Session, *, key: str, ip: str, now: datetime, settings: Settings | None = None
) -> None:
    """Raise ``RateLimited`` (with ``retry_after`` seconds) when this attempt must wait."""
    s = settings or get_settings()
    window = timedelta(minutes=s.login_lock_minutes)
    ip_failures, ip_last = _failures_since(session, [LoginAttempt.ip == ip], now - window)
    if ip_failures >= s.login_ip_lock_after:
        wait = (ip_last + window - now).total_seconds()
        raise RateLimited(
            _("该网络地址登录失败次数过多，请 {n} 分钟后再试").format(n=math.ceil(wait / 60)),
            retry_after=max(1, math.ceil(wait)),
        )
    last_success = session.scalar(
        select(func.max(LoginAttempt.at)).where(
            LoginAttempt.login_key == key, LoginAttempt.success.is_(True)
        )
    )
    since = max(now - window, last_success) if last_success else now - window
    failures, last = _failures_since(session, [LoginAttempt.login_key == key], since)
    if failures >= s.login_lock_after:
        wait = (last + window - now).total_seconds()
        raise RateLimited(
            _("登录失败次数过多，账号已临时锁定，请 {n} 分钟后再试").format(n=math.ceil(wait / 60)),
            retry_after=max(1, math.ceil(wait)),
        )
    if failures >= s.login_backoff_after:
        delay = min(2 ** (failures - s.login_backoff_after), 60)
        wait = (last + timedelta(seconds=delay) - now).total_seconds()
        if wait > 0:
            raise RateLimited(
                _("登录失败次数较多，请 {n} 秒后再试").format(n=math.ceil(wait)),
                retry_after=max(1, math.ceil(wait)),
            )


def _record(
    session: Session, *, key: str, user: User | None, ip: str, outcome: str, now: datetime
) -> None:
    session.add(
        LoginAttempt(
            login_key=key,
            user_id=user.id if user else None,
            ip=ip[:45],
            success=outcome == OK,
            reason=outcome,
            at=now,
        )
    )
    session.flush()


def authenticate(
    session: Session,
    *,
    identifier: str,
    password: str,
    totp_code: str | None = None,
    ip: str = "",
    now: datetime | None = None,
    settings: Settings | None = None,
) -> LoginResult:
    """Check a login. Raises ``RateLimited`` when throttled; otherwise records the attempt and
    returns the outcome (``ok``, ``bad_credentials``, ``totp_required``, ``totp_invalid``).

    ``mfa_ok`` on success says a second factor was verified; an administrator who has not yet
    enrolled TOTP gets a session that can do nothing but enrol (see ``service.load_subject``).
    """
    s = settings or get_settings()
    when = now or utcnow()
    key = login_key(identifier, s)
    check_throttle(session, key=key, ip=ip, now=when, settings=s)
    user = find_login_user(session, identifier)
    matches, new_hash = verify_password(user.password_hash if user else None, password, s)
    if user is None or not matches or not user.is_active:
        _record(session, key=key, user=user, ip=ip, outcome=BAD_CREDENTIALS, now=when)
        return LoginResult(None, BAD_CREDENTIALS)
    if new_hash is not None:
        user.password_hash = new_hash
    mfa_ok = False
    if totp.enabled(user):
        if not totp_code:
            # The password was right: not a failure, but no session either.
            return LoginResult(None, TOTP_REQUIRED)
        if not totp.verify(user, totp_code, now=when):
            _record(session, key=key, user=user, ip=ip, outcome=TOTP_INVALID, now=when)
            return LoginResult(None, TOTP_INVALID)
        mfa_ok = True
    _record(session, key=key, user=user, ip=ip, outcome=OK, now=when)
    user.last_login_at = when
    session.flush()
    return LoginResult(user, OK, mfa_ok=mfa_ok)
