"""API tokens for machines: ``Authorization: Bearer cg_<id>_<secret>``.

The secret has 256 bits of entropy, so a plain SHA-256 of it is a safe thing to store (a slow hash
protects guessable passwords, not random keys). Every request looks the token up — no cache — so a
revoked or expired token stops working at once. A token carries a subset of its owner's
permissions and never outlives ``token_max_days``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth.roles import ALL_PERMISSIONS
from civicgrid.auth.subject import Subject
from civicgrid.config import Settings, get_settings
from civicgrid.errors import Invalid, PermissionDenied
from civicgrid.kit.i18n import _
from civicgrid.kit.timeutil import utcnow
from civicgrid.models.auth import ApiToken, User

PREFIX = "cg_"
_TOKEN = re.compile(r"^cg_(\d{1,18})_([A-Za-z0-9_\-]{20,100})$")
_TOUCH_EVERY = timedelta(seconds=60)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def create_token(
    session: Session,
    *,
    user: User,
    name: str,
    permissions: Iterable[str],
    expires_in_days: int | None = 90,
    granted_by: Subject | None = None,
    settings: Settings | None = None,
) -> tuple[ApiToken, str]:
    """A new token and its plaintext (shown once). ``permissions`` must be held by ``granted_by``
    (the subject creating it, when created through the API) and be known permissions."""
    s = settings or get_settings()
    perms = sorted(set(permissions))
    name = name.strip()
    if not name:
        raise Invalid(_("令牌名称不能为空"), field="name")
    if not perms:
        raise Invalid(_("令牌至少需要一项权限"), field="permissions")
    unknown = [p for p in perms if p not in ALL_PERMISSIONS]
    if unknown:
        raise Invalid(_("未知权限：{p}").format(p=", ".join(unknown)), field="permissions")
    if granted_by is not None:
        missing = [p for p in perms if not granted_by.has(p)]
        if missing:
            raise PermissionDenied(
                _("不能授予自己没有的权限：{p}").format(p=", ".join(missing)), permissions=missing
            )
    days = s.token_max_days if expires_in_days is None else expires_in_days
    if not 1 <= days <= s.token_max_days:
        raise Invalid(
            _("有效期须在 1 到 {n} 天之间").format(n=s.token_max_days), field="expires_in_days"
        )
    secret = secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name[:100],
        secret_hash=_digest(secret),
        permissions=perms,
        expires_at=utcnow() + timedelta(days=days),
    )
    session.add(token)
    session.flush()
    return token, f"{PREFIX}{token.id}_{secret}"


def parse(raw: str) -> tuple[int, str] | None:
    match = _TOKEN.match(raw.strip())
    if match is None:
        return None
    return int(match.group(1)), match.group(2)


def resolve_token(session: Session, raw: str) -> tuple[ApiToken, User] | None:
    """The live token named by ``raw`` and its active owner, or None."""
    parsed = parse(raw)
    if parsed is None:
        return None
    token_id, secret = parsed
    found = session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.id == token_id)
    ).first()
    if found is None:
        _digest(secret)  # same work either way
        return None
    token, user = found
    if not hmac.compare_digest(token.secret_hash, _digest(secret)):
        return None
    now = utcnow()
    if token.revoked_at is not None or not user.is_active:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if token.last_used_at is None or now - token.last_used_at >= _TOUCH_EVERY:
        token.last_used_at = now
        session.flush()
    return token, user


def revoke_token(session: Session, *, token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.flush()


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    return list(
        session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id))
    )
