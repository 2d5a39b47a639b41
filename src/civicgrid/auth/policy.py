"""权限策略 — THE one place that turns (subject, action, resource type) into a filter and a yes/no.

Routes and services never re-implement a check; they call:

- ``scope_filter(subject, Model)`` → a SQL condition selecting the rows the subject may read
  (``for_write=True`` for rows it may change); ``readable(stmt, subject, Model)`` applies it.
- ``access(session, subject, Model, id)`` (and ``access_person``, ``access_node`` …, Zulip's
  ``access_*_by_id`` style) → the object, or ``NotFound`` when it does not exist *or* lies outside
  the subject's scope (the same answer, so ids cannot be probed), or ``PermissionDenied`` when the
  subject lacks the permission for that resource type altogether (independent of the id).
- ``require_permission(subject, permission)`` for actions that are not about one row.

A resource type is a ``Resource`` entry: which permissions read and write it and how a row is tied
to the territory (a node column, a materialised path), to a department, and to its owner (for
residents). A new domain plugs in with one ``register(Resource(...))`` call in its own module,
e.g. ``register(Resource("mediation", Mediation, read=WORKORDER_READ, write=WORKORDER_HANDLE,
node=Mediation.node_id))``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, TypeVarTuple

from sqlalchemy import ColumnElement, Select, and_, bindparam, exists, false, or_, select, true
from sqlalchemy.orm import Session

from civicgrid.auth import roles as P
from civicgrid.auth.roles import ScopeKind
from civicgrid.auth.subject import Grant, Subject
from civicgrid.errors import NotFound, PermissionDenied
from civicgrid.kit.i18n import _
from civicgrid.models.auth import ApiToken, RoleAssignment, UnmaskLog, User
from civicgrid.models.evaluation import EvaluationRun
from civicgrid.models.org import OrgNode, subtree_of
from civicgrid.models.registry import Entity, Household, Person, Place
from civicgrid.models.workorder import WorkOrder

T = TypeVar("T")
Ts = TypeVarTuple("Ts")


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


OwnFilter = Callable[[Subject], ColumnElement[bool] | None]
GrantFilter = Callable[[Grant], ColumnElement[bool] | None]


@dataclass(frozen=True)
class Resource:
    """How one model is protected.

    ``node``: the column holding the org node a row hangs at (scoped by subtree).
    ``path``: for the org tree itself, the materialised path column.
    ``department``: the column naming the responsible department (department-scoped grants).
    ``own``: the condition selecting the subject's own rows (residents see only these; staff see
    them in addition to their scope), or None.
    ``custom``: escape hatch, the condition one grant allows (overrides node/path/department).
    """

    name: str
    model: type[Any]
    read: str
    write: str
    not_found: str
    node: Any = None
    path: Any = None
    department: Any = None
    own: OwnFilter | None = None
    custom: GrantFilter | None = None
    params: tuple[str, ...] = ()


_RESOURCES: dict[type[Any], Resource] = {}
_BY_NAME: dict[str, Resource] = {}
_BY_PARAM: dict[str, Resource] = {}


def register(resource: Resource) -> Resource:
    """Add (or replace) the protection entry of a model.

    ``params`` names the path parameters that carry ids of this resource (``"person_id"``):
    ``deps.guard`` checks them on every route of a guarded router, so a route added there later
    is scoped even if its handler forgets."""
    _RESOURCES[resource.model] = resource
    _BY_NAME[resource.name] = resource
    for param in resource.params:
        _BY_PARAM[param] = resource
    return resource


def resource_for_param(name: str) -> Resource | None:
    return _BY_PARAM.get(name)


def resource_for(model: type[Any]) -> Resource:
    try:
        return _RESOURCES[model]
    except KeyError:
        raise LookupError(f"no policy entry for {model.__name__}: register a Resource") from None


def resource_named(name: str) -> Resource | None:
    return _BY_NAME.get(name)


def registered() -> list[Resource]:
    return list(_RESOURCES.values())


# --- filters -------------------------------------------------------------------------------------


def _nodes_under(paths: list[str]) -> Select[Any]:
    return select(OrgNode.id).where(or_(*(subtree_of(OrgNode.path, p) for p in paths)))


def _grant_clause(res: Resource, grant: Grant) -> ColumnElement[bool] | None:
    """The rows of ``res`` one ASSIGNED grant covers; None when it covers none."""
    if res.custom is not None:
        return res.custom(grant)
    parts: list[ColumnElement[bool]] = []
    if grant.department is not None:
        if res.department is None:
            return None  # a department scope says nothing about rows without a department
        parts.append(res.department == grant.department)
    if grant.node_path is not None:
        if res.path is not None:
            parts.append(subtree_of(res.path, grant.node_path))
        elif res.node is not None:
            parts.append(res.node.in_(_nodes_under([grant.node_path])))
        else:
            return None
    return and_(*parts) if parts else true()


def scope_filter(
    subject: Subject,
    model: type[Any],
    *,
    for_write: bool = False,
    permission: str | None = None,
) -> ColumnElement[bool]:
    """SQL condition: the rows of ``model`` the subject may read (or write, or ``permission``)."""
    res = resource_for(model)
    perm = permission or (res.write if for_write else res.read)
    grants = subject.grants_for(perm)
    if not grants:
        return false()
    clauses: list[ColumnElement[bool]] = []
    own = res.own(subject) if res.own is not None else None
    if own is not None:
        clauses.append(own)
    for grant in grants:
        if grant.scope_kind is ScopeKind.OWN:
            continue
        if grant.is_global and res.custom is None:
            return true()
        clause = _grant_clause(res, grant)
        if clause is not None:
            clauses.append(clause)
    return or_(*clauses) if clauses else false()


def require_permission(subject: Subject, permission: str) -> None:
    """Raise ``PermissionDenied`` unless the subject holds ``permission`` in some scope."""
    if not subject.has(permission):
        raise PermissionDenied(_("没有权限执行此操作"), permission=permission)


def readable(
    stmt: Select[*Ts],
    subject: Subject,
    model: type[Any],
    *,
    for_write: bool = False,
    permission: str | None = None,
) -> Select[*Ts]:
    """``stmt`` restricted to what the subject may see; 403 when it holds no such permission."""
    res = resource_for(model)
    perm = permission or (res.write if for_write else res.read)
    require_permission(subject, perm)
    return stmt.where(scope_filter(subject, model, for_write=for_write, permission=perm))


def not_found(model: type[Any]) -> NotFound:
    """The one answer for "does not exist" and "not yours" alike."""
    return NotFound(_(resource_for(model).not_found))


def access(
    session: Session,
    subject: Subject,
    model: type[T],
    object_id: int,
    *,
    for_write: bool = False,
    permission: str | None = None,
) -> T:
    """The object if the subject may see (write) it; otherwise 404, exactly as if it did not exist.

    403 only when the subject lacks the permission for this resource type altogether, which says
    nothing about any particular id.
    """
    res = resource_for(model)
    perm = permission or (res.write if for_write else res.read)
    require_permission(subject, perm)
    pk = model.id  # type: ignore[attr-defined]
    stmt = select(model).where(pk == object_id, scope_filter(subject, model, permission=perm))
    obj = session.scalars(stmt).first()
    if obj is None:
        raise not_found(model)
    return obj


def can(
    session: Session,
    subject: Subject,
    model: type[Any],
    object_id: int,
    *,
    for_write: bool = False,
    permission: str | None = None,
) -> bool:
    """Yes/no form of ``access`` (never raises for a missing permission or object)."""
    res = resource_for(model)
    perm = permission or (res.write if for_write else res.read)
    if not subject.has(perm):
        return False
    pk = model.id
    stmt = select(pk).where(pk == object_id, scope_filter(subject, model, permission=perm))
    return session.execute(stmt.limit(1)).first() is not None


_NODE_PATH = select(OrgNode.path).where(OrgNode.id == bindparam("node_id"))


def covers_node(session: Session, subject: Subject, node_id: int | None, permission: str) -> bool:
    """Whether a grant of ``permission`` covers org node ``node_id`` (to create records there).

    The same answer as ``can(session, subject, OrgNode, node_id, permission=...)``, from the
    node's path (one prepared query) and the grants in hand: it runs on every record created."""
    grants = subject.grants_for(permission)
    if node_id is None:
        return any(g.is_global for g in grants)
    if not grants:
        return False
    res = resource_for(OrgNode)
    if any(x is not None for x in (res.custom, res.own, res.node, res.department)) or (
        res.path is not OrgNode.path
    ):  # registered differently: the general filter decides
        return can(session, subject, OrgNode, node_id, permission=permission)
    path = session.scalar(_NODE_PATH, {"node_id": node_id})
    return path is not None and any(_grant_covers_path(g, path) for g in grants)


