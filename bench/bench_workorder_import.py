"""Bulk import of historic work orders on SQLite: rows/s, against a bare executemany baseline.

    .venv/bin/python bench/bench_workorder_import.py [--rows 1000000]

Generates a CSV of N orders located in a 100-grid layer, then times, in the same run on the same
machine: (a) ``civicgrid workorders import``'s service (read CSV, validate, locate, de-duplicate,
insert, ledger entry) into a migrated SQLite database, and (b) a bare ``executemany`` insert of the
same rows (already parsed) into the same table of a fresh database — the floor.
"""

from __future__ import annotations

import argparse
import csv
import random
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from civicgrid.kit import migrate
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "orders.csv"
        make_csv(csv_path, args.rows)
        session = migrated(Path(tmp) / "a.db")
        t0 = time.perf_counter()
        with open_table(csv_path) as table:
            result = bulk_import.import_orders(
                session, rows=table.rows(), mapping=bulk_import.BUILTIN["civicgrid"], source="h"
            )
        session.commit()
        ours = time.perf_counter() - t0
        assert result.inserted == args.rows, result.problems[:5]

        # Baseline: the same rows, already parsed to final values, one executemany on a fresh db.
        base_session = migrated(Path(tmp) / "b.db")
        base_session.close()
        now = datetime.now(UTC).isoformat(sep=" ")
        with csv_path.open(encoding="utf-8") as fh:
            reader = csv.reader(fh)
            next(reader)
            prepared = [
                (
                    f"h-{r[0]}",
                    r[2],
                    r[3],
                    r[4],
                    r[5],
                    "import",
                    "closed",
                    2,
                    1,
                    float(r[8]),
                    float(r[9]),
                    r[1],
                    r[7],
                    now,
                    now,
                )
                for r in reader
            ]
        conn = sqlite3.connect(Path(tmp) / "b.db")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        t0 = time.perf_counter()
        conn.executemany(
            "INSERT INTO work_order (code, title, description, category, department, channel,"
            " status, priority, node_id, lat, lon, reported_at, closed_at, created_at, updated_at,"
            " returns_count, reassign_count, reopen_count, likes, resolved_in_grid, extra, version,"
            " paused_hours,"
            " escalation_level, is_dispute, is_repeat)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,0,0,0,0,0,'{}',1,0,0,0,0)",
            prepared,
        )
        conn.commit()
        bare = time.perf_counter() - t0
        conn.close()
    print(f"rows: {args.rows:,}")
    print(
        f"civicgrid import (CSV read + validate + locate + dedup + insert + ledger): "
        f"{ours:.2f} s = {args.rows / ours:,.0f} rows/s"
    )
    print(f"bare executemany of pre-parsed rows: {bare:.2f} s = {args.rows / bare:,.0f} rows/s")
    print(f"ratio (ours / bare throughput): {bare / ours:.3f}")


if __name__ == "__main__":
    main()
