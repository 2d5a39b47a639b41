"""Request and response bodies of the account routes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64, description="用户名，或居民的手机号")
    password: str = Field(min_length=1, max_length=256)
    totp: str | None = Field(default=None, max_length=12, description="动态口令（已启用时必填）")


class GrantRead(BaseModel):
    role: str
    role_label: str
    node_id: int | None
    node_name: str | None
    department: str | None


class MeRead(BaseModel):
    id: int
    username: str
    display_name: str
    kind: str
    person_id: int | None
    roles: list[GrantRead]
    permissions: list[str]
    totp_enabled: bool
    totp_enrolment_required: bool
    via_token: bool


class PasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


class TotpSetupRead(BaseModel):
    secret: str
    otpauth_uri: str


class TotpCode(BaseModel):
    code: str = Field(min_length=6, max_length=12)


class TokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    permissions: list[str] = Field(min_length=1)
    expires_in_days: int = Field(default=90, ge=1)


class TokenRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    permissions: list[str]
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    created_at: datetime


class TokenCreated(TokenRead):
    token: str = Field(description="cg_<id>_<secret>；只显示这一次")


class UnmaskIn(BaseModel):
    resource: str = Field(description="person / household / entity / workorder")
    id: int
    field: str = Field(description="id_number / phone / address …")
    reason: str = Field(min_length=1, max_length=300, description="查看原因，记入访问日志")


class UnmaskRead(BaseModel):
    resource: str
    id: int
    field: str
    value: str | None


class UnmaskLogRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: int | None
    resource: str
    resource_id: int
    node_id: int | None
    field: str
    reason: str
    at: datetime


class CodeRequest(BaseModel):
    phone: str = Field(min_length=11, max_length=20)


class RegisterIn(BaseModel):
    phone: str = Field(min_length=11, max_length=20)
    code: str = Field(min_length=4, max_length=8)
    password: str = Field(min_length=1, max_length=256)
    display_name: str = Field(default="", max_length=100)


class UserRead(BaseModel):
    id: int
    username: str
    display_name: str
    kind: str
    is_active: bool
    totp_enabled: bool
    roles: list[GrantRead]
    last_login_at: datetime | None


class AssignmentCreate(BaseModel):
    role: str
    node_id: int | None = None
    department: str | None = Field(default=None, max_length=100)


class UserCreate(AssignmentCreate):
    username: str = Field(min_length=3, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    display_name: str = Field(default="", max_length=100)
