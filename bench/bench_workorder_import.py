"""Bulk import of historic work orders on SQLite: rows/s, against a bare executemany floor.

    .venv/bin/python bench/bench_workorder_import.py [--rows 1000000] [--live-index-floor]

Generates a CSV of N orders located in a 100-grid layer, then times, in the same run on the same
machine:

(a) ``civicgrid workorders import``'s service (read CSV, validate, parse timestamps, locate,
    de-duplicate against file and database, insert, ledger entry, commit) into a migrated SQLite
    database (opened by ``make_engine``: WAL, ``synchronous=NORMAL``, foreign keys on);
(b) the floor: a bare ``sqlite3`` ``executemany`` of exactly the rows (a) stored — read back from
    (a)'s database, so no parsing at all — into the same table of a fresh migrated database,
    with the same connection settings and the same load policy as (a): the same INSERT statement
    (per-batch constants as literals), 256 MB page cache, the table's secondary indexes dropped
    before the load and rebuilt before the commit, chunks of 20,000 rows, one transaction;
(c) with ``--live-index-floor``: the same as (b) but with the indexes kept live and the default
    page cache (the policy the import had before large loads suspended the indexes).
"""

from __future__ import annotations

import argparse
import csv
import random
import sqlite3
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from civicgrid.kit import migrate
from civicgrid.kit.bulk import IMPORT_CACHE_KIB, BulkWriter
from civicgrid.kit.db import make_engine
from civicgrid.kit.tabular import open_table
from civicgrid.models.org import OrgLevel
from civicgrid.org.service import create_node
from civicgrid.workorders import bulk_import

HEADER = [
    "编号",
    "上报时间",
    "标题",
    "描述",
    "分类",
    "责任部门",
    "状态",
    "办结时间",
    "纬度",
    "经度",
]
CATS = [
    ("垃圾清运", "环卫所"),
    ("噪音扰民", "城管执法队"),
    ("占道经营", "城管执法队"),
    ("路灯损坏", "住建局"),
    ("邻里纠纷", "司法所"),
]
SIDE = 10  # 10 x 10 grids of 0.01 degrees


def make_csv(path: Path, rows: int) -> None:
    rng = random.Random(7)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for i in range(rows):
            cat, dept = CATS[i % len(CATS)]
            t = start + timedelta(seconds=rng.randrange(365 * 86400))
            closed = t + timedelta(hours=rng.randrange(1, 200))
            w.writerow(
                [
                    f"H{i:08d}",
                    t.strftime("%Y-%m-%d %H:%M:%S"),
                    f"{cat}问题第{i}号",
                    "居民反映",
                    cat,
                    dept,
                    "已办结",
                    closed.strftime("%Y-%m-%d %H:%M:%S"),
                    f"{28.2 + rng.random() * 0.01 * SIDE:.6f}",
                    f"{112.9 + rng.random() * 0.01 * SIDE:.6f}",
                ]
            )


def migrated(path: Path) -> Session:
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    session = Session(engine)
    root = create_node(session, parent=None, level=OrgLevel.DISTRICT, name="基准区", code="b")
    for r in range(SIDE):
        for c in range(SIDE):
            x, y = 112.9 + c * 0.01, 28.2 + r * 0.01
            ring = [[x, y], [x + 0.01, y], [x + 0.01, y + 0.01], [x, y + 0.01], [x, y]]
            create_node(
                session,
                parent=root,
                level=OrgLevel.GRID,
                name=f"G{r}-{c}",
                code=f"g{r}-{c}",
                geometry={"type": "Polygon", "coordinates": [ring]},
            )
    session.commit()
    return session


CHUNK = 20_000


def floor(
    path: Path, sql: str, rows: list[tuple[object, ...]], *, suspend: bool
) -> tuple[float, float]:
    """Wall and CPU seconds for BEGIN → inserts (→ index rebuild) → COMMIT of ``rows``."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    if suspend:
        conn.execute(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
    t0, c0 = time.perf_counter(), time.process_time()
    conn.execute("BEGIN")
    ddl: list[tuple[str, str]] = []
    if suspend:
        ddl = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'work_order'"
            " AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%' ORDER BY name"
        ).fetchall()
        for name, _sql in ddl:
            conn.execute(f'DROP INDEX "{name}"')
    for i in range(0, len(rows), CHUNK):
        conn.executemany(sql, rows[i : i + CHUNK])
    for _name, statement in ddl:
        conn.execute(statement)
    conn.execute("COMMIT")
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    conn.close()
    return seconds, cpu


def load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--live-index-floor", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "orders.csv"
        make_csv(csv_path, args.rows)
        session = migrated(Path(tmp) / "a.db")
        print(f"load average before: {load()}")
        t0, c0 = time.perf_counter(), time.process_time()
        with open_table(csv_path) as table:
            result = bulk_import.import_orders(
                session, rows=table, mapping=bulk_import.BUILTIN["civicgrid"], source="h"
            )
        session.commit()
        ours, ours_cpu = time.perf_counter() - t0, time.process_time() - c0
        assert result.inserted == args.rows, result.problems[:5]
        session.close()

        # The floor's rows: what (a) stored, read back; its statement: the one (a) used.
        captured: list[str] = []
        original = BulkWriter.insert_sql

        def spy(self: BulkWriter, *a: Any, **k: Any) -> str:
            sql = original(self, *a, **k)
            captured.append(sql)
            return sql

        BulkWriter.insert_sql = spy  # type: ignore[method-assign]
        try:
            session = migrated(Path(tmp) / "probe.db")
            bulk_import.import_orders(
                session,
                rows=[(2, dict(zip(HEADER, ["X", "2024-01-01 00:00:00", "t"], strict=False)))],
                mapping=bulk_import.BUILTIN["civicgrid"],
                source="h",
                default_node_id=1,
            )
            session.rollback()
            session.close()
        finally:
            BulkWriter.insert_sql = original  # type: ignore[method-assign]
        sql = captured[0]
        varying = ", ".join(bulk_import.VARYING)
        src = sqlite3.connect(Path(tmp) / "a.db")
        rows = src.execute(f"SELECT {varying} FROM work_order ORDER BY id").fetchall()
        src.close()
        assert len(rows) == args.rows

        fresh = Path(tmp) / "b.db"
        migrated(fresh).close()
        bare, bare_cpu = floor(fresh, sql, rows, suspend=True)
        live = None
        if args.live_index_floor:
            fresh = Path(tmp) / "c.db"
            migrated(fresh).close()
            live, _cpu = floor(fresh, sql, rows, suspend=False)
        print(f"load average after: {load()}")
    print(f"rows: {args.rows:,}")
    print(
        f"civicgrid import (CSV read + validate + locate + dedup + insert + index rebuild + "
        f"ledger + commit): {ours:.2f} s = {args.rows / ours:,.0f} rows/s"
    )
    print(
        f"floor: bare executemany of the stored rows, same statement and index policy: "
        f"{bare:.2f} s = {args.rows / bare:,.0f} rows/s"
    )
    print(f"ratio (ours / floor throughput): {bare / ours:.3f}")
    # CPU seconds of this process: less sensitive to other load on the machine than wall time.
    print(f"CPU s: ours {ours_cpu:.2f}, floor {bare_cpu:.2f}, ratio {bare_cpu / ours_cpu:.3f}")
    if live is not None:
        print(
            f"bare executemany, indexes live, default cache: "
            f"{live:.2f} s = {args.rows / live:,.0f} rows/s"
        )


if __name__ == "__main__":
    main()
