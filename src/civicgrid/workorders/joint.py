"""吹哨报到与调解 — steps on one department's part, and mediation sessions of a dispute."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from civicgrid.errors import Conflict, Invalid, NotFound, PermissionDenied
from civicgrid.kit.i18n import _
from civicgrid.kit.timeutil import utcnow
from civicgrid.models.workorder import MediationSession, WorkOrder, WorkOrderPart
from civicgrid.workorders import service
from civicgrid.workorders.service import Actor
from civicgrid.workorders.states import Role, State

PART_STEPS = {"report": ("summoned", "reported"), "done": ("reported", "done")}
OUTCOMES = {"agreement", "no_agreement", "referral", "adjourned"}


def part_step(
    session: Session,
    *,
    order: WorkOrder,
    part_id: int,
    step: str,
    actor: Actor,
    note: str | None = None,
    now: datetime | None = None,
) -> WorkOrderPart:
    """报到 then 完成: each summoned department moves its own part."""
    now = now or utcnow()
    part = session.get(WorkOrderPart, part_id)
    if part is None or part.work_order_id != order.id:
        raise NotFound(_("联合处置任务不存在"))
    if step not in PART_STEPS:
        raise Invalid(_("未知的步骤") + f": {step}")
    if not actor.roles & {Role.DEPARTMENT_HANDLER, Role.DISPATCHER, Role.ADMIN, Role.GRID_WORKER}:
        raise PermissionDenied(_("您的角色不能执行该操作"))
    if (
        Role.DEPARTMENT_HANDLER in actor.roles
        and actor.roles <= {Role.DEPARTMENT_HANDLER}
        and (actor.department != part.department)
    ):
        raise PermissionDenied(_("该任务不属于您的部门"))
    before, after = PART_STEPS[step]
    if part.status != before:
        raise Conflict(_("该任务当前状态不能执行此步骤"), state=part.status)
    part.status = after
    if step == "report":
        part.reported_at = now
    else:
        part.done_at = now
    part.note = note or part.note
    service.record_note(
        session,
        order=order,
        actor=actor,
        action=f"part_{step}",
        data={"department": part.department, "part": part.id},
        reason=note,
        now=now,
    )
    return part


def add_mediation_session(
    session: Session,
    *,
    order: WorkOrder,
    actor: Actor,
    mediator: str,
    parties: list[str],
    notes: str,
    outcome: str | None,
    held_at: datetime | None = None,
) -> MediationSession:
    if order.status != State.MEDIATING:
        raise Conflict(_("工单不在调解中"), state=order.status)
    if outcome is not None and outcome not in OUTCOMES:
        raise Invalid(_("调解结果无效") + f": {outcome}", field="outcome")
    record = MediationSession(
        work_order_id=order.id,
        mediator=mediator,
        parties=parties,
        notes=notes,
        outcome=outcome,
        held_at=held_at or utcnow(),
    )
    session.add(record)
    session.flush()
    service.record_note(
        session,
        order=order,
        actor=actor,
        action="mediation_session",
        data={"session": record.id, "outcome": outcome or ""},
        now=record.held_at,
    )
    return record
