"""工单服务 — open an order, move it through the transition table, keep its timeline and ledger.

Every state change goes through ``transition``: it looks the move up in ``states.TRANSITIONS``,
checks the actor's roles, applies the action's effects (effects.py), writes a timeline row and
appends a ledger entry — all in the caller's transaction (flush, never commit).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm.session import make_transient_to_detached

from civicgrid.errors import Conflict, Invalid, NotFound, PermissionDenied
from civicgrid.kit.i18n import _
from civicgrid.kit.timeutil import utcnow
from civicgrid.ledger import service as ledger
from civicgrid.ledger.events import EventType
from civicgrid.ledger.records import EventRecord
from civicgrid.models.org import OrgLevel, OrgNode
from civicgrid.models.workorder import Attachment, Channel, WorkOrder, WorkOrderEvent
from civicgrid.org import service as org
from civicgrid.workorders import effects, repeat
from civicgrid.workorders import responsibility as rl
from civicgrid.workorders.attachments import StoredFile
from civicgrid.workorders.schemas import WorkOrderCreate
from civicgrid.workorders.states import STATE_LABELS, Action, Role, State, Transition, find


@dataclass(frozen=True)
class Actor:
    """Who acts: resolved by the accounts layer (roles that cover this order) before the call."""

    user_id: int | None
    name: str
    roles: frozenset[Role]
    department: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


_ORDER: Table = WorkOrder.__table__  # type: ignore[assignment]
_EVENT: Table = WorkOrderEvent.__table__  # type: ignore[assignment]
_EVENT_COLUMNS = [c for c in _EVENT.c if c.key != "id"]
_INSERT_EVENT = insert(_EVENT).returning(_EVENT.c.id)
_SET_CODE = (
    update(_ORDER)
    .where(_ORDER.c.id == bindparam("b_id"))
    .values(code=bindparam("b_code"), version=bindparam("b_version"), updated_at=bindparam("b_at"))
)

SYSTEM = Actor(user_id=None, name="系统", roles=frozenset({Role.SYSTEM}))

EVENT_TYPES: dict[Action, EventType] = {
    Action.TRIAGE: EventType.WORKORDER_TRIAGED,
    Action.DISPATCH: EventType.WORKORDER_DISPATCHED,
    Action.ACCEPT: EventType.WORKORDER_ACCEPTED,
    Action.RETURN: EventType.WORKORDER_RETURNED,
    Action.REASSIGN: EventType.WORKORDER_REASSIGNED,
    Action.START: EventType.WORKORDER_STARTED,
    Action.PAUSE: EventType.WORKORDER_PAUSED,
    Action.RESUME: EventType.WORKORDER_RESUMED,
    Action.REPLY: EventType.WORKORDER_REPLIED,
    Action.CONFIRM: EventType.WORKORDER_CONFIRMED,
    Action.REOPEN: EventType.WORKORDER_REOPENED,
    Action.CLOSE: EventType.WORKORDER_CLOSED,
    Action.ASSESS: EventType.WORKORDER_ASSESSED,
    Action.MERGE: EventType.WORKORDER_MERGED,
    Action.REJECT: EventType.WORKORDER_INVALIDATED,
    Action.WHISTLE: EventType.WORKORDER_JOINT_SUMMONED,
    Action.START_MEDIATION: EventType.WORKORDER_MEDIATION,
    Action.RECORD_AGREEMENT: EventType.WORKORDER_MEDIATION,
    Action.REFER: EventType.WORKORDER_MEDIATION,
}
NOTE_TYPES: dict[str, EventType] = {
    "escalate": EventType.WORKORDER_ESCALATED,
    "mediation_session": EventType.WORKORDER_MEDIATION,
    "part_report": EventType.WORKORDER_PART_UPDATED,
    "part_done": EventType.WORKORDER_PART_UPDATED,
}


def get_or_raise(session: Session, order_id: int) -> WorkOrder:
    order = session.get(WorkOrder, order_id)
    if order is None:
        raise NotFound(_("工单不存在"))
    return order


def _locate(session: Session, data: WorkOrderCreate) -> int:
    if data.lat is not None and data.lon is not None:
        grid_id = org.assign_grid(session, data.lon, data.lat)
        if grid_id is None:
            raise Invalid(_("位置不在辖区范围内"), field="lat,lon")
        return grid_id
    if data.lat is not None or data.lon is not None:
        raise Invalid(_("经度和纬度必须同时提供"), field="lat,lon")
    if data.node_id is not None:
        node = session.get(OrgNode, data.node_id)
        if node is None or node.level != OrgLevel.GRID:
            raise Invalid(_("网格不存在"), field="node_id")
        return node.id
    raise Invalid(_("请在地图上标注位置或选择网格"), field="lat,lon")


@dataclass(frozen=True)
class Opened:
    """What ``create_workorder`` did: the order, and its opening timeline row when it was created
    now (None when an ``Idempotency-Key`` named an order created earlier)."""

    order: WorkOrder
    event: WorkOrderEvent | None


def open_workorder(
    session: Session,
    *,
    data: WorkOrderCreate,
    actor: Actor,
    channel: Channel,
    idempotency_key: str | None = None,
    suggestion: tuple[str, float] | None = None,
    now: datetime | None = None,
    authorize: Callable[[int], None] | None = None,
) -> WorkOrder:
    """上报: create an order in state ``reported``; idempotent on ``idempotency_key``."""
    return create_workorder(
        session,
        data=data,
        actor=actor,
        channel=channel,
        idempotency_key=idempotency_key,
        suggestion=suggestion,
        now=now,
        authorize=authorize,
    ).order


def create_workorder(
    session: Session,
    *,
    data: WorkOrderCreate,
    actor: Actor,
    channel: Channel,
    idempotency_key: str | None = None,
    suggestion: tuple[str, float] | None = None,
    now: datetime | None = None,
    authorize: Callable[[int], None] | None = None,
    reporter_person_id: int | None = None,
) -> Opened:
    """``open_workorder``, also returning the opening timeline row (for the read model).

    ``authorize(grid_id)`` runs once the location is known and before anything is written (it
    raises to refuse, e.g. a place outside the caller's territory). Everything is read before the
    first write; the order is inserted once, then given its code (which needs its id) in one
    UPDATE; the ledger's sequencer lock is taken last, so it is held as briefly as possible.
    """
    if idempotency_key:
        existing = session.scalar(
            select(WorkOrder).where(WorkOrder.idempotency_key == idempotency_key)
        )
        if existing is not None:
            if _opened_by(session, existing) != actor.user_id:
                raise Conflict(_("幂等键已被使用"))
            return Opened(existing, None)
    now = now or utcnow()
    reported_at = data.reported_at if (data.reported_at and channel == Channel.IMPORT) else now
    node_id = _locate(session, data)
    if authorize is not None:
        authorize(node_id)
    found = rl.category_in_force(session, data.category, reported_at)
    if data.category and found.version_id is None:
        raise Invalid(_("尚未发布权责清单，无法选择分类"))
    if data.category and found.code is None:
        raise Invalid(_("权责清单中没有该分类") + f": {data.category}")
    category = found.code if data.category else None
    reporter_user_id = actor.user_id if Role.RESIDENT in actor.roles else None
    repeat_of = repeat.find_repeat_id(
        session,
        category=category or (suggestion[0] if suggestion else None),
        reported_at=reported_at,
        node_id=node_id,
        lon=data.lon,
        lat=data.lat,
        reporter_user_id=reporter_user_id,
    )
    order = WorkOrder(
        code=f"tmp-{uuid.uuid4().hex}",  # the real code needs the id: set right after the insert
        title=data.title,
        description=data.description,
        category=category,
        category_suggested=suggestion[0] if suggestion else None,
        category_confidence=suggestion[1] if suggestion else None,
        channel=channel,
        status=State.REPORTED,
        node_id=node_id,
        lat=data.lat,
        lon=data.lon,
        address=data.address,
        reporter_user_id=reporter_user_id,
        reporter_person_id=reporter_person_id,
        reporter_name=data.reporter_name,
        reported_at=reported_at,
        responsibility_version_id=found.version_id,
        is_dispute=bool(found.is_dispute),
        is_repeat=repeat_of is not None,
        idempotency_key=idempotency_key,
        extra={"repeat_of": repeat_of} if repeat_of is not None else {},
    )
    session.add(order)
    session.flush()
    code = f"GD{reported_at:%Y%m%d}{order.id:07d}"
    # One Core UPDATE, as the ORM would write it (counted as a version: a new order is at 2).
    version = order.version + 1
    session.execute(
        _SET_CODE,
        {"b_id": order.id, "b_code": code, "b_version": version, "b_at": order.updated_at},
    )
    set_committed_value(order, "code", code)
    set_committed_value(order, "version", version)
    event = _record(
        session,
        order,
        action=None,
        source=None,
        actor=actor,
        reason=None,
        data={"channel": channel.value, "grid": node_id, "category": category},
        now=now,
    )
    return Opened(order, event)


def transition(
    session: Session,
    *,
    order: WorkOrder,
    action: Action,
    actor: Actor,
    reason: str | None = None,
    params: Mapping[str, Any] | None = None,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    """Apply one action from the transition table, or refuse with a clear error."""
    now = now or utcnow()
    source = State(order.status)
    t = find(source, action)
    if t is None:
        raise Conflict(
            _("当前状态“{state}”不能执行该操作").format(state=_(STATE_LABELS[source])),
            state=source.value,
            allowed_actions=[a.value for a in allowed_for(order, actor)],
        )
    acting = actor.roles & t.roles
    if not acting:
        raise PermissionDenied(_("您的角色不能执行该操作"), state=source.value)
    if expected_version is not None and expected_version != order.version:
        raise Conflict(_("工单已被他人修改，请刷新后重试"), version=order.version)
    if t.needs_reason and not (reason and reason.strip()):
        raise Invalid(_("该操作必须填写理由"), field="reason")
    recorded = effects.apply(
        session, order=order, t=t, actor=actor, reason=reason, params=params or {}, now=now
    )
    order.status = t.target
    try:
        _record(
            session,
            order,
            action=t,
            source=source,
            actor=actor,
            reason=reason,
            data=recorded,
            now=now,
        )
    except StaleDataError as exc:
        raise Conflict(_("工单已被他人修改，请刷新后重试")) from exc
    return order


def allowed_for(order: WorkOrder, actor: Actor) -> list[Action]:
    from civicgrid.workorders.states import allowed_actions

    return allowed_actions(State(order.status), actor.roles)


def _opened_by(session: Session, order: WorkOrder) -> int | None:
    """The user who opened ``order``: its resident reporter, or the staff member or machine
    account of the opening step (idempotency keys belong to whoever used them first)."""
    if order.reporter_user_id is not None:
        return order.reporter_user_id
    return session.scalar(
        select(WorkOrderEvent.actor_id).where(
            WorkOrderEvent.work_order_id == order.id, WorkOrderEvent.action == "open"
        )
    )


def _record(
    session: Session,
    order: WorkOrder,
    *,
    action: Transition | None,
    source: State | None,
    actor: Actor,
    reason: str | None,
    data: Mapping[str, Any],
    now: datetime,
) -> WorkOrderEvent:
    role = sorted(actor.roles & action.roles)[0] if action else sorted(actor.roles)[0]
    event = WorkOrderEvent(
        work_order_id=order.id,
        action=action.action.value if action else "open",
        from_state=source.value if source else None,
        to_state=order.status,
        actor_id=actor.user_id,
        actor_role=role,
        actor_name=actor.name,
        reason=reason,
        data=dict(data),
        at=now,
    )
    kind = (
        EVENT_TYPES.get(action.action, EventType.WORKORDER_TRANSITIONED)
        if action
        else EventType.WORKORDER_OPENED
    )
    return _write_event(
        session,
        event,
        lambda e: EventRecord(
            kind,
            "work_order",
            order.id,
            {
                "code": order.code,
                "event": e.id,
                "action": e.action,
                "from": e.from_state,
                "to": e.to_state,
                "role": role,
                "actor": actor.user_id,
                "reason": reason or "",
                "at": now.isoformat(),
            },
            actor.user_id,
        ),
    )


def _write_event(
    session: Session, event: WorkOrderEvent, describe: Callable[[WorkOrderEvent], EventRecord]
) -> WorkOrderEvent:
    """Insert timeline row ``event`` with its ledger leaf, whose record ``describe`` names it.

    The order's own changes are flushed first (a lost race shows here, before the ledger is
    touched); then, under the ledger's sequencer lock, the row is inserted once, already holding
    the index of the leaf that is appended right after it."""
    session.flush()

    def build(index: int) -> EventRecord:
        event.ledger_index = index
        # A Core INSERT of the row as built (every column is set), then the object joins the
        # session as that persistent row: the unit of work's flush machinery is not needed.
        values = {c.key: getattr(event, c.key) for c in _EVENT_COLUMNS}
        event.id = session.execute(_INSERT_EVENT, values).scalar_one()
        make_transient_to_detached(event)
        session.add(event)
        return describe(event)

    ledger.record_at_next_index(session, build)
    return event


def record_note(
    session: Session,
    *,
    order: WorkOrder,
    actor: Actor,
    action: str,
    data: Mapping[str, Any],
    reason: str | None = None,
    now: datetime | None = None,
) -> WorkOrderEvent:
    """A timeline entry that is not a state change (escalation, part report, mediation session)."""
    now = now or utcnow()
    event = WorkOrderEvent(
        work_order_id=order.id,
        action=action,
        from_state=order.status,
        to_state=order.status,
        actor_id=actor.user_id,
        actor_role=sorted(actor.roles)[0],
        actor_name=actor.name,
        reason=reason,
        data=dict(data),
        at=now,
    )
    return _write_event(
        session,
        event,
        lambda e: EventRecord(
            NOTE_TYPES.get(action, EventType.WORKORDER_PART_UPDATED),
            "work_order",
            order.id,
            {
                "code": order.code,
                "event": e.id,
                "action": action,
                "state": order.status,
                "actor": actor.user_id,
                "reason": reason or "",
                "at": now.isoformat(),
            },
            actor.user_id,
        ),
    )


def attach(
    session: Session, *, order: WorkOrder, stored: StoredFile, filename: str, actor: Actor
) -> Attachment:
    """Keep a stored photo on the order and note it on the timeline."""
    att = Attachment(
        work_order_id=order.id,
        filename=filename[:200],
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        path=stored.path,
        public_path=stored.public_path,
        created_at=utcnow(),
        created_by=actor.user_id,
    )
    session.add(att)
    session.flush()
    record_note(
        session,
        order=order,
        actor=actor,
        action="attach",
        data={"attachment": att.id, "sha256": stored.sha256},
    )
    return att


def timeline(session: Session, order: WorkOrder) -> list[WorkOrderEvent]:
    return list(
        session.scalars(
            select(WorkOrderEvent)
            .where(WorkOrderEvent.work_order_id == order.id)
            .order_by(WorkOrderEvent.at, WorkOrderEvent.id)
        )
    )


def due_in(hours: float, start: datetime) -> datetime:
    return start + timedelta(hours=hours)
