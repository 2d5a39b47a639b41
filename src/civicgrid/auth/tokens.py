"""API tokens for machines: ``Authorization: Bearer cg_<id>_<secret>``.

The secret has 256 bits of entropy, so a plain SHA-256 of it is a safe thing to store (a slow hash
protects guessable passwords, not random keys). Every request looks the token up — no cache — so a
revoked or expired token, a disabled owner or a revoked role stops working at once: the request
path (``resolve_subject``) reads token, owner and role assignments in one indexed query. A token
carries a subset of its owner's permissions and never outlives ``token_max_days``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from civicgrid.auth.roles import ALL_PERMISSIONS, permissions_of
from civicgrid.auth.subject import Grant, Subject
from civicgrid.config import Settings, get_settings
from civicgrid.errors import Invalid, PermissionDenied
from civicgrid.kit.i18n import _
from civicgrid.kit.timeutil import utcnow
from civicgrid.models.auth import ApiToken, RoleAssignment, User
from civicgrid.models.org import OrgNode

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


_T, _U, _A, _N = (cast(Table, m.__table__) for m in (ApiToken, User, RoleAssignment, OrgNode))
# Token, owner and the owner's role assignments (with their node's path): one row per assignment.
_SUBJECT_ROWS = (
    select(
        _T.c.secret_hash,
        _T.c.permissions,
        _T.c.expires_at,
        _T.c.revoked_at,
        _T.c.last_used_at,
        _U.c.id,
        _U.c.username,
        _U.c.display_name,
        _U.c.kind,
        _U.c.person_id,
        _U.c.is_active,
        _A.c.role,
        _A.c.node_id,
        _A.c.department,
        _N.c.path,
    )
    .select_from(
        _T.join(_U, _U.c.id == _T.c.user_id)
        .outerjoin(_A, _A.c.user_id == _U.c.id)
        .outerjoin(_N, _N.c.id == _A.c.node_id)
    )
    .where(_T.c.id == bindparam("token_id"))
    .order_by(_A.c.id)
)
_TOUCH = update(_T).where(_T.c.id == bindparam("token_id")).values(last_used_at=bindparam("now"))


def resolve_subject(session: Session, raw: str, *, ip: str | None = None) -> Subject | None:
    """The subject of a live token named by ``raw`` (active owner, grants narrowed to the token's
    permissions), or None. The same checks as ``resolve_token`` + ``service.load_subject``, in one
    round trip and without loading ORM objects: the hot path of every API request."""
    parsed = parse(raw)
    if parsed is None:
        return None
    token_id, secret = parsed
    rows = session.execute(_SUBJECT_ROWS, {"token_id": token_id}).all()
    digest = _digest(secret)  # same work whether or not the token exists
    if not rows:
        return None
    first = rows[0]
    if not hmac.compare_digest(first.secret_hash, digest):
        return None
    now = utcnow()
    if first.revoked_at is not None or not first.is_active:
        return None
    if first.expires_at is not None and first.expires_at <= now:
        return None
    if first.last_used_at is None or now - first.last_used_at >= _TOUCH_EVERY:
        session.execute(_TOUCH, {"token_id": token_id, "now": now})
    allowed = frozenset(first.permissions or ())
    grants = tuple(
        Grant(
            role=r.role,
            permissions=permissions_of(r.role) & allowed,
            node_id=r.node_id,
            node_path=r.path,
            department=r.department,
        )
        for r in rows
        if r.role is not None
    )
    return Subject(
        user_id=first.id,
        username=first.username,
        display_name=first.display_name,
        kind=first.kind,
        person_id=first.person_id,
        grants=grants,
        token_id=token_id,
        ip=ip,
    )


def revoke_token(session: Session, *, token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.flush()


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    return list(
        session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id))
    )
