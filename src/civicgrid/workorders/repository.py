"""select() statements over work orders; every one is scoped by ``auth.policy`` first."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from civicgrid.auth import policy
from civicgrid.auth.subject import Subject
from civicgrid.models.org import OrgNode, subtree_of
from civicgrid.models.workorder import WorkOrder
from civicgrid.workorders.states import OPEN_STATES, State

HANDLING = [
    s.value
    for s in (
        State.DISPATCHED,
        State.ACCEPTED,
        State.IN_PROGRESS,
        State.PAUSED,
        State.MEDIATING,
        State.REOPENED,
    )
]
TO_TRIAGE = [s.value for s in (State.REPORTED, State.TRIAGED, State.RETURNED, State.REOPENED)]
SORTS = {
    "reported_at": WorkOrder.reported_at,
    "due_at": WorkOrder.due_at,
    "id": WorkOrder.id,
    "status": WorkOrder.status,
}


@dataclass(frozen=True)
class Filters:
    status: list[str] | None = None
    category: str | None = None
    department: str | None = None
    node_id: int | None = None
    sla_light: str | None = None
    channel: str | None = None
    queue: str | None = None
    q: str | None = None
    reported_from: datetime | None = None
    reported_to: datetime | None = None


def visible(session: Session, subject: Subject, filters: Filters) -> Select[Any]:
    stmt = policy.readable(select(WorkOrder), subject, WorkOrder)
    if filters.status:
        stmt = stmt.where(WorkOrder.status.in_(filters.status))
    if filters.category:
        stmt = stmt.where(WorkOrder.category == filters.category)
    if filters.department:
        stmt = stmt.where(WorkOrder.department == filters.department)
    if filters.channel:
        stmt = stmt.where(WorkOrder.channel == filters.channel)
    if filters.sla_light:
        stmt = stmt.where(WorkOrder.sla_light == filters.sla_light)
    if filters.node_id is not None:
        node = session.get(OrgNode, filters.node_id)
        path = node.path if node is not None else "/-1/"
        stmt = stmt.where(
            WorkOrder.node_id.in_(select(OrgNode.id).where(subtree_of(OrgNode.path, path)))
        )
    if filters.reported_from:
        stmt = stmt.where(WorkOrder.reported_at >= filters.reported_from)
    if filters.reported_to:
        stmt = stmt.where(WorkOrder.reported_at < filters.reported_to)
    if filters.q:
        like = f"%{filters.q.replace('%', '').replace('_', '')}%"
        stmt = stmt.where(or_(WorkOrder.title.like(like), WorkOrder.code == filters.q))
    queue = filters.queue
    if queue == "mine":
        stmt = stmt.where(
            WorkOrder.status.in_(HANDLING), policy.scope_filter(subject, WorkOrder, for_write=True)
        )
    elif queue == "reported_by_me":
        stmt = stmt.where(WorkOrder.reporter_user_id == subject.user_id)
    elif queue == "overdue":
        stmt = stmt.where(
            WorkOrder.sla_light == "red", WorkOrder.status.in_([s.value for s in OPEN_STATES])
        )
    elif queue == "awaiting_confirmation":
        stmt = stmt.where(WorkOrder.status == State.REPLIED)
    elif queue == "to_triage":
        stmt = stmt.where(WorkOrder.status.in_(TO_TRIAGE))
    return stmt


def page(
    session: Session, subject: Subject, filters: Filters, *, sort: str, page: int, page_size: int
) -> tuple[list[WorkOrder], int]:
    stmt = visible(session, subject, filters)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    column = SORTS[sort.lstrip("-")]
    ordered = stmt.order_by(
        column.desc() if sort.startswith("-") else column.asc(), WorkOrder.id.desc()
    )
    rows = list(session.scalars(ordered.offset((page - 1) * page_size).limit(page_size)))
    return rows, int(total)


def iterate(
    session: Session, subject: Subject, filters: Filters, batch: int = 2000
) -> Iterator[WorkOrder]:
    """Every visible order, id order, in batches (exports)."""
    last = 0
    base = visible(session, subject, filters)
    while True:
        rows = list(
            session.scalars(base.where(WorkOrder.id > last).order_by(WorkOrder.id).limit(batch))
        )
        if not rows:
            return
        yield from rows
        last = rows[-1].id
