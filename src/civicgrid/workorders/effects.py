"""What each action does to an order besides changing its state. Called only by service.transition.

Each effect validates its own parameters (raising a clear 4xx error before anything is written) and
returns the facts worth keeping in the timeline.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.errors import Conflict, Invalid, PermissionDenied
from civicgrid.kit.i18n import _
from civicgrid.models.workorder import (
    ResponsibilityItem,
    ResponsibilityVersion,
    WorkOrder,
    WorkOrderPart,
)
from civicgrid.workorders import calendar as workcal
from civicgrid.workorders import responsibility as rl
from civicgrid.workorders.sla import SlaLight, SlaMode, add_hours
from civicgrid.workorders.states import Action, Role, State, Transition

if TYPE_CHECKING:
    from civicgrid.workorders.service import Actor

Effect = Callable[..., dict[str, Any]]
HANDLER_ROLES = frozenset({Role.DEPARTMENT_HANDLER})


def _version(session: Session, order: WorkOrder) -> ResponsibilityVersion:
    version = (
        session.get(ResponsibilityVersion, order.responsibility_version_id)
        if order.responsibility_version_id
        else rl.version_in_force(session, order.reported_at)
    )
    if version is None:
        raise Invalid(_("尚未发布权责清单"))
    return version


def _item(session: Session, order: WorkOrder, category: str | None = None) -> ResponsibilityItem:
    cat = category or order.category
    if not cat:
        raise Invalid(_("请先确定工单分类"), field="category")
    return rl.lookup_or_raise(session, category=cat, version=_version(session, order))


def _require(params: Mapping[str, Any], key: str, label: str) -> Any:
    value = params.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise Invalid(_("缺少必填项") + f": {label}", field=key)
    return value


def _deadline(start: datetime, hours: float, mode: str) -> datetime:
    return add_hours(start, hours, SlaMode(mode), workcal.current())


def triage(
    session: Session,
    order: WorkOrder,
    actor: Actor,
    params: Mapping[str, Any],
    now: datetime,
    reason: str | None,
) -> dict[str, Any]:
    item = _item(session, order, params.get("category"))
    confirmed = item.code
    facts: dict[str, Any] = {"category": confirmed}
    if order.category_suggested and order.category_suggested != confirmed:
        facts["override_of"] = order.category_suggested
    order.category = confirmed
    order.is_dispute = order.is_dispute or item.is_dispute
    order.triage = params.get("triage") or item.triage
    order.extra = {**order.extra, "category_confirmed": True}
    facts["triage"] = order.triage
    return facts


def dispatch(
    session: Session,
    order: WorkOrder,
    actor: Actor,
    params: Mapping[str, Any],
    now: datetime,
    reason: str | None,
) -> dict[str, Any]:
    item = _item(session, order, params.get("category"))
    order.category = item.code
    if order.triage is None:
        order.triage = item.triage
    order.department = params.get("department") or item.department
    first = order.dispatched_at is None
    order.dispatched_at = now
    order.assignee_user_id = None
    if first or order.status == State.REOPENED:
        order.sla_mode = item.sla_mode
        order.accept_due_at = _deadline(now, item.accept_hours, item.sla_mode)
        order.due_at = _deadline(now, item.handle_hours, item.sla_mode)
        order.reply_due_at = _deadline(now, item.reply_hours, item.sla_mode)
        order.sla_light = SlaLight.GREEN
        order.extra = {**order.extra, "escalation": list(item.escalation)}
    return {
        "department": order.department,
        "due_at": order.due_at.isoformat() if order.due_at else None,
    }


def _check_handler(order: WorkOrder, actor: Actor) -> None:
    if actor.roles <= HANDLER_ROLES and actor.department and actor.department != order.department:
        raise PermissionDenied(_("该工单不属于您的部门"))


def accept(
    session: Session,
    order: WorkOrder,
    actor: Actor,
    params: Mapping[str, Any],
    now: datetime,
    reason: str | None,
) -> dict[str, Any]:
    _check_handler(order, actor)
    order.accepted_at = order.accepted_at or now
    order.assignee_user_id = actor.user_id
    return {"department": order.department}


def return_(
    session: Session,
    order: WorkOrder,
    actor: Actor,
    params: Mapping[str, Any],
    now: datetime,
    reason: str | None,
) -> dict[str, Any]:
    _check_handler(order, actor)
    order.returns_count += 1
    facts = {"department": order.department, "returns": order.returns_count}
    order.assignee_user_id = None
    return facts


def reassign(
    session: Session,
    order: WorkOrder,
    actor: Actor,
    params: Mapping[str, Any],
    now: datetime,
    reason: str | None,
) -> dict[str, Any]:
    department = _require(params, "department", "改派部门")
    if department == order.department:
        raise Invalid(_("改派部门与当前部门相同"), field="department")
    previous = order.department
    order.department = department
    order.reassign_count += 1
    order.assignee_user_id = None
    order.dispatched_at = now
    # The SLA clock keeps running: passing an order on does not buy time.
    return {"from": previous, "to": department, "reassignments": order.reassign_count}


def start(
    session: Session,
    order: WorkOrder,
    actor: Actor,
    params: Mapping[str, Any],
    now: datetime,
    reason: str | None,
) -> dict[str, Any]:
    _check_handler(order, actor)
    order.assignee_user_id = order.assignee_user_id or actor.user_id
    return {}


def pause(
    session: Session,
    order: WorkOrder,
    actor: Actor,
    params: Mapping[str, Any],
    now: datetime,
    reason: str | None,
) -> dict[str, Any]:
    order.paused_at = now
    return {}


def resume(
    session: Session,
    order: WorkOrder,
    actor: Actor,
    params: Mapping[str, Any],
    now: datetime,
    reason: str | None,
) -> dict[str, Any]:
    paused = order.paused_at or now
    hours = max(0.0, (now - paused).total_seconds() / 3600)
    order.paused_hours += hours
    order.paused_at = None
    # Deadlines move by the paused time (calendar time: a pause is a calendar-time interval).
    shift = timedelta(hours=hours)
    if order.due_at is not None:
        order.due_at += shift
    if order.reply_due_at is not None:
        order.reply_due_at += shift
    return {"paused_hours": round(hours, 3)}


def start_mediation(
    session: Session,
    order: WorkOrder,
    actor: Actor,
    params: Mapping[str, Any],
    now: datetime,
    reason: str | None,
) -> dict[str, Any]:
    mediator = _require(params, "mediator", "调解员")
    order.is_dispute = True
    order.extra = {**order.extra, "mediator": mediator}
    return {"mediator": mediator}


def record_agreement(
    session: Session,
    order: WorkOrder,
    actor: Actor,
    params: Mapping[str, Any],
    now: datetime,
    reason: str | None,
) -> dict[str, Any]:
    text = _require(params, "reply", "调解协议内容")
    order.reply = text
    order.replied_at = now
    order.extra = {**order.extra, "mediation_outcome": "agreement"}
    return {"outcome": "agreement"}


def refer(
    session: Session,
    order: WorkOrder,
    actor: Actor,
    params: Mapping[str, Any],
    now: datetime,
    reason: str | None,
) -> dict[str, Any]:
    order.reply = params.get("reply") or reason
    order.replied_at = now
    order.extra = {**order.extra, "mediation_outcome": "referral"}
    return {"outcome": "referral"}


def reply(
    session: Session,
    order: WorkOrder,
    actor: Actor,
    params: Mapping[str, Any],
    now: datetime,
    reason: str | None,
) -> dict[str, Any]:
    _check_handler(order, actor)
    text = _require(params, "reply", "答复内容")
    open_parts = session.scalars(
        select(WorkOrderPart.department).where(
            WorkOrderPart.work_order_id == order.id, WorkOrderPart.status != "done"
        )
    ).all()
    if open_parts:
        raise Conflict(
            _("联合处置尚未全部完成") + ": " + "、".join(open_parts), open_parts=list(open_parts)
        )
    order.reply = text
    order.replied_at = now
    return {"on_time": bool(order.due_at is None or now <= order.due_at)}


def confirm(
    session: Session,
    order: WorkOrder,
    actor: Actor,
    params: Mapping[str, Any],
    now: datetime,
    reason: str | None,
) -> dict[str, Any]:
    rating = _require(params, "satisfaction", "满意度")
    if rating == "不满意":
        raise Invalid(_("不满意请选择重办"), field="satisfaction")
    order.satisfaction = rating
    order.rating_comment = params.get("comment")
    order.rated_at = now
    order.closed_at = now
    return {"satisfaction": rating}


def reopen(
    session: Session,
    order: WorkOrder,
    actor: Actor,
    params: Mapping[str, Any],
    now: datetime,
    reason: str | None,
) -> dict[str, Any]:
    order.satisfaction = "不满意"
    order.rating_comment = params.get("comment") or reason
    order.rated_at = now
    order.reopen_count += 1
    order.closed_at = None
    return {"satisfaction": "不满意", "reopens": order.reopen_count}


def close(
    session: Session,
    order: WorkOrder,
    actor: Actor,
    params: Mapping[str, Any],
    now: datetime,
    reason: str | None,
) -> dict[str, Any]:
    order.closed_at = now
    return {"unconfirmed": order.satisfaction is None}


def assess(
    session: Session,
    order: WorkOrder,
    actor: Actor,
    params: Mapping[str, Any],
    now: datetime,
    reason: str | None,
) -> dict[str, Any]:
    done = order.replied_at or order.closed_at
    on_time = bool(order.due_at is None or (done is not None and done <= order.due_at))
    order.extra = {**order.extra, "assessed_at": now.isoformat(), "on_time": on_time}
    return {"on_time": on_time}


def reject(
    session: Session,
    order: WorkOrder,
    actor: Actor,
    params: Mapping[str, Any],
    now: datetime,
    reason: str | None,
) -> dict[str, Any]:
    order.triage = "invalid"
    order.closed_at = now
    return {}


def guide_self_help(
    session: Session,
    order: WorkOrder,
    actor: Actor,
    params: Mapping[str, Any],
    now: datetime,
    reason: str | None,
) -> dict[str, Any]:
    order.triage = "self_help"
    order.reply = params.get("reply") or reason
    order.replied_at = now
    order.closed_at = now
    return {}


def merge(
    session: Session,
    order: WorkOrder,
    actor: Actor,
    params: Mapping[str, Any],
    now: datetime,
    reason: str | None,
) -> dict[str, Any]:
    target_id = _require(params, "merge_into", "合并到的工单")
    target = session.get(WorkOrder, int(target_id))
    if target is None or target.id == order.id:
        raise Invalid(_("合并目标工单无效"), field="merge_into")
    if target.status in (State.MERGED, State.REJECTED):
        raise Conflict(_("不能合并到已合并或已驳回的工单"))
    order.merged_into_id = target.id
    order.triage = "duplicate"
    order.closed_at = now
    followers = list(target.extra.get("merged_from", []))
    followers.append(order.id)
    target.extra = {**target.extra, "merged_from": followers}
    return {"merged_into": target.id}


def whistle(
    session: Session,
    order: WorkOrder,
    actor: Actor,
    params: Mapping[str, Any],
    now: datetime,
    reason: str | None,
) -> dict[str, Any]:
    departments = [d.strip() for d in (params.get("departments") or []) if d and d.strip()]
    if not departments:
        raise Invalid(_("请选择要吹哨的部门"), field="departments")
    existing = set(
        session.scalars(
            select(WorkOrderPart.department).where(WorkOrderPart.work_order_id == order.id)
        )
    )
    hours = _item(session, order).handle_hours if order.category else 72.0
    added = []
    for department in dict.fromkeys(departments):
        if department in existing:
            continue
        session.add(
            WorkOrderPart(
                work_order_id=order.id,
                department=department,
                status="summoned",
                due_at=_deadline(now, hours, order.sla_mode or "calendar"),
            )
        )
        added.append(department)
    if not added:
        raise Conflict(_("这些部门已在联合处置中"))
    order.accepted_at = order.accepted_at or now
    return {"departments": added}


EFFECTS: dict[Action, Effect] = {
    Action.TRIAGE: triage,
    Action.DISPATCH: dispatch,
    Action.ACCEPT: accept,
    Action.RETURN: return_,
    Action.REASSIGN: reassign,
    Action.START: start,
    Action.PAUSE: pause,
    Action.RESUME: resume,
    Action.START_MEDIATION: start_mediation,
    Action.RECORD_AGREEMENT: record_agreement,
    Action.REFER: refer,
    Action.REPLY: reply,
    Action.CONFIRM: confirm,
    Action.REOPEN: reopen,
    Action.CLOSE: close,
    Action.ASSESS: assess,
    Action.REJECT: reject,
    Action.GUIDE_SELF_HELP: guide_self_help,
    Action.MERGE: merge,
    Action.WHISTLE: whistle,
}
if set(EFFECTS) != set(Action):
    raise RuntimeError(f"actions without an effect: {set(Action) - set(EFFECTS)}")


def apply(
    session: Session,
    *,
    order: WorkOrder,
    t: Transition,
    actor: Actor,
    reason: str | None,
    params: Mapping[str, Any],
    now: datetime,
) -> dict[str, Any]:
    return EFFECTS[t.action](session, order, actor, params, now, reason)