def _grant_covers_path(grant: Grant, path: str) -> bool:
    """``scope_filter`` for the org tree, for one grant and one node path, in Python."""
    if grant.scope_kind is ScopeKind.OWN:
        return False
    if grant.is_global:
        return True
    if grant.department is not None:
        return False  # a department scope says nothing about org nodes
    return grant.node_path is None or path.startswith(grant.node_path)


def scope_roots(session: Session, subject: Subject, permission: str) -> list[OrgNode | None]:
    """The top nodes of the subject's territory for ``permission``: ``[None]`` when a grant covers
    the whole system, otherwise the grants' nodes without those nested in another (403 when the
    subject holds no such permission). For "show me my part of the tree" screens."""
    require_permission(subject, permission)
    grants = [g for g in subject.grants_for(permission) if g.scope_kind is ScopeKind.ASSIGNED]
    if any(g.is_global for g in grants):
        return [None]
    paths = sorted({g.node_path for g in grants if g.node_path is not None}, key=len)
    tops: list[str] = []
    for path in paths:
        if not any(path.startswith(t) for t in tops):
            tops.append(path)
    if not tops:
        return []
    nodes = session.scalars(select(OrgNode).where(OrgNode.path.in_(tops)).order_by(OrgNode.path))
    return list(nodes)


