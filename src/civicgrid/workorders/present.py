"""Read models of orders for the API and pages: masked personal fields, allowed actions."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.kit.masking import mask_address, mask_name
from civicgrid.models.workorder import WorkOrder, WorkOrderEvent, WorkOrderPart
from civicgrid.workorders import service
from civicgrid.workorders.schemas import EventRead, PartRead, WorkOrderDetail, WorkOrderRead
from civicgrid.workorders.service import Actor
from civicgrid.workorders.states import Role


def _own(order: WorkOrder, actor: Actor) -> bool:
    return actor.user_id is not None and order.reporter_user_id == actor.user_id


def summary(order: WorkOrder, actor: Actor) -> WorkOrderRead:
    read = WorkOrderRead.model_validate(order)
    if not _own(order, actor):
        read.address = mask_address(order.address)
        read.reporter_name = mask_name(order.reporter_name)
    read.allowed_actions = service.allowed_for(order, actor)
    if Role.RESIDENT in actor.roles and not _own(order, actor):
        read.allowed_actions = [a for a in read.allowed_actions if a not in ("confirm", "reopen")]
    return read


def detail(
    session: Session,
    order: WorkOrder,
    actor: Actor,
    *,
    timeline: Sequence[WorkOrderEvent] | None = None,
    parts: Sequence[WorkOrderPart] | None = None,
) -> WorkOrderDetail:
    """The order with its timeline and parts, read from the database unless the caller already
    holds them (an order it has just created)."""
    base = summary(order, actor)
    if parts is None:
        parts = list(
            session.scalars(
                select(WorkOrderPart)
                .where(WorkOrderPart.work_order_id == order.id)
                .order_by(WorkOrderPart.id)
            )
        )
    if timeline is None:
        timeline = service.timeline(session, order)
    return WorkOrderDetail(
        **base.model_dump(),
        timeline=[EventRead.model_validate(e) for e in timeline],
        parts=[PartRead.model_validate(p) for p in parts],
    )
