"""JSON routes of accounts: login/logout/me, password, TOTP, API tokens, unmasking, registration,
user administration. Every route but login and registration needs a subject; scope comes from
``auth.policy``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import select

from civicgrid.auth import login, policy, registration, service, tokens, totp, unmask
from civicgrid.auth import roles as P
from civicgrid.auth.cookies import begin_session, end_session
from civicgrid.auth.deps import (
    CurrentSubject,
    client_ip,
    current_auth_session,
    hit_rate_limit,
    rate_limit,
    require,
    settings_of,
)
from civicgrid.auth.passwords import verify_password
from civicgrid.auth.roles import ROLE_LABELS, Role
from civicgrid.auth.schemas import (
    AssignmentCreate,
    CodeRequest,
    GrantRead,
    LoginIn,
    MeRead,
    PasswordChange,
    RegisterIn,
    TokenCreate,
    TokenCreated,
    TokenRead,
    TotpCode,
    TotpSetupRead,
    UnmaskIn,
    UnmaskLogRead,
    UnmaskRead,
    UserCreate,
    UserRead,
)
from civicgrid.auth.sessions import revoke_user_sessions
from civicgrid.auth.subject import Subject
from civicgrid.errors import Invalid, NotFound, PermissionDenied
from civicgrid.kit.i18n import _
from civicgrid.kit.web import DB
from civicgrid.models.auth import ApiToken, RoleAssignment, User
from civicgrid.models.org import OrgNode

router = APIRouter(prefix="/api/auth", tags=["auth"])


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}, "detail": message}, status)


def _grants(db: DB, user: User) -> list[GrantRead]:
    out = []
    for a, node in service.assignments_of(db, user):
        try:
            label = _(ROLE_LABELS[Role(a.role)])
        except ValueError:
            label = a.role
        out.append(
            GrantRead(
                role=a.role,
                role_label=label,
                node_id=a.node_id,
                node_name=node.name if node else None,
                department=a.department,
            )
        )
    return out


def _me(db: DB, subject: Subject) -> MeRead:
    user = db.get(User, subject.user_id)
    assert user is not None
    return MeRead(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        kind=user.kind,
        person_id=user.person_id,
        roles=_grants(db, user),
        permissions=sorted(subject.permissions),
        totp_enabled=totp.enabled(user),
        totp_enrolment_required=subject.totp_enrolment_required,
        via_token=subject.token_id is not None,
    )


def _user_read(db: DB, user: User) -> UserRead:
    return UserRead(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        kind=user.kind,
        is_active=user.is_active,
        totp_enabled=totp.enabled(user),
        roles=_grants(db, user),
        last_login_at=user.last_login_at,
    )


def _self(db: DB, subject: Subject) -> User:
    user = db.get(User, subject.user_id)
    if user is None:
        raise NotFound(_("用户不存在"))
    return user


# --- login / logout / me -------------------------------------------------------------------------


@router.post(
    "/login",
    response_model=MeRead,
    dependencies=[rate_limit("login", "rate_login")],
    responses={401: {"description": "用户名或密码错误，或需要动态口令"}, 429: {}},
)
def login_route(body: LoginIn, request: Request, response: Response, db: DB) -> Any:
    """Log in with a password (+ TOTP when enabled); sets the ``cg_session`` cookie."""
    result = login.authenticate(
        db,
        identifier=body.username,
        password=body.password,
        totp_code=body.totp,
        ip=client_ip(request),
        settings=settings_of(request),
    )
    if result.outcome == login.TOTP_REQUIRED:
        return _error(401, "totp_required", _("请输入动态口令"))
    if result.outcome == login.TOTP_INVALID:
        return _error(401, "totp_invalid", _("动态口令不正确"))
    if not result.ok or result.user is None:
        return _error(401, "bad_credentials", _("用户名或密码错误"))
    row = begin_session(request, response, db, user=result.user, mfa_ok=result.mfa_ok)
    return _me(db, service.load_subject(db, result.user, auth_session=row))


@router.post("/logout", status_code=204)
def logout_route(request: Request, db: DB, subject: CurrentSubject) -> Response:
    """End this web session (a token-authenticated call has no session to end)."""
    response = Response(status_code=204)
    end_session(request, response, db)
    return response


@router.get("/me", response_model=MeRead)
def me_route(db: DB, subject: CurrentSubject) -> MeRead:
    """Who I am: roles with their scopes, effective permissions, TOTP state."""
    return _me(db, subject)


@router.post("/password", status_code=204)
def change_password_route(body: PasswordChange, db: DB, subject: CurrentSubject) -> Response:
    """Change my password; every other session of mine ends."""
    user = _self(db, subject)
    ok, _new = verify_password(user.password_hash, body.current_password)
    if not ok:
        raise Invalid(_("当前密码不正确"), field="current_password")
    service.set_password(db, user=user, password=body.new_password)
    revoke_user_sessions(db, user_id=user.id, keep_id=subject.session_id)
    return Response(status_code=204)


# --- TOTP ----------------------------------------------------------------------------------------


@router.post("/totp/setup", response_model=TotpSetupRead)
def totp_setup_route(db: DB, subject: CurrentSubject) -> TotpSetupRead:
    """Start TOTP enrolment: a new secret and its otpauth:// URI for an authenticator app."""
    secret, uri = totp.begin_enrolment(db, user=_self(db, subject))
    return TotpSetupRead(secret=secret, otpauth_uri=uri)


