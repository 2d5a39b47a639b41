"""网格团队 — the 1+X+N team of a grid: one full-time worker, X department liaisons,
N volunteers and building stewards (楼栋管家); and the party branch on the grid (支部建在网格上).

At most one worker per grid is enforced by the database (a partial unique index); ``set_worker``
replaces the current one. Grids still without a worker are listed by ``grids_without_worker``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from civicgrid.errors import Conflict, Invalid, NotFound
from civicgrid.kit.i18n import _
from civicgrid.models.org import GridMember, GridRole, OrgLevel, OrgNode, subtree_of

TEAM_LEVELS = (OrgLevel.GRID, OrgLevel.MICRO_GRID)
MEMBER_ROLES = (GridRole.LIAISON, GridRole.VOLUNTEER, GridRole.STEWARD)


@dataclass
class Team:
    grid: OrgNode
    worker: GridMember | None
    liaisons: list[GridMember] = field(default_factory=list)
    volunteers: list[GridMember] = field(default_factory=list)
    stewards: list[GridMember] = field(default_factory=list)

    @property
    def party_branch(self) -> str | None:
        return self.grid.party_branch


def _check_grid(grid: OrgNode) -> None:
    if grid.level not in TEAM_LEVELS:
        raise Invalid(
            _("只有网格可以配备网格团队（「{name}」是 {level}）").format(
                name=grid.name, level=grid.level
            )
        )


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise Invalid(_("成员姓名不能为空"))
    if len(name) > 100:
        raise Invalid(_("成员姓名过长"))
    return name


def _flush_member(session: Session, member: GridMember) -> GridMember:
    """Insert in a savepoint so a uniqueness clash becomes a 409 and leaves the session usable."""
    try:
        with session.begin_nested():
            session.add(member)
            session.flush()
    except IntegrityError as exc:
        raise Conflict(
            _("「{name}」已是该网格的{role}").format(name=member.name, role=member.role)
        ) from exc
    return member


def get_worker(session: Session, *, grid: OrgNode) -> GridMember | None:
    return session.scalar(
        select(GridMember).where(GridMember.node_id == grid.id, GridMember.role == GridRole.WORKER)
    )


def set_worker(
    session: Session,
    *,
    grid: OrgNode,
    name: str,
    user_id: int | None = None,
    department: str | None = None,
) -> GridMember:
    """Make ``name`` the grid's one full-time worker (一格一专员), replacing any current one."""
    _check_grid(grid)
    name = _clean_name(name)
    current = get_worker(session, grid=grid)
    if current is not None:
        if current.name == name and current.user_id == user_id:
            return current
        session.delete(current)
        session.flush()
    member = GridMember(
        node_id=grid.id, role=GridRole.WORKER, name=name, user_id=user_id, department=department
    )
    return _flush_member(session, member)


def add_member(
    session: Session,
    *,
    grid: OrgNode,
    role: str,
    name: str,
    department: str | None = None,
    user_id: int | None = None,
) -> GridMember:
    """Add a liaison (with their department), a volunteer or a building steward."""
    _check_grid(grid)
    if role == GridRole.WORKER:
        raise Invalid(_("专职网格员请用“设置网格员”，每个网格只有一名"))
    if role not in MEMBER_ROLES:
        raise Invalid(_("未知的团队角色：{role}").format(role=role))
    department = (department or "").strip() or None
    if role == GridRole.LIAISON and department is None:
        raise Invalid(_("部门联络员须注明所属部门"))
    member = GridMember(
        node_id=grid.id, role=role, name=_clean_name(name), department=department, user_id=user_id
    )
    return _flush_member(session, member)


def remove_member(session: Session, *, grid: OrgNode, member_id: int) -> None:
    """Remove a member (the worker too: the grid then shows up as without a worker)."""
    member = session.get(GridMember, member_id)
    if member is None or member.node_id != grid.id:
        raise NotFound(_("该网格没有编号为 {id} 的成员").format(id=member_id))
    session.delete(member)
    session.flush()


def list_team(session: Session, *, grid: OrgNode) -> Team:
    members = session.scalars(
        select(GridMember)
        .where(GridMember.node_id == grid.id)
        .order_by(GridMember.role, GridMember.id)
    ).all()
    team = Team(grid=grid, worker=None)
    for m in members:
        if m.role == GridRole.WORKER:
            team.worker = m
        elif m.role == GridRole.LIAISON:
            team.liaisons.append(m)
        elif m.role == GridRole.VOLUNTEER:
            team.volunteers.append(m)
        elif m.role == GridRole.STEWARD:
            team.stewards.append(m)
    return team


def set_party_branch(session: Session, *, grid: OrgNode, branch: str | None) -> OrgNode:
    """Attach (or with None detach) a party branch to the grid (支部建在网格上)."""
    _check_grid(grid)
    branch = (branch or "").strip() or None
    if branch is not None and len(branch) > 200:
        raise Invalid(_("党支部名称过长"))
    grid.party_branch = branch
    session.flush()
    return grid


def grids_without_worker(session: Session, *, root: OrgNode | None = None) -> list[OrgNode]:
    """Grids (under ``root``) that have no full-time worker yet."""
    has_worker = exists().where(
        GridMember.node_id == OrgNode.id, GridMember.role == GridRole.WORKER
    )
    stmt = select(OrgNode).where(OrgNode.level == OrgLevel.GRID, ~has_worker)
    if root is not None:
        stmt = stmt.where(subtree_of(OrgNode.path, root.path))
    return list(session.scalars(stmt.order_by(OrgNode.path)))
