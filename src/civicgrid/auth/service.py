"""Verbs on accounts: create users, grant and revoke roles, disable, set passwords, load subjects.

Logins and lock-outs are in ``auth.login``, web sessions in ``auth.sessions``, API tokens in
``auth.tokens``, TOTP in ``auth.totp``, resident registration in ``auth.registration``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from civicgrid.auth import fields
from civicgrid.auth.passwords import check_password, hash_password
from civicgrid.auth.roles import Role, permissions_of, validate_scope
from civicgrid.auth.subject import Grant, Subject
from civicgrid.config import Settings, get_settings
from civicgrid.errors import Conflict, Invalid, NotFound
from civicgrid.kit.i18n import _
from civicgrid.kit.timeutil import utcnow
from civicgrid.models.auth import ApiToken, AuthSession, RoleAssignment, User, UserKind
from civicgrid.models.org import OrgLevel, OrgNode, subtree_of

log = logging.getLogger(__name__)

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.\-]{2,63}$")


def normalize_username(raw: str) -> str:
    return (raw or "").strip().lower()


def get_user(session: Session, username: str) -> User | None:
    return session.scalars(
        select(User).where(User.username == normalize_username(username))
    ).first()


def get_user_or_raise(session: Session, username: str) -> User:
    user = get_user(session, username)
    if user is None:
        raise NotFound(_("用户 {name} 不存在").format(name=username))
    return user


def get_user_by_phone(session: Session, phone: str) -> User | None:
    index = fields.phone_index(fields.normalize_phone(phone))
    return session.scalars(select(User).where(User.phone_index == index)).first()


def create_user(
    session: Session,
    *,
    username: str,
    password: str | None,
    display_name: str = "",
    kind: str = UserKind.STAFF,
    phone: str | None = None,
    person_id: int | None = None,
    settings: Settings | None = None,
) -> User:
    """A new account; the password is checked (length, common words) and hashed with Argon2id."""
    name = normalize_username(username)
    if not _USERNAME.match(name):
        raise Invalid(
            _("用户名须为 3–64 位小写字母、数字或 _ . -，且以字母或数字开头"), field="username"
        )
    if get_user(session, name) is not None:
        raise Conflict(_("用户名 {name} 已存在").format(name=name), field="username")
    user = User(username=name, display_name=display_name.strip()[:100], kind=str(kind))
    if password is not None:
        check_password(password, username=name, settings=settings)
        user.password_hash = hash_password(password, settings)
        user.password_changed_at = utcnow()
    if phone:
        number = fields.normalize_phone(phone)
        index = fields.phone_index(number, settings)
        if session.scalars(select(User.id).where(User.phone_index == index)).first():
            raise Conflict(_("该手机号已注册"), field="phone")
        user.phone_enc = fields.encrypt(number, settings=settings)
        user.phone_index = index
    user.person_id = person_id
    session.add(user)
    session.flush()
    return user


def assign_role(
    session: Session,
    *,
    user: User,
    role: str,
    node: OrgNode | None = None,
    department: str | None = None,
    by: User | None = None,
) -> RoleAssignment:
    """Give ``user`` a role over a scope (an org node subtree, a department, both, or neither)."""
    department = (department or "").strip() or None
    problem = validate_scope(role, node_id=node.id if node else None, department=department)
    if problem:
        raise Invalid(problem, field="role")
    existing = session.scalars(
        select(RoleAssignment).where(
            RoleAssignment.user_id == user.id,
            RoleAssignment.role == role,
            RoleAssignment.node_id.is_(None) if node is None else RoleAssignment.node_id == node.id,
            RoleAssignment.department.is_(None)
            if department is None
            else RoleAssignment.department == department,
        )
    ).first()
    if existing is not None:
        return existing
    assignment = RoleAssignment(
        user_id=user.id,
        role=str(role),
        node_id=node.id if node else None,
        department=department,
        granted_by=by.id if by else None,
    )
    session.add(assignment)
    session.flush()
    return assignment


def revoke_role(session: Session, *, assignment: RoleAssignment) -> None:
    session.delete(assignment)
    session.flush()


def assignments_of(session: Session, user: User) -> list[tuple[RoleAssignment, OrgNode | None]]:
    rows = session.execute(
        select(RoleAssignment, OrgNode)
        .outerjoin(OrgNode, OrgNode.id == RoleAssignment.node_id)
        .where(RoleAssignment.user_id == user.id)
        .order_by(RoleAssignment.id)
    ).all()
    return [(a, n) for a, n in rows]


def disable_user(session: Session, *, user: User) -> None:
    """No more logins; open sessions end and tokens stop working at once."""
    now = utcnow()
    user.is_active = False
    user.disabled_at = now
    for s in session.scalars(
        select(AuthSession).where(AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None))
    ):
        s.revoked_at = now
    for t in session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ):
        t.revoked_at = now
    session.flush()


def enable_user(session: Session, *, user: User) -> None:
    user.is_active = True
    user.disabled_at = None
    session.flush()


def set_password(
    session: Session, *, user: User, password: str, settings: Settings | None = None
) -> None:
    check_password(password, username=user.username, settings=settings)
    user.password_hash = hash_password(password, settings)
    user.password_changed_at = utcnow()
    session.flush()


def totp_required_roles(settings: Settings | None = None) -> frozenset[str]:
    s = settings or get_settings()
    return frozenset(r.strip() for r in s.totp_required_roles.split(",") if r.strip())


def load_subject(
    session: Session,
    user: User,
    *,
    token: ApiToken | None = None,
    auth_session: AuthSession | None = None,
    ip: str | None = None,
    settings: Settings | None = None,
) -> Subject:
    """The subject for ``user``: grants from its assignments, narrowed by a token's permissions;
    no permission at all while a required second factor is owed."""
    grants: list[Grant] = []
    for assignment, node in assignments_of(session, user):
        perms = permissions_of(assignment.role)
        if token is not None:
            perms = perms & frozenset(token.permissions)
        grants.append(
            Grant(
                role=assignment.role,
                permissions=perms,
                node_id=assignment.node_id,
                node_path=node.path if node is not None else None,
                department=assignment.department,
            )
        )
    owed = False
    if token is None and {g.role for g in grants} & totp_required_roles(settings):
        owed = auth_session is None or not auth_session.mfa_ok
    if owed:
        grants = [Grant(g.role, frozenset(), g.node_id, g.node_path, g.department) for g in grants]
    return Subject(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        kind=user.kind,
        person_id=user.person_id,
        grants=tuple(grants),
        token_id=token.id if token is not None else None,
        session_id=auth_session.id if auth_session is not None else None,
        totp_enrolment_required=owed,
        ip=ip,
    )


def list_users(session: Session, *, where: Sequence[ColumnElement[bool]] = ()) -> list[User]:
    return list(session.scalars(select(User).where(*where).order_by(User.username)))


def count_users(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(User)) or 0)


# --- demo accounts -------------------------------------------------------------------------------

DEMO_ADMIN_TOTP_SECRET = "JBSWY3DPEHPK3PXPCIVICGRIDDEMOKEY"  # noqa: S105 (demo only, printed)
DEMO_DEPARTMENT = "城市管理局"


def demo_password(role: str) -> str:
    return f"{role.replace('_', '-')}-Demo-2026"


def create_demo_accounts(session: Session) -> list[tuple[str, str, str]]:
    """One account per role over the demo city, with known passwords: (username, role, password).

    Scopes: the first street and its first grid for street/grid roles, the root for the admin and
    the auditor, a department for the department handler. The administrator is pre-enrolled in
    TOTP with ``DEMO_ADMIN_TOTP_SECRET`` (printed by the demo). Idempotent.
    """
    root = session.scalars(
        select(OrgNode).where(OrgNode.parent_id.is_(None)).order_by(OrgNode.id)
    ).first()
    street = session.scalars(
        select(OrgNode).where(OrgNode.level == OrgLevel.STREET).order_by(OrgNode.id)
    ).first()
    grid = None
    if street is not None:
        grid = session.scalars(
            select(OrgNode)
            .where(OrgNode.level == OrgLevel.GRID, subtree_of(OrgNode.path, street.path))
            .order_by(OrgNode.id)
        ).first()
    street = street or root
    grid = grid or street
    plan: list[tuple[str, Role, OrgNode | None, str | None, str]] = [
        ("demo-resident", Role.RESIDENT, None, None, "演示居民"),
        ("demo-gridworker", Role.GRID_WORKER, grid, None, "演示网格员"),
        ("demo-hotline", Role.HOTLINE_OPERATOR, root, None, "演示话务员"),
        ("demo-dispatcher", Role.DISPATCHER, street, None, "演示调度员"),
        ("demo-department", Role.DEPARTMENT_HANDLER, None, DEMO_DEPARTMENT, "演示部门人员"),
        ("demo-leader", Role.LEADER, street, None, "演示领导"),
        ("demo-evaluator", Role.EVALUATOR, None, None, "演示评估员"),
        ("demo-admin", Role.ADMIN, None, None, "演示管理员"),
    ]
    created: list[tuple[str, str, str]] = []
    for username, role, node, department, display in plan:
        password = demo_password(role)
        user = get_user(session, username)
        if user is None:
            kind = UserKind.RESIDENT if role is Role.RESIDENT else UserKind.STAFF
            user = create_user(
                session, username=username, password=password, display_name=display, kind=kind
            )
        assign_role(session, user=user, role=role, node=node, department=department)
        if role is Role.ADMIN and user.totp_enabled_at is None:
            user.totp_secret_enc = fields.encrypt(DEMO_ADMIN_TOTP_SECRET)
            user.totp_enabled_at = utcnow()
        created.append((username, str(role), password))
    session.flush()
    log.info("demo accounts ready: %s", ", ".join(u for u, _r, _p in created))
    return created
