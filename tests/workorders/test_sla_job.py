"""The SLA job inside the web process: a thread that runs ``scheduled_sla_check`` on time.

It commits, so it runs on a database of its own (one per backend), not the shared test world.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session
from tests.conftest import _drop_pg_schema, _pg_engine
from tests.fixtures.world import build_world

from civicgrid.app import create_app
from civicgrid.config import Settings
from civicgrid.kit import migrate
from civicgrid.kit.db import make_engine, make_sessionmaker
from civicgrid.kit.periodic import Periodic
from civicgrid.kit.timeutil import utcnow
from civicgrid.models.ledger import LedgerEntry
from civicgrid.models.workorder import WorkOrder
from civicgrid.workorders.tasks import SLA_LOCK_KEY, scheduled_sla_check


@pytest.fixture
def own_engine(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    schema = f"sla_{uuid.uuid4().hex[:8]}"
    if backend == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path_factory.mktemp('sla') / 'sla.db'}")
    else:
        eng = _pg_engine(schema)
    migrate.upgrade(eng)
    with Session(eng) as session:
        world = build_world(session)
        now = utcnow()
        session.add(
            WorkOrder(
                code="SLA-1",
                title="井盖缺失",
                status="dispatched",
                node_id=world.grids["D1-1"].id,
                reported_at=now - timedelta(hours=30),
                dispatched_at=now - timedelta(hours=29),
                due_at=now - timedelta(hours=1),
                department="城管",
                extra={"escalation": ["社区", "街道", "区"]},
            )
        )
        session.commit()
    yield eng
    eng.dispose()
    if backend == "postgresql":
        _drop_pg_schema(schema)


def test_the_thread_turns_an_overdue_order_red_once(own_engine: Engine) -> None:
    factory = make_sessionmaker(own_engine)
    reports = []
    done = threading.Event()

    def job() -> None:
        reports.append(scheduled_sla_check(factory))
        if len(reports) >= 2:
            done.set()

    periodic = Periodic("sla-test", 0.05, job)
    periodic.start()
    assert done.wait(60)
    periodic.stop()
    assert not periodic.running and periodic.failures == 0
    first, second = reports[0], reports[1]
    assert first is not None and second is not None
    assert (first.red, first.escalated) == (1, 1)
    assert (second.red, second.escalated) == (1, 0)  # escalated once, not on every tick
    with Session(own_engine) as session:
        order = session.scalars(select(WorkOrder).where(WorkOrder.code == "SLA-1")).one()
        assert order.sla_light == "red" and order.escalation_level == 1
        notes = session.scalars(select(LedgerEntry)).all()
        assert len(notes) == 1  # the escalation is in the ledger


def test_one_process_at_a_time(own_engine: Engine, backend: str) -> None:
    """PostgreSQL: a run finding the lock taken skips its tick. SQLite: it waits for the writer."""
    factory = make_sessionmaker(own_engine)
    if backend == "postgresql":
        with own_engine.connect() as other:
            other.execute(text("SELECT pg_advisory_lock(:k)"), {"k": SLA_LOCK_KEY})
            try:
                assert scheduled_sla_check(factory) is None
            finally:
                other.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": SLA_LOCK_KEY})
        assert scheduled_sla_check(factory) is not None
        return
    raw = own_engine.raw_connection()
    try:
        raw.execute("BEGIN IMMEDIATE")  # another process is writing
        results: list[object] = []
        waiting = threading.Thread(target=lambda: results.append(scheduled_sla_check(factory)))
        waiting.start()
        time.sleep(0.5)
        assert waiting.is_alive() and not results  # queued behind the writer, not failed
        raw.commit()
        waiting.join(30)
        assert results and results[0] is not None
    finally:
        raw.close()


def test_a_failing_run_does_not_stop_the_job() -> None:
    calls: list[int] = []
    done = threading.Event()

    def job() -> None:
        calls.append(1)
        if len(calls) >= 3:
            done.set()
        raise RuntimeError("database away")

    periodic = Periodic("failing", 0.01, job)
    periodic.start()
    assert done.wait(10)
    periodic.stop()
    assert periodic.failures >= 3 and not periodic.running
    with pytest.raises(ValueError):
        Periodic("never", 0, job)


def test_the_app_starts_and_stops_the_job(own_engine: Engine) -> None:
    app = create_app(Settings(sla_check_minutes=5), engine=own_engine)
    with TestClient(app):
        job = app.state.sla_job
        assert job is not None and job.running and job.interval == 300
    assert not job.running  # shutdown stopped the thread (stop() joins it)
    off = create_app(Settings(sla_check_minutes=0), engine=own_engine)
    with TestClient(off):
        assert off.state.sla_job is None
