"""Random sequences of actions by random roles: never an undefined state, never a skipped ledger
entry, and the buck-passing counters always equal the events behind them."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.fixtures.world import World
from tests.workorders.conftest import DISPATCHER, HANDLER, OTHER_HANDLER, RESIDENT, report

from civicgrid.errors import CivicgridError
from civicgrid.models.ledger import LedgerEvent
from civicgrid.models.workorder import Channel, WorkOrderEvent
from civicgrid.workorders import service, tasks
from civicgrid.workorders.states import Action, State

ACTORS = [RESIDENT, DISPATCHER, HANDLER, OTHER_HANDLER, service.SYSTEM]
PARAMS = {
    "category": "HJ01",
    "reply": "已处理",
    "satisfaction": "满意",
    "department": "城管执法队",
    "departments": ["城管执法队"],
    "mediator": "王调解",
}


@pytest.mark.usefixtures("published")
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(list(Action)), st.sampled_from(range(len(ACTORS))), st.booleans()
        ),
        min_size=1,
        max_size=25,
    )
)
def test_random_walks(db: Session, world: World, moves: list[tuple[Action, int, bool]]) -> None:
    order = service.open_workorder(db, data=report(world), actor=RESIDENT, channel=Channel.RESIDENT)
    for action, who, with_reason in moves:
        before = (order.status, order.version)
        try:
            service.transition(
                db,
                order=order,
                action=action,
                actor=ACTORS[who],
                reason="理由" if with_reason else None,
                params=PARAMS,
            )
        except CivicgridError:
            db.flush()
            assert (order.status, order.version) == before  # a refusal changes nothing
            continue
        assert order.status in {s.value for s in State}
        tasks.sla_check(db)
    events = db.scalars(
        select(WorkOrderEvent).where(WorkOrderEvent.work_order_id == order.id)
    ).all()
    ledgered = db.scalar(
        select(func.count())
        .select_from(LedgerEvent)
        .where(LedgerEvent.subject_type == "work_order", LedgerEvent.subject_id == str(order.id))
    )
    assert ledgered == len(events)
    assert all(e.ledger_index is not None for e in events)
    assert order.returns_count == sum(e.action == "return" for e in events)
    assert order.reassign_count == sum(e.action == "reassign" for e in events)
    assert order.reopen_count == sum(e.action == "reopen" for e in events)
    states = [e.to_state for e in events if e.action not in ("escalate",)]
    assert states[-1] == order.status
