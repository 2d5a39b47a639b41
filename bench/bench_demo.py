"""Build time of the demo city, against a bare insert of the very same rows.

    .venv/bin/python bench/bench_demo.py [--size small|default|city] [--seed N]

1. Builds the city into a fresh, migrated SQLite file with ``generate_city`` (wall and CPU time).
2. Baseline: reads back every generated row and inserts the same rows with a bare ``executemany``
   into a second fresh, migrated SQLite file (same schema and indexes), in one transaction.
The ratio build / baseline says how much the generation itself (geometry, people, texts,
encryption) costs on top of writing the rows. CPU seconds are printed too: on a busy machine they
move less than wall-clock seconds.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import tempfile
import time
from pathlib import Path

from sqlalchemy.orm import Session

from civicgrid.demo.generator import generate_city
from civicgrid.demo.keys import demo_keys
from civicgrid.demo.sizes import DEFAULT_SEED
from civicgrid.kit import migrate
from civicgrid.kit.db import make_engine

TABLES = ("org_node", "grid_member", "household", "person", "entity", "place", "work_order")


def fresh_db(path: Path) -> None:
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="default", choices=["small", "default", "city"])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench_demo_"))
    keys = demo_keys(
        tmp, os.environ.get("CIVICGRID_SECRET_KEY", ""), os.environ.get("CIVICGRID_FIELD_KEYS", "")
    )

    built = tmp / "built.db"
    fresh_db(built)
    engine = make_engine(f"sqlite:///{built}")
    wall0, cpu0 = time.perf_counter(), time.process_time()
    with Session(engine) as session:
        summary = generate_city(session, size=args.size, seed=args.seed, cipher=keys.cipher())
        session.commit()
    build_wall, build_cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    engine.dispose()

    source = sqlite3.connect(built)
    data = {t: source.execute(f"SELECT * FROM {t}").fetchall() for t in TABLES}
    columns = {t: len(source.execute(f"SELECT * FROM {t} LIMIT 0").description) for t in TABLES}
    source.close()
    rows = sum(len(v) for v in data.values())

    copy = tmp / "baseline.db"
    fresh_db(copy)
    target = sqlite3.connect(copy, isolation_level=None)
    target.execute("PRAGMA journal_mode=WAL")
    target.execute("PRAGMA synchronous=NORMAL")
    target.execute("PRAGMA foreign_keys=ON")
    wall0, cpu0 = time.perf_counter(), time.process_time()
    target.execute("BEGIN")
    for table in TABLES:
        marks = ", ".join("?" * columns[table])
        target.executemany(f"INSERT INTO {table} VALUES ({marks})", data[table])
    target.execute("COMMIT")
    base_wall, base_cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    target.close()

    print(
        f"demo city size={args.size} seed={args.seed}: {rows:,} rows "
        f"({summary.tables['person']:,} residents, {summary.tables['work_order']:,} work orders)"
    )
    print(
        f"  generate_city     wall {build_wall:7.2f} s   cpu {build_cpu:7.2f} s   "
        f"{rows / build_wall:10,.0f} rows/s"
    )
    print(
        f"  bare executemany  wall {base_wall:7.2f} s   cpu {base_cpu:7.2f} s   "
        f"{rows / base_wall:10,.0f} rows/s"
    )
    print(
        f"  ratio build/baseline: wall {build_wall / base_wall:.1f}x, "
        f"cpu {build_cpu / base_cpu:.1f}x"
    )
    print(f"  stages (wall s): {summary.timings}   load average: {os.getloadavg()[0]:.1f}")
    for f in tmp.iterdir():
        f.unlink()
    tmp.rmdir()


if __name__ == "__main__":
    main()
