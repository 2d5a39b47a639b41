"""Ledger benchmark: batched appends per second, against the hashing floor; verifying a big log.

    .venv/bin/python bench/bench_ledger.py                      # SQLite, 200k appends, 1M verify
    .venv/bin/python bench/bench_ledger.py --entries 50000 --verify-size 100000   # quick
    .venv/bin/python bench/bench_ledger.py --pg postgresql+psycopg://postgres@127.0.0.1/test

Prints, for the same leaves on the same machine in the same run:
- the floor: hashlib alone computing every leaf hash and tree node (no JSON, no database);
- in-memory: canonical JSON + hashes + frontier, no database;
- append_many / record_many into SQLite (and PostgreSQL with --pg), one transaction per batch;
- ratios of each rate to the floor;
- time to verify a log of --verify-size entries with ``service.verify_log`` (every check), and
  the latency of an inclusion proof in it.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from civicgrid.kit import migrate
from civicgrid.kit.db import make_engine
from civicgrid.ledger import canonical, merkle, service
from civicgrid.ledger.records import EventRecord


def items(start: int, count: int) -> list[dict[str, Any]]:
    """Leaf documents shaped like event leaves (about 150 bytes each)."""
    return [
        {
            "digest": hashlib.sha256(b"%d" % i).hexdigest(),
            "subject": f"work_order:{100000 + i // 7}",
            "ts": 1_795_400_000_000 + i,
            "type": 301 + i % 14,
            "v": 1,
        }
        for i in range(start, start + count)
    ]


class Clock:
    """Wall-clock and CPU seconds of the measured code only (the machine may be shared)."""

    def __init__(self) -> None:
        self.wall = self.cpu = 0.0

    def run(self, fn: Callable[[], Any]) -> None:
        w, c = time.perf_counter(), time.process_time()
        fn()
        self.wall += time.perf_counter() - w
        self.cpu += time.process_time() - c

    def rates(self, count: int) -> tuple[float, float]:
        return count / self.wall, count / self.cpu


def best_of(count: int, fn: Callable[[], Any], repeat: int = 3) -> tuple[float, float]:
    results = []
    for _ in range(repeat):
        clock = Clock()
        clock.run(fn)
        results.append(clock.rates(count))
    return max(r[0] for r in results), max(r[1] for r in results)


def floor_rates(leaves: list[bytes]) -> tuple[float, float]:
    """hashlib alone: every leaf hash plus the n-1 node hashes of the tree."""

    def run() -> None:
        sha = hashlib.sha256
        hashes = [sha(b"\x00" + leaf).digest() for leaf in leaves]
        while len(hashes) > 1:
            pairs = zip(hashes[::2], hashes[1::2], strict=False)
            nxt = [sha(b"\x01" + a + b).digest() for a, b in pairs]
            if len(hashes) % 2:
                nxt.append(hashes[-1])
            hashes = nxt

    return best_of(len(leaves), run)


def memory_rates(docs: list[dict[str, Any]]) -> tuple[float, float]:
    """What append_many does before the database: check, encode, hash, frontier."""

    def run() -> None:
        frontier: list[bytes] = []
        for seq, doc in enumerate(docs):
            canonical.check(doc)
            leaf = canonical.encode_unchecked({**doc, "seq": seq})
            merkle.frontier_append(frontier, seq, merkle.leaf_hash(leaf))

    return best_of(len(docs), run)


def fresh_sqlite(directory: Path, name: str) -> Engine:
    engine = make_engine(f"sqlite:///{directory / name}")
    migrate.upgrade(engine)
    return engine


def append_rates(engine: Engine, total: int, batch: int) -> tuple[float, float]:
    """append_many + commit per batch; building the documents is not timed."""
    clock = Clock()
    for start in range(0, total, batch):
        docs = items(start, min(batch, total - start))

        def run(docs: list[dict[str, Any]] = docs) -> None:
            with Session(engine) as session:
                service.append_many(session, docs)
                session.commit()

        clock.run(run)
    return clock.rates(total)


def record_rates(engine: Engine, total: int, batch: int) -> tuple[float, float]:
    """record_many + commit per batch: a leaf plus a salted record row per event."""
    clock = Clock()
    for start in range(0, total, batch):
        events = [
            EventRecord(303, "work_order", 100000 + i // 7, {"to": "dispatched", "dept": "城管"}, 7)
            for i in range(start, min(start + batch, total))
        ]

        def run(events: list[EventRecord] = events) -> None:
            with Session(engine) as session:
                service.record_many(session, events)
                session.commit()

        clock.run(run)
    return clock.rates(total)


def line(label: str, rates: tuple[float, float], floor: tuple[float, float], unit: str) -> None:
    wall, cpu = rates
    print(
        f"{label:<38} {wall:>9,.0f} {unit}/s wall ({wall / floor[0]:.2f} of floor), "
        f"{cpu:>9,.0f} {unit}/s CPU ({cpu / floor[1]:.2f} of floor)"
    )


def pg_engine(url: str) -> Iterator[Engine]:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    migrate.upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=200_000, help="appends per measurement")
    parser.add_argument("--verify-size", type=int, default=1_000_000, help="log size to verify")
    parser.add_argument("--pg", default="", help="also measure on this PostgreSQL URL")
    args = parser.parse_args()
    n = args.entries

    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    docs = items(0, n)
    leaves = [canonical.encode_unchecked({**d, "seq": i}) for i, d in enumerate(docs)]
    print(f"leaves: {n:,}, {statistics.mean(len(x) for x in leaves):.0f} bytes on average")
    floor = floor_rates(leaves)
    line("floor: hashlib only (leaf + nodes)", floor, floor, "entries")
    line("in memory: check + JSON + hashes", memory_rates(docs), floor, "entries")
    del docs, leaves

    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        for batch in (100, 1_000, 10_000):
            engine = fresh_sqlite(directory, f"append_{batch}.db")
            line(
                f"SQLite append_many, batch {batch:,}",
                append_rates(engine, n, batch),
                floor,
                "entries",
            )
            engine.dispose()
        engine = fresh_sqlite(directory, "record.db")
        line("SQLite record_many, batch 1,000", record_rates(engine, n, 1_000), floor, "events")
        engine.dispose()
        if args.pg:
            for engine in pg_engine(args.pg):
                rates = append_rates(engine, n, 10_000)
                line("PostgreSQL append_many, batch 10,000", rates, floor, "entries")
                line(
                    "PostgreSQL record_many, batch 1,000",
                    record_rates(engine, n // 2, 1_000),
                    floor,
                    "events",
                )

        size = args.verify_size
        engine = fresh_sqlite(directory, "big.db")
        line(
            f"SQLite building a {size:,}-entry log",
            append_rates(engine, size, 10_000),
            floor,
            "entries",
        )
        with Session(engine) as session:
            clock = Clock()
            reports = []
            clock.run(lambda: reports.append(service.verify_log(session)))
            report = reports[0]
            assert report.ok, report.problems
            assert report.entries_checked == size
            print(
                f"verify_log of {size:,} entries: {clock.wall:.2f} s wall, {clock.cpu:.2f} s CPU "
                f"(the hashing floor alone: {size / floor[1]:.2f} s CPU)"
            )
            rng = random.Random(1)
            latencies = []
            for _ in range(200):
                index = rng.randrange(size)
                t0 = time.perf_counter()
                service.inclusion_proof(session, index=index, tree_size=size)
                latencies.append(time.perf_counter() - t0)
            latencies.sort()
            print(
                f"inclusion proof in a {size:,}-entry log: p50 {latencies[100] * 1e3:.2f} ms, "
                f"p99 {latencies[197] * 1e3:.2f} ms"
            )
        engine.dispose()


if __name__ == "__main__":
    main()
