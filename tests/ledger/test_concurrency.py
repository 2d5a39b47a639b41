"""Concurrent appenders never fork the log: one sequencer, on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading

from sqlalchemy import Engine, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from civicgrid.ledger import service
from civicgrid.ledger.records import EventRecord
from civicgrid.ledger.store import ENTRY, get_head

THREADS, ROUNDS, BATCH = 4, 12, 5


def _worker(engine: Engine, worker: int, read_first: bool, got: list[list[int]]) -> None:
    for r in range(ROUNDS):
        while True:
            with Session(engine) as session:
                try:
                    if read_first:  # a caller that looked at the log before appending
                        get_head(session)
                    events = [
                        EventRecord(503, "timebank_transfer", f"{worker}-{r}-{k}", {"pts": k})
                        for k in range(BATCH)
                    ]
                    indices = service.record_many(session, events)
                    session.commit()
                    got.append(list(indices))
                    break
                except OperationalError:  # SQLite: a stale snapshot may not write; retry
                    session.rollback()


def _run(engine: Engine, read_first: bool) -> list[list[int]]:
    got: list[list[int]] = []
    threads = [
        threading.Thread(target=_worker, args=(engine, w, read_first, got)) for w in range(THREADS)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return got


def test_concurrent_batches_get_disjoint_consecutive_positions(fresh_engine: Engine) -> None:
    batches = _run(fresh_engine, read_first=False) + _run(fresh_engine, read_first=True)
    total = 2 * THREADS * ROUNDS * BATCH
    assert len(batches) == 2 * THREADS * ROUNDS
    for batch in batches:
        assert batch == list(range(batch[0], batch[0] + BATCH))  # a batch is never interleaved
    assert sorted(i for b in batches for i in b) == list(range(total))
    with Session(fresh_engine) as session:
        assert get_head(session).tree_size == total
        stored = session.scalars(select(ENTRY.c.leaf_index).order_by(ENTRY.c.leaf_index)).all()
        assert list(stored) == list(range(total))
        report = service.verify_log(session)
        assert report.ok, report.problems
        assert report.events_checked == total
