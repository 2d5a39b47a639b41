"""Background jobs of the loop: SLA lights, escalation up the hierarchy, auto-close.

``sla_check`` is one transaction's work. ``scheduled_sla_check`` runs it in a transaction of its
own: the web process calls it every ``CIVICGRID_SLA_CHECK_MINUTES`` (``kit.periodic``, started by
``create_app``), and ``civicgrid workorders sla-check`` runs it once, from cron or a systemd timer
when the in-process job is switched off.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from civicgrid.config import get_settings
from civicgrid.kit.db import is_sqlite, transaction
from civicgrid.kit.timeutil import utcnow
from civicgrid.models.workorder import WorkOrder
from civicgrid.workorders import service
from civicgrid.workorders.sla import SlaLight, light
from civicgrid.workorders.states import OPEN_STATES, Action, State


@dataclass
class SlaReport:
    checked: int = 0
    yellow: int = 0
    red: int = 0
    escalated: int = 0
    auto_closed: int = 0


def sla_check(session: Session, *, now: datetime | None = None, batch: int = 2000) -> SlaReport:
    """Update the traffic light of every running order, escalate newly overdue ones, auto-close."""
    now = now or utcnow()
    report = SlaReport()
    running = [s.value for s in OPEN_STATES if s not in (State.REPORTED, State.TRIAGED)]
    last_id = 0
    while True:
        orders = list(
            session.scalars(
                select(WorkOrder)
                .where(
                    WorkOrder.status.in_(running),
                    WorkOrder.due_at.is_not(None),
                    WorkOrder.id > last_id,
                )
                .order_by(WorkOrder.id)
                .limit(batch)
            )
        )
        if not orders:
            break
        last_id = orders[-1].id
        for order in orders:
            report.checked += 1
            assert order.due_at is not None
            started = order.dispatched_at or order.reported_at
            # A running pause stops the clock; finished pauses already moved ``due_at``.
            pausing = (now - order.paused_at).total_seconds() / 3600 if order.paused_at else 0.0
            colour = light(now=now, started=started, due=order.due_at, paused_hours=pausing)
            if colour == SlaLight.YELLOW:
                report.yellow += 1
            if colour == SlaLight.RED:
                report.red += 1
                if order.sla_light != SlaLight.RED:
                    _escalate(session, order, now)
                    report.escalated += 1
            if order.sla_light != colour:
                order.sla_light = colour
        session.flush()
    window = timedelta(days=get_settings().auto_close_days)
    stale = session.scalars(
        select(WorkOrder).where(
            WorkOrder.status == State.REPLIED, WorkOrder.replied_at <= now - window
        )
    ).all()
    for order in stale:
        service.transition(
            session,
            order=order,
            action=Action.CLOSE,
            actor=service.SYSTEM,
            reason="超过评价期限未评价，系统自动办结",
            now=now,
        )
        report.auto_closed += 1
    session.flush()
    return report


# Any constant: the PostgreSQL advisory lock that lets one process run the SLA job at a time.
SLA_LOCK_KEY = 0x5A1A_C4EC


def scheduled_sla_check(factory: sessionmaker[Session]) -> SlaReport | None:
    """``sla_check`` in its own transaction; None when another process is running it.

    Several web workers each run the job: on PostgreSQL a transaction-level advisory lock lets one
    of them through per tick; on SQLite the write transaction (BEGIN IMMEDIATE) serialises them.
    Two runs acting on one order are also stopped by the order's version column.
    """
    with transaction(factory) as session:
        engine = session.get_bind().engine
        locked = is_sqlite(engine) or session.scalar(
            select(func.pg_try_advisory_xact_lock(SLA_LOCK_KEY))
        )
        return sla_check(session) if locked else None


def _escalate(session: Session, order: WorkOrder, now: datetime) -> None:
    """Overdue: move the order one step up its escalation chain (community → street → district)."""
    order.escalation_level += 1
    chain = list(order.extra.get("escalation", []))
    target = chain[min(order.escalation_level, len(chain)) - 1] if chain else None
    service.record_note(
        session,
        order=order,
        actor=service.SYSTEM,
        action="escalate",
        data={
            "level": order.escalation_level,
            "to": target,
            "due_at": order.due_at.isoformat() if order.due_at else None,
        },
        reason="超过办理时限，自动升级",
        now=now,
    )
