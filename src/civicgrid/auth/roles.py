"""角色与权限 — the pure role → permission table (no database, no I/O).

A permission is a string ``"<resource>:<verb>"``. A role is a named set of permissions; a user holds
roles through assignments, each with a scope (see ``models.auth.RoleAssignment``). Adding a domain
means adding its permissions here, to the roles that need them, and a resource entry in
``auth.policy``. ADR 0004 explains the model.
"""

from __future__ import annotations

from enum import StrEnum

from civicgrid.kit.i18n import _


class Role(StrEnum):
    RESIDENT = "resident"  # 居民
    GRID_WORKER = "grid_worker"  # 网格员
    HOTLINE_OPERATOR = "hotline_operator"  # 12345 话务员
    DISPATCHER = "dispatcher"  # 指挥中心/街道调度
    DEPARTMENT_HANDLER = "department_handler"  # 职能部门
    LEADER = "leader"  # 社区/街道领导
    EVALUATOR = "evaluator"  # 第三方评估·纪检 (read-only auditor)
    ADMIN = "admin"  # 管理员
    SENSOR_GATEWAY = "sensor_gateway"  # 物联感知/数据碰撞接入 (a machine account with a token)


ROLE_LABELS: dict[Role, str] = {
    Role.RESIDENT: "居民",
    Role.GRID_WORKER: "网格员",
    Role.HOTLINE_OPERATOR: "12345 话务员",
    Role.DISPATCHER: "调度员",
    Role.DEPARTMENT_HANDLER: "职能部门",
    Role.LEADER: "领导",
    Role.EVALUATOR: "评估·审计",
    Role.ADMIN: "管理员",
    Role.SENSOR_GATEWAY: "物联感知接入",
}

# --- permissions ---------------------------------------------------------------------------------
ORG_READ = "org:read"
ORG_WRITE = "org:write"
REGISTRY_READ = "registry:read"
REGISTRY_WRITE = "registry:write"
REGISTRY_IMPORT = "registry:import"
REGISTRY_EXPORT = "registry:export"  # de-identified exports only
REGISTRY_UNMASK = "registry:unmask"  # see one personal field in clear, with a reason, logged
WORKORDER_READ = "workorder:read"
WORKORDER_CREATE = "workorder:create"
WORKORDER_HANDLE = "workorder:handle"
WORKORDER_DISPATCH = "workorder:dispatch"
WORKORDER_RATE = "workorder:rate"
WORKORDER_UNMASK = "workorder:unmask"
WORKORDER_LEAD = "workorder:lead"  # open orders from sensor alarms and data-collision leads
DASHBOARD_READ = "dashboard:read"
INTEL_READ = "intel:read"
INTEL_TRAIN = "intel:train"
EVALUATION_READ = "evaluation:read"
EVALUATION_WRITE = "evaluation:write"
SURVEY_READ = "survey:read"
LEDGER_READ = "ledger:read"
AUDIT_READ = "audit:read"  # the unmask access log
USER_READ = "user:read"
USER_MANAGE = "user:manage"
TOKEN_CREATE = "token:create"  # noqa: S105 (a permission name, not a secret)

_STAFF_BASE = frozenset({TOKEN_CREATE})

ROLE_PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.RESIDENT: frozenset({REGISTRY_READ, WORKORDER_CREATE, WORKORDER_READ, WORKORDER_RATE}),
    Role.GRID_WORKER: _STAFF_BASE
    | {
        ORG_READ,
        REGISTRY_READ,
        REGISTRY_WRITE,
        REGISTRY_IMPORT,
        REGISTRY_UNMASK,
        WORKORDER_READ,
        WORKORDER_CREATE,
        WORKORDER_HANDLE,
        WORKORDER_UNMASK,
        DASHBOARD_READ,
    },
    Role.HOTLINE_OPERATOR: _STAFF_BASE
    | {ORG_READ, WORKORDER_READ, WORKORDER_CREATE, WORKORDER_UNMASK},
    Role.DISPATCHER: _STAFF_BASE
    | {
        ORG_READ,
        REGISTRY_READ,
        WORKORDER_READ,
        WORKORDER_CREATE,
        WORKORDER_DISPATCH,
        WORKORDER_HANDLE,
        WORKORDER_UNMASK,
        DASHBOARD_READ,
        INTEL_READ,
    },
    Role.DEPARTMENT_HANDLER: _STAFF_BASE | {WORKORDER_READ, WORKORDER_HANDLE},
    Role.LEADER: _STAFF_BASE
    | {
        ORG_READ,
        REGISTRY_READ,
        REGISTRY_EXPORT,
        WORKORDER_READ,
        DASHBOARD_READ,
        INTEL_READ,
        EVALUATION_READ,
        SURVEY_READ,
        LEDGER_READ,
    },
    Role.EVALUATOR: _STAFF_BASE | {ORG_READ, EVALUATION_READ, SURVEY_READ, LEDGER_READ, AUDIT_READ},
    # Reads back only the orders it opened in its territory (to follow them up).
    Role.SENSOR_GATEWAY: _STAFF_BASE | {WORKORDER_CREATE, WORKORDER_LEAD, WORKORDER_READ},
}

ALL_PERMISSIONS: frozenset[str] = frozenset().union(*ROLE_PERMISSIONS.values()) | {
    ORG_WRITE,
    INTEL_TRAIN,
    EVALUATION_WRITE,
    USER_READ,
    USER_MANAGE,
}

# Administrators run the system; they do not use personal data, so unmasking is not theirs
# (an administrator who needs it grants themselves a role, which is itself on record).
ROLE_PERMISSIONS[Role.ADMIN] = ALL_PERMISSIONS - {REGISTRY_UNMASK, WORKORDER_UNMASK}


class ScopeKind(StrEnum):
    OWN = "own"  # only the subject's own records (residents)
    ASSIGNED = "assigned"  # the assignment's node subtree and/or department


SCOPE_KIND: dict[Role, ScopeKind] = {
    role: (ScopeKind.OWN if role is Role.RESIDENT else ScopeKind.ASSIGNED) for role in Role
}

# Roles whose assignment may carry no scope at all, meaning the whole system.
GLOBAL_SCOPE_ROLES = frozenset({Role.ADMIN, Role.EVALUATOR})
# Roles whose assignment must name a department.
DEPARTMENT_ROLES = frozenset({Role.DEPARTMENT_HANDLER})


def permissions_of(role: str) -> frozenset[str]:
    """The permissions a role grants (empty for an unknown role: deny by default)."""
    try:
        return ROLE_PERMISSIONS[Role(role)]
    except ValueError:
        return frozenset()


def scope_kind_of(role: str) -> ScopeKind:
    try:
        return SCOPE_KIND[Role(role)]
    except ValueError:
        return ScopeKind.OWN


def validate_scope(role: str, *, node_id: int | None, department: str | None) -> str | None:
    """Why an assignment of ``role`` with this scope is not allowed, or None when it is."""
    try:
        r = Role(role)
    except ValueError:
        return _("未知角色 {role}").format(role=role)
    if r is Role.RESIDENT:
        return None if node_id is None and department is None else _("居民角色不带管辖范围")
    if r in DEPARTMENT_ROLES and not department:
        return _("职能部门角色必须指定部门")
    if node_id is None and department is None and r not in GLOBAL_SCOPE_ROLES:
        return _("该角色必须指定管辖节点或部门")
    return None