@router.post("/totp/confirm", response_model=MeRead)
def totp_confirm_route(body: TotpCode, request: Request, db: DB, subject: CurrentSubject) -> MeRead:
    """Finish enrolment with a code from the app; this session counts as second-factor verified."""
    user = _self(db, subject)
    totp.confirm_enrolment(
        db, user=user, code=body.code, auth_session=current_auth_session(request)
    )
    return _me(db, service.load_subject(db, user, auth_session=current_auth_session(request)))


@router.post("/totp/disable", status_code=204)
def totp_disable_route(body: TotpCode, db: DB, subject: CurrentSubject) -> Response:
    """Turn TOTP off (not allowed for roles that require it)."""
    if subject.roles & service.totp_required_roles():
        raise PermissionDenied(_("该角色必须使用动态口令，不能停用"))
    totp.disable(db, user=_self(db, subject), code=body.code)
    return Response(status_code=204)


# --- API tokens ----------------------------------------------------------------------------------


@router.get("/tokens", response_model=list[TokenRead])
def list_tokens_route(db: DB, subject: CurrentSubject) -> list[ApiToken]:
    """My API tokens (secrets are never shown again)."""
    stmt = policy.readable(select(ApiToken), subject, ApiToken)
    return list(db.scalars(stmt.order_by(ApiToken.id)))


@router.post("/tokens", response_model=TokenCreated, status_code=201)
def create_token_route(body: TokenCreate, db: DB, subject: CurrentSubject) -> TokenCreated:
    """A new API token with a subset of my permissions; the secret is shown only here."""
    policy.require_permission(subject, P.TOKEN_CREATE)
    token, raw = tokens.create_token(
        db,
        user=_self(db, subject),
        name=body.name,
        permissions=body.permissions,
        expires_in_days=body.expires_in_days,
        granted_by=subject,
    )
    return TokenCreated.model_validate(
        {**TokenRead.model_validate(token).model_dump(), "token": raw}
    )


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token_route(token_id: int, db: DB, subject: CurrentSubject) -> Response:
    """Revoke one of my tokens; it stops working with the next request."""
    token = policy.access(db, subject, ApiToken, token_id, for_write=True)
    tokens.revoke_token(db, token=token)
    return Response(status_code=204)


# --- unmasking -----------------------------------------------------------------------------------


@router.post("/unmask", response_model=UnmaskRead)
def unmask_route(body: UnmaskIn, db: DB, subject: CurrentSubject) -> UnmaskRead:
    """See one personal field in clear: needs the permission, the record in scope and a reason;
    written to the access log."""
    value = unmask.unmask(
        db,
        subject=subject,
        resource=body.resource,
        object_id=body.id,
        field=body.field,
        reason=body.reason,
    )
    return UnmaskRead(resource=body.resource, id=body.id, field=body.field, value=value)


@router.get("/unmask-log", response_model=list[UnmaskLogRead])
def unmask_log_route(
    db: DB,
    subject: CurrentSubject,
    user_id: int | None = None,
    resource: str | None = None,
    resource_id: int | None = None,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0),
) -> list[Any]:
    """The access log of unmasked fields (auditors, within their scope)."""
    stmt = unmask.log_entries(subject, user_id=user_id, resource=resource, resource_id=resource_id)
    return list(db.scalars(stmt.limit(limit).offset(offset)))


# --- resident registration -----------------------------------------------------------------------


