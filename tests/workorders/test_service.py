"""The closed loop through the service layer, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.fixtures.world import World
from tests.workorders.conftest import DISPATCHER, HANDLER, OTHER_HANDLER, RESIDENT, report

from civicgrid.errors import Conflict, Invalid, PermissionDenied
from civicgrid.kit.timeutil import utcnow
from civicgrid.models.ledger import LedgerEvent
from civicgrid.models.workorder import Channel, WorkOrderEvent, WorkOrderPart
from civicgrid.workorders import joint, service, tasks
from civicgrid.workorders.states import Action, State

pytestmark = pytest.mark.usefixtures("published")


def go(db: Session, order, action: Action, actor, **params):  # type: ignore[no-untyped-def]
    reason = params.pop("reason", None)
    return service.transition(
        db, order=order, action=action, actor=actor, reason=reason, params=params
    )


def ledger_events_of(db: Session, order_id: int) -> int:
    return (
        db.scalar(
            select(func.count())
            .select_from(LedgerEvent)
            .where(
                LedgerEvent.subject_type == "work_order", LedgerEvent.subject_id == str(order_id)
            )
        )
        or 0
    )


def test_full_loop_with_ledger(db: Session, world: World) -> None:
    order = service.open_workorder(db, data=report(world), actor=RESIDENT, channel=Channel.RESIDENT)
    assert order.status == State.REPORTED
    assert order.node_id == world.grids["D1-1"].id
    assert order.code.startswith("GD")
    go(db, order, Action.TRIAGE, DISPATCHER, category="HJ01")
    assert (order.category, order.triage) == ("HJ01", "community")
    go(db, order, Action.DISPATCH, DISPATCHER)
    assert order.department == "环卫所"
    assert order.due_at is not None and order.accept_due_at is not None
    assert order.due_at - order.dispatched_at == timedelta(hours=24)  # type: ignore[operator]
    go(db, order, Action.ACCEPT, HANDLER)
    go(db, order, Action.START, HANDLER)
    go(db, order, Action.REPLY, HANDLER, reply="已清运完毕")
    go(db, order, Action.CONFIRM, RESIDENT, satisfaction="满意")
    go(db, order, Action.ASSESS, DISPATCHER)
    assert order.status == State.ASSESSED
    assert order.extra["on_time"] is True
    events = service.timeline(db, order)
    assert [e.action for e in events] == [
        "open",
        "triage",
        "dispatch",
        "accept",
        "start",
        "reply",
        "confirm",
        "assess",
    ]
    assert all(e.ledger_index is not None for e in events)
    assert ledger_events_of(db, order.id) == len(events)


def test_impossible_transition_names_state_and_allowed_actions(db: Session, world: World) -> None:
    order = service.open_workorder(db, data=report(world), actor=RESIDENT, channel=Channel.RESIDENT)
    with pytest.raises(Conflict) as info:
        go(db, order, Action.REPLY, DISPATCHER, reply="x")
    assert info.value.details["state"] == "reported"
    assert "dispatch" in info.value.details["allowed_actions"]
    with pytest.raises(PermissionDenied):
        go(db, order, Action.DISPATCH, RESIDENT)
    assert order.status == State.REPORTED


def test_outside_territory_and_missing_reason(db: Session, world: World) -> None:
    with pytest.raises(Invalid):
        service.open_workorder(
            db, data=report(world, lat=10.0, lon=10.0), actor=RESIDENT, channel=Channel.RESIDENT
        )
    order = service.open_workorder(db, data=report(world), actor=RESIDENT, channel=Channel.RESIDENT)
    go(db, order, Action.DISPATCH, DISPATCHER, category="HJ01")
    with pytest.raises(Invalid):
        go(db, order, Action.RETURN, HANDLER)  # a return needs a reason
    with pytest.raises(PermissionDenied):
        go(db, order, Action.ACCEPT, OTHER_HANDLER)  # not this department's order
    go(db, order, Action.RETURN, HANDLER, reason="不属于本单位职责")
    assert (order.status, order.returns_count) == (State.RETURNED, 1)
    go(db, order, Action.DISPATCH, DISPATCHER, department="城管执法队")
    go(db, order, Action.REASSIGN, DISPATCHER, department="环卫所", reason="调度改派")
    assert order.reassign_count == 1


def test_version_mismatch_is_409(db: Session, world: World) -> None:
    order = service.open_workorder(db, data=report(world), actor=RESIDENT, channel=Channel.RESIDENT)
    stale = order.version
    go(db, order, Action.TRIAGE, DISPATCHER, category="HJ01")
    db.flush()
    with pytest.raises(Conflict):
        service.transition(
            db, order=order, action=Action.DISPATCH, actor=DISPATCHER, expected_version=stale
        )


def test_joint_handling_closes_when_all_parts_done(db: Session, world: World) -> None:
    order = service.open_workorder(db, data=report(world), actor=RESIDENT, channel=Channel.RESIDENT)
    go(db, order, Action.DISPATCH, DISPATCHER, category="HJ01")
    go(db, order, Action.WHISTLE, DISPATCHER, departments=["城管执法队", "环卫所"], reason="吹哨")
    parts = db.scalars(select(WorkOrderPart).where(WorkOrderPart.work_order_id == order.id)).all()
    assert {p.department for p in parts} == {"城管执法队", "环卫所"}
    with pytest.raises(Conflict):
        go(db, order, Action.REPLY, HANDLER, reply="done")
    for part in parts:
        actor = HANDLER if part.department == "环卫所" else OTHER_HANDLER
        with pytest.raises(PermissionDenied):
            joint.part_step(
                db,
                order=order,
                part_id=part.id,
                step="report",
                actor=OTHER_HANDLER if actor is HANDLER else HANDLER,
            )
        joint.part_step(db, order=order, part_id=part.id, step="report", actor=actor)
        joint.part_step(db, order=order, part_id=part.id, step="done", actor=actor, note="到场处置")
    go(db, order, Action.REPLY, HANDLER, reply="联合处置完毕")
    assert order.status == State.REPLIED


def test_mediation_path(db: Session, world: World) -> None:
    order = service.open_workorder(
        db,
        data=report(world, title="邻居装修噪音纠纷", category="JF01"),
        actor=RESIDENT,
        channel=Channel.RESIDENT,
    )
    assert order.is_dispute
    go(db, order, Action.DISPATCH, DISPATCHER)
    judicial = HANDLER.__class__(
        user_id=9005, name="调解员", roles=HANDLER.roles, department="司法所"
    )
    go(db, order, Action.ACCEPT, judicial)
    go(db, order, Action.START_MEDIATION, judicial, mediator="王调解")
    joint.add_mediation_session(
        db,
        order=order,
        actor=judicial,
        mediator="王调解",
        parties=["张三", "李四"],
        notes="第一次调解",
        outcome="adjourned",
    )
    go(db, order, Action.RECORD_AGREEMENT, judicial, reply="双方同意晚八点后停工")
    assert order.extra["mediation_outcome"] == "agreement"
    go(db, order, Action.REOPEN, RESIDENT, reason="对方未遵守")
    assert (order.status, order.reopen_count, order.satisfaction) == (State.REOPENED, 1, "不满意")


def test_merge_keeps_followers_and_repeat_detection(db: Session, world: World) -> None:
    first = service.open_workorder(
        db, data=report(world, category="HJ01"), actor=RESIDENT, channel=Channel.RESIDENT
    )
    second = service.open_workorder(
        db, data=report(world, category="HJ01"), actor=DISPATCHER, channel=Channel.HOTLINE
    )
    assert second.is_repeat and second.extra["repeat_of"] == first.id
    go(db, second, Action.MERGE, DISPATCHER, merge_into=first.id, reason="同一问题")
    assert second.status == State.MERGED
    assert first.extra["merged_from"] == [second.id]
    elsewhere = service.open_workorder(
        db,
        data=report(world, grid="X1-1", category="HJ01"),
        actor=DISPATCHER,
        channel=Channel.HOTLINE,
    )
    assert not elsewhere.is_repeat


def test_idempotency_key(db: Session, world: World) -> None:
    a = service.open_workorder(
        db,
        data=report(world),
        actor=RESIDENT,
        channel=Channel.RESIDENT,
        idempotency_key="phone-123-abc",
    )
    b = service.open_workorder(
        db,
        data=report(world),
        actor=RESIDENT,
        channel=Channel.RESIDENT,
        idempotency_key="phone-123-abc",
    )
    assert a.id == b.id
    with pytest.raises(Conflict):
        service.open_workorder(
            db,
            data=report(world),
            actor=DISPATCHER,
            channel=Channel.HOTLINE,
            idempotency_key="phone-123-abc",
        )


def test_sla_job_lights_escalates_and_auto_closes(db: Session, world: World) -> None:
    order = service.open_workorder(db, data=report(world), actor=RESIDENT, channel=Channel.RESIDENT)
    go(db, order, Action.DISPATCH, DISPATCHER, category="HJ01")
    start = order.dispatched_at
    assert start is not None
    tasks.sla_check(db, now=start + timedelta(hours=20))
    assert order.sla_light == "yellow"
    report_ = tasks.sla_check(db, now=start + timedelta(hours=25))
    assert order.sla_light == "red" and order.escalation_level == 1
    assert report_.escalated >= 1
    again = tasks.sla_check(db, now=start + timedelta(hours=26))
    assert order.escalation_level == 1 and again.escalated == 0  # once per incident
    notes = db.scalars(
        select(WorkOrderEvent).where(
            WorkOrderEvent.work_order_id == order.id, WorkOrderEvent.action == "escalate"
        )
    ).all()
    assert len(notes) == 1 and notes[0].data["to"] == "社区"
    go(db, order, Action.ACCEPT, HANDLER)
    go(db, order, Action.START, HANDLER)
    go(db, order, Action.REPLY, HANDLER, reply="已处理")
    tasks.sla_check(db, now=utcnow() + timedelta(days=8))
    assert order.status == State.CLOSED and order.satisfaction is None


def test_pause_moves_deadline(db: Session, world: World) -> None:
    order = service.open_workorder(db, data=report(world), actor=RESIDENT, channel=Channel.RESIDENT)
    go(db, order, Action.DISPATCH, DISPATCHER, category="HJ01")
    go(db, order, Action.ACCEPT, HANDLER)
    go(db, order, Action.START, HANDLER)
    due = order.due_at
    assert due is not None
    t0 = utcnow()
    service.transition(
        db, order=order, action=Action.PAUSE, actor=HANDLER, reason="等待材料", now=t0
    )
    service.transition(
        db,
        order=order,
        action=Action.RESUME,
        actor=HANDLER,
        reason="材料已到",
        now=t0 + timedelta(hours=5),
    )
    assert order.due_at == due + timedelta(hours=5)
    assert order.paused_hours == pytest.approx(5.0)