# --- built-in resources --------------------------------------------------------------------------


def access_node(
    session: Session, subject: Subject, node_id: int, for_write: bool = False
) -> OrgNode:
    return access(session, subject, OrgNode, node_id, for_write=for_write)


def access_person(
    session: Session, subject: Subject, person_id: int, for_write: bool = False
) -> Person:
    return access(session, subject, Person, person_id, for_write=for_write)


def access_household(
    session: Session, subject: Subject, household_id: int, for_write: bool = False
) -> Household:
    return access(session, subject, Household, household_id, for_write=for_write)


def access_entity(
    session: Session, subject: Subject, entity_id: int, for_write: bool = False
) -> Entity:
    return access(session, subject, Entity, entity_id, for_write=for_write)


def access_place(
    session: Session, subject: Subject, place_id: int, for_write: bool = False
) -> Place:
    return access(session, subject, Place, place_id, for_write=for_write)


def access_workorder(
    session: Session, subject: Subject, workorder_id: int, for_write: bool = False
) -> WorkOrder:
    return access(session, subject, WorkOrder, workorder_id, for_write=for_write)


def access_user(session: Session, subject: Subject, user_id: int, for_write: bool = False) -> User:
    return access(session, subject, User, user_id, for_write=for_write)


def _own_person(subject: Subject) -> ColumnElement[bool] | None:
    return Person.id == subject.person_id if subject.person_id is not None else None


def _own_household(subject: Subject) -> ColumnElement[bool] | None:
    if subject.person_id is None:
        return None
    return Household.id.in_(select(Person.household_id).where(Person.id == subject.person_id))


def _own_workorder(subject: Subject) -> ColumnElement[bool] | None:
    mine = WorkOrder.reporter_user_id == subject.user_id
    if subject.person_id is None:
        return mine
    return or_(mine, WorkOrder.reporter_person_id == subject.person_id)


def _users_in_scope(grant: Grant) -> ColumnElement[bool] | None:
    """Users holding an assignment inside the grant's subtree (global grants: everyone)."""
    if grant.is_global:
        return true()
    if grant.node_path is None:
        return None
    return exists(
        select(RoleAssignment.id).where(
            RoleAssignment.user_id == User.id,
            RoleAssignment.node_id.in_(_nodes_under([grant.node_path])),
        )
    )


register(
    Resource(
        "node",
        OrgNode,
        P.ORG_READ,
        P.ORG_WRITE,
        N_("节点不存在"),
        path=OrgNode.path,
        params=("node_id", "grid_id"),
    )
)
register(
    Resource(
        "person",
        Person,
        P.REGISTRY_READ,
        P.REGISTRY_WRITE,
        N_("人员不存在"),
        node=Person.node_id,
        own=_own_person,
        params=("person_id",),
    )
)
register(
    Resource(
        "household",
        Household,
        P.REGISTRY_READ,
        P.REGISTRY_WRITE,
        N_("户不存在"),
        node=Household.node_id,
        own=_own_household,
        params=("household_id",),
    )
)
register(
    Resource(
        "entity",
        Entity,
        P.REGISTRY_READ,
        P.REGISTRY_WRITE,
        N_("法人不存在"),
        node=Entity.node_id,
        params=("entity_id",),
    )
)
register(
    Resource(
        "place",
        Place,
        P.REGISTRY_READ,
        P.REGISTRY_WRITE,
        N_("地点不存在"),
        node=Place.node_id,
        params=("place_id",),
    )
)
register(
    Resource(
        "workorder",
        WorkOrder,
        P.WORKORDER_READ,
        P.WORKORDER_HANDLE,
        N_("工单不存在"),
        node=WorkOrder.node_id,
        department=WorkOrder.department,
        own=_own_workorder,
        params=("workorder_id", "work_order_id", "order_id"),
    )
)
register(
    Resource("user", User, P.USER_READ, P.USER_MANAGE, N_("用户不存在"), custom=_users_in_scope)
)
register(
    Resource(
        "token",
        ApiToken,
        P.TOKEN_CREATE,
        P.TOKEN_CREATE,
        N_("令牌不存在"),
        own=lambda s: ApiToken.user_id == s.user_id,
        custom=lambda g: None,
    )
)
register(
    Resource(
        "unmask_log",
        UnmaskLog,
        P.AUDIT_READ,
        P.AUDIT_READ,
        N_("记录不存在"),
        node=UnmaskLog.node_id,
    )
)


def _runs_in_scope(grant: Grant) -> ColumnElement[bool] | None:
    """Saved evaluations are scoped by the code of the node they evaluated (none: everything)."""
    if grant.is_global:
        return true()
    if grant.node_path is None:
        return None
    codes = select(OrgNode.code).where(subtree_of(OrgNode.path, grant.node_path))
    return EvaluationRun.scope_code.in_(codes)


register(
    Resource(
        "evaluation_run",
        EvaluationRun,
        P.EVALUATION_READ,
        P.EVALUATION_WRITE,
        N_("评价记录不存在"),
        custom=_runs_in_scope,
        params=("run_id",),
    )
)
