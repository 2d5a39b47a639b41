"""Two dispatchers act on the same order at the same moment: one succeeds, one gets a 409 —
never a lost update. Real concurrent transactions on a private database per backend."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from tests.conftest import _drop_pg_schema, _pg_engine
from tests.fixtures.world import build_world
from tests.workorders.conftest import DISPATCHER, RESIDENT, RESPONSIBILITY, report

from civicgrid.errors import Conflict
from civicgrid.kit import migrate
from civicgrid.kit.db import begin_for_write, make_engine, make_sessionmaker
from civicgrid.models.workorder import Channel, WorkOrder
from civicgrid.workorders import responsibility as rl
from civicgrid.workorders import service
from civicgrid.workorders.states import Action


@pytest.fixture
def private_engine(backend: str, tmp_path: Path) -> Iterator[Engine]:
    schema = f"race_{uuid.uuid4().hex[:8]}"
    eng = (
        make_engine(f"sqlite:///{tmp_path / 'race.db'}")
        if backend == "sqlite"
        else _pg_engine(schema)
    )
    migrate.upgrade(eng)
    yield eng
    eng.dispose()
    if backend == "postgresql":
        _drop_pg_schema(schema)


def test_one_wins_one_conflicts(private_engine: Engine) -> None:
    factory = make_sessionmaker(private_engine)
    with factory() as s:
        world = build_world(s)
        rl.import_rows(s, rows=RESPONSIBILITY)
        order = service.open_workorder(
            s, data=report(world), actor=RESIDENT, channel=Channel.RESIDENT
        )
        s.commit()
        order_id, seen_version = order.id, order.version  # what both dispatchers' screens show
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def act(action: Action, params: dict[str, object], reason: str | None) -> None:
        barrier.wait()  # both requests arrive together
        session: Session = factory()
        try:
            begin_for_write(session)  # as the request dependency does for a POST
            mine = session.get(WorkOrder, order_id)
            assert mine is not None
            service.transition(
                session,
                order=mine,
                action=action,
                actor=DISPATCHER,
                reason=reason,
                params=params,
                expected_version=seen_version,
            )
            session.commit()
            outcomes.append("ok")
        except Conflict:
            session.rollback()
            outcomes.append("conflict")
        finally:
            session.close()

    threads = [
        threading.Thread(target=act, args=(Action.DISPATCH, {"category": "HJ01"}, None)),
        threading.Thread(target=act, args=(Action.REJECT, {}, "无效投诉")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["conflict", "ok"]
    with factory() as s:
        final = s.get(WorkOrder, order_id)
        assert final is not None
        events = service.timeline(s, final)
        assert events[0].action == "open"
        assert len(events) == 2  # exactly one of the two actions happened
        assert final.status in ("dispatched", "rejected")
        assert final.version == 3  # opened (1), code set (2), one action (3)
