"""账号与权限 — users, role assignments × scope, API tokens, sessions, login attempts, unmask log.

Nothing secret is stored in clear: passwords are Argon2id hashes, session ids and API token
secrets are SHA-256 digests of high-entropy random strings, phone numbers and TOTP secrets are
encrypted (``kit.crypto.FieldCipher``) with a blind index for look-ups, and login attempts keep a
keyed hash of the identifier typed (which may be a phone number), not the identifier itself.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from civicgrid.kit.classification import DataLevel, level_info
from civicgrid.kit.timeutil import utcnow
from civicgrid.models.base import Base, TimestampMixin

INTERNAL = level_info(DataLevel.INTERNAL)
HIGHLY_SENSITIVE = level_info(DataLevel.HIGHLY_SENSITIVE)


class UserKind(StrEnum):
    STAFF = "staff"  # 工作人员
    RESIDENT = "resident"  # 居民


class User(TimestampMixin, Base):
    """An account. Staff log in with a username; residents with their phone number."""

    __tablename__ = "auth_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="", info=INTERNAL)
    kind: Mapped[str] = mapped_column(String(20), default=UserKind.STAFF)
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    phone_enc: Mapped[str | None] = mapped_column(Text, default=None, info=HIGHLY_SENSITIVE)
    phone_index: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), default=None, index=True
    )
    is_active: Mapped[bool] = mapped_column(default=True)
    disabled_at: Mapped[datetime | None] = mapped_column(default=None)
    totp_secret_enc: Mapped[str | None] = mapped_column(Text, default=None, info=HIGHLY_SENSITIVE)
    totp_enabled_at: Mapped[datetime | None] = mapped_column(default=None)
    totp_last_step: Mapped[int | None] = mapped_column(default=None)
    password_changed_at: Mapped[datetime | None] = mapped_column(default=None)
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)


class RoleAssignment(Base):
    """One role held by a user over a scope.

    Scope: ``node_id`` (an org node, covering its subtree), ``department`` (a functional
    department), both (that department inside that subtree), or neither (the whole system; admins
    and auditors only). Residents' assignments carry no scope: they see their own records.
    """

    __tablename__ = "auth_role_assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("auth_user.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(30))
    node_id: Mapped[int | None] = mapped_column(
        ForeignKey("org_node.id", ondelete="CASCADE"), default=None, index=True
    )
    department: Mapped[str | None] = mapped_column(String(100), default=None, index=True)
    granted_by: Mapped[int | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiToken(Base):
    """A machine token ``cg_<id>_<secret>``: only the SHA-256 of the secret is kept."""

    __tablename__ = "auth_api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("auth_user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    secret_hash: Mapped[str] = mapped_column(String(64))
    permissions: Mapped[list[str]] = mapped_column(default=list)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuthSession(Base):
    """A server-side web session; the cookie holds a random id, the table its SHA-256."""

    __tablename__ = "auth_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("auth_user.id", ondelete="CASCADE"), index=True)
    mfa_ok: Mapped[bool] = mapped_column(default=False)
    ip: Mapped[str | None] = mapped_column(String(45), default=None)
    user_agent: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class LoginAttempt(Base):
    """Every login attempt, for back-off and temporary locks (per account and per IP)."""

    __tablename__ = "auth_login_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    login_key: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(default=None, index=True)
    ip: Mapped[str] = mapped_column(String(45), default="")
    success: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str] = mapped_column(String(30), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_auth_login_attempt_key_at", "login_key", "at"),
        Index("ix_auth_login_attempt_ip_at", "ip", "at"),
    )


class PhoneCode(Base):
    """A verification code sent to a phone (resident registration); kept as a keyed hash."""

    __tablename__ = "auth_phone_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone_index: Mapped[str] = mapped_column(String(64), index=True)
    purpose: Mapped[str] = mapped_column(String(20), default="register")
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    consumed_at: Mapped[datetime | None] = mapped_column(default=None)


class UnmaskLog(Base):
    """访问日志 — who saw which personal field of whom, why and when."""

    __tablename__ = "auth_unmask_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("auth_user.id", ondelete="SET NULL"), index=True
    )
    resource: Mapped[str] = mapped_column(String(30))
    resource_id: Mapped[int]
    node_id: Mapped[int | None] = mapped_column(default=None, index=True)
    field: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(300))
    ip: Mapped[str | None] = mapped_column(String(45), default=None)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    __table_args__ = (Index("ix_auth_unmask_log_resource", "resource", "resource_id"),)