@router.post(
    "/register/code", status_code=202, dependencies=[rate_limit("register", "rate_register")]
)
def register_code_route(body: CodeRequest, db: DB) -> dict[str, str]:
    """Send a verification code to a phone (the demo writes it to the log)."""
    registration.request_code(db, phone=body.phone)
    return {"status": "sent"}


@router.post("/register", status_code=201, response_model=MeRead, responses={422: {}, 429: {}})
def register_route(body: RegisterIn, request: Request, response: Response, db: DB) -> Any:
    """Register a resident account with a verified phone; logs the new resident in."""
    hit_rate_limit(request, "register", settings_of(request).rate_register)
    if not registration.check_code(db, phone=body.phone, code=body.code):
        return _error(422, "invalid", _("验证码错误或已过期"))
    user = registration.register_resident(
        db, phone=body.phone, password=body.password, display_name=body.display_name
    )
    row = begin_session(request, response, db, user=user, mfa_ok=False)
    return _me(db, service.load_subject(db, user, auth_session=row))


# --- user administration -------------------------------------------------------------------------


@router.get("/users", response_model=list[UserRead])
def list_users_route(
    db: DB,
    subject: CurrentSubject,
    limit: int = Query(200, ge=1, le=1000),
    offset: int = Query(0, ge=0),
) -> list[UserRead]:
    """Users holding a role within my scope."""
    stmt = policy.readable(select(User), subject, User).order_by(User.username)
    return [_user_read(db, u) for u in db.scalars(stmt.limit(limit).offset(offset))]


@router.get("/users/{user_id}", response_model=UserRead)
def read_user_route(user_id: int, db: DB, subject: CurrentSubject) -> UserRead:
    return _user_read(db, policy.access_user(db, subject, user_id))


def _grant(db: DB, subject: Subject, user: User, body: AssignmentCreate | UserCreate) -> None:
    node = None
    if body.node_id is not None:
        node = db.get(OrgNode, body.node_id)
    if (body.node_id is not None and node is None) or not policy.covers_node(
        db, subject, body.node_id, P.USER_MANAGE
    ):
        raise NotFound(_("节点不存在"))
    by = db.get(User, subject.user_id)
    service.assign_role(db, user=user, role=body.role, node=node, department=body.department, by=by)


@router.post("/users", response_model=UserRead, status_code=201)
def create_user_route(
    body: UserCreate, db: DB, subject: Subject = require(P.USER_MANAGE)
) -> UserRead:
    """Create a staff account with its first role (inside my scope)."""
    user = service.create_user(
        db, username=body.username, password=body.password, display_name=body.display_name
    )
    _grant(db, subject, user, body)
    return _user_read(db, user)


@router.post("/users/{user_id}/roles", response_model=UserRead)
def grant_role_route(
    user_id: int, body: AssignmentCreate, db: DB, subject: Subject = require(P.USER_MANAGE)
) -> UserRead:
    """Give a user a role over a scope inside mine."""
    user = policy.access_user(db, subject, user_id, for_write=True)
    _grant(db, subject, user, body)
    return _user_read(db, user)


@router.delete("/users/{user_id}/roles/{assignment_id}", response_model=UserRead)
def revoke_role_route(
    user_id: int, assignment_id: int, db: DB, subject: Subject = require(P.USER_MANAGE)
) -> UserRead:
    user = policy.access_user(db, subject, user_id, for_write=True)
    assignment = db.get(RoleAssignment, assignment_id)
    if assignment is None or assignment.user_id != user.id:
        raise NotFound(_("角色分配不存在"))
    if not policy.covers_node(db, subject, assignment.node_id, P.USER_MANAGE):
        raise NotFound(_("角色分配不存在"))
    service.revoke_role(db, assignment=assignment)
    return _user_read(db, user)


@router.post("/users/{user_id}/disable", response_model=UserRead)
def disable_user_route(user_id: int, db: DB, subject: Subject = require(P.USER_MANAGE)) -> UserRead:
    """Disable an account: its sessions and tokens stop working at once."""
    user = policy.access_user(db, subject, user_id, for_write=True)
    if user.id == subject.user_id:
        raise Invalid(_("不能停用自己的账号"))
    service.disable_user(db, user=user)
    return _user_read(db, user)


@router.post("/users/{user_id}/enable", response_model=UserRead)
def enable_user_route(user_id: int, db: DB, subject: Subject = require(P.USER_MANAGE)) -> UserRead:
    user = policy.access_user(db, subject, user_id, for_write=True)
    service.enable_user(db, user=user)
    return _user_read(db, user)
