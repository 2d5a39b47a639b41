"""动态口令 — TOTP second factor (RFC 6238, pyotp): enrolment, verification without replay.

The secret is encrypted at rest like any highly sensitive field. A code is accepted within one
30-second step either side of now, and never twice: the step of the last accepted code is stored
(RFC 6238 §5.2).
"""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp
from sqlalchemy.orm import Session

from civicgrid.auth import fields
from civicgrid.errors import Conflict, Invalid
from civicgrid.kit.i18n import _
from civicgrid.kit.timeutil import utcnow
from civicgrid.models.auth import AuthSession, User

ISSUER = "civicgrid"
STEP = 30


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, interval=STEP)


def code_at(secret: str, when: datetime) -> str:
    """The code for ``when`` (tests and the demo use it)."""
    return str(_totp(secret).at(when))


def provisioning_uri(secret: str, username: str) -> str:
    return str(_totp(secret).provisioning_uri(name=username, issuer_name=ISSUER))


def enabled(user: User) -> bool:
    return user.totp_enabled_at is not None and user.totp_secret_enc is not None


def verify(user: User, code: str | None, *, now: datetime | None = None) -> bool:
    """Check ``code`` against the user's secret; on success remember its step (no replay)."""
    if not code or user.totp_secret_enc is None:
        return False
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return False
    secret = fields.decrypt(user.totp_secret_enc)
    assert secret is not None
    when = now or utcnow()
    current = int(when.timestamp()) // STEP
    totp = _totp(secret)
    for step in (current - 1, current, current + 1):
        if user.totp_last_step is not None and step <= user.totp_last_step:
            continue
        if hmac.compare_digest(str(totp.at(step * STEP)), code):
            user.totp_last_step = step
            return True
    return False


def begin_enrolment(session: Session, *, user: User) -> tuple[str, str]:
    """A fresh secret (stored encrypted, not yet active) and its ``otpauth://`` URI for the app."""
    if enabled(user):
        raise Conflict(_("动态口令已启用；如需更换请先停用"))
    secret = pyotp.random_base32()
    user.totp_secret_enc = fields.encrypt(secret)
    user.totp_last_step = None
    session.flush()
    return secret, provisioning_uri(secret, user.username)


def confirm_enrolment(
    session: Session, *, user: User, code: str, auth_session: AuthSession | None = None
) -> None:
    """Activate TOTP once the user proves their app shows the right code."""
    if enabled(user):
        raise Conflict(_("动态口令已启用"))
    if user.totp_secret_enc is None:
        raise Invalid(_("请先获取动态口令密钥"), field="code")
    if not verify(user, code):
        raise Invalid(_("动态口令不正确"), field="code")
    user.totp_enabled_at = utcnow()
    if auth_session is not None:
        auth_session.mfa_ok = True
    session.flush()


def disable(session: Session, *, user: User, code: str) -> None:
    if not enabled(user):
        raise Conflict(_("动态口令未启用"))
    if not verify(user, code):
        raise Invalid(_("动态口令不正确"), field="code")
    user.totp_enabled_at = None
    user.totp_secret_enc = None
    user.totp_last_step = None
    session.flush()
