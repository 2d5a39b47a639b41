"""Benchmark: what protection costs — scope-filtered queries and password hashing.

    .venv/bin/python bench/bench_auth.py [--people 100000] [--repeat 5] [--pg URL]

1. Scope filters. A city of ``--people`` residents spread over 4 streets × 8 communities × 8 grids
   (256 grids) in a temporary SQLite file (and PostgreSQL with ``--pg``). Times, best of
   ``--repeat``, for a grid worker (one grid) and a street leader (64 grids):
   - baseline: the same rows selected by a hand-written ``node_id IN (...)`` list;
   - policy:   ``policy.readable(select(...), subject, Person)`` (the subtree sub-select).
   The ratio policy / baseline is the overhead of deciding scope in the database.
2. Argon2id. Hash + verify time with the production parameters (3 passes, 64 MiB, 4 lanes) against
   the test parameters (1 pass, 8 MiB, 1 lane) as a baseline: what one login costs the server.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("CIVICGRID_SECRET_KEY", "bench-secret-not-for-production")
os.environ.setdefault("CIVICGRID_FIELD_KEYS", "k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")

from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.orm import Session

from civicgrid.auth import policy
from civicgrid.auth.passwords import hasher
from civicgrid.auth.roles import ROLE_PERMISSIONS, Role
from civicgrid.auth.subject import Grant, Subject
from civicgrid.config import Settings
from civicgrid.kit import migrate
from civicgrid.kit.db import make_engine
from civicgrid.models.org import OrgLevel, OrgNode, subtree_of
from civicgrid.models.registry import Person
from civicgrid.org.service import create_node


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def build(engine: Engine, people: int) -> tuple[OrgNode, OrgNode]:
    migrate.upgrade(engine)
    with Session(engine, expire_on_commit=False) as s:
        root = create_node(s, parent=None, level=OrgLevel.DISTRICT, name="基准区", code="B")
        grids: list[int] = []
        street0 = grid0 = None
        for i in range(4):
            street = create_node(s, parent=root, level=OrgLevel.STREET, name=f"S{i}", code=f"B{i}")
            street0 = street0 or street
            for j in range(8):
                com = create_node(s, parent=street, level=OrgLevel.COMMUNITY, name=f"C{i}{j}",
                                  code=f"B{i}{j}")  # fmt: skip
                for k in range(8):
                    grid = create_node(s, parent=com, level=OrgLevel.GRID, name=f"G{i}{j}{k}",
                                       code=f"B{i}{j}{k}")  # fmt: skip
                    grid0 = grid0 or grid
                    grids.append(grid.id)
        rows = [
            {"node_id": grids[n % len(grids)], "name": f"居民{n}", "tags": []}
            for n in range(people)
        ]
        for start in range(0, len(rows), 20_000):
            s.execute(insert(Person), rows[start : start + 20_000])
        s.commit()
        assert street0 is not None
        assert grid0 is not None
        return street0, grid0


def measure(engine: Engine, people: int, repeat: int, label: str) -> list[str]:
    street, grid = build(engine, people)
    lines = []
    with Session(engine) as s:
        if engine.dialect.name == "postgresql":
            s.execute(text("ANALYZE"))
        for who, node, role in (("grid worker", grid, Role.GRID_WORKER),
                                ("street leader", street, Role.LEADER)):  # fmt: skip
            subject = Subject(
                user_id=1,
                username=who,
                grants=(Grant(role, ROLE_PERMISSIONS[role], node_id=node.id, node_path=node.path),),
            )
            ids = list(s.scalars(select(OrgNode.id).where(subtree_of(OrgNode.path, node.path))))
            base_stmt = select(Person.id, Person.name).where(Person.node_id.in_(ids))
            pol_stmt = policy.readable(select(Person.id, Person.name), subject, Person)
            n_base = len(s.execute(base_stmt).all())
            n_pol = len(s.execute(pol_stmt).all())
            assert n_base == n_pol, (n_base, n_pol)
            t_base = best(lambda st=base_stmt: s.execute(st).all(), repeat)
            t_pol = best(lambda st=pol_stmt: s.execute(st).all(), repeat)
            count = select(func.count()).select_from(pol_stmt.subquery())
            t_count = best(lambda st=count: s.scalar(st), repeat)
            lines.append(
                f"| {label} | {who} | {n_pol:,} | {t_base * 1000:.1f} | {t_pol * 1000:.1f} | "
                f"{t_pol / t_base:.2f} | {t_count * 1000:.1f} |"
            )
    return lines


def argon(repeat: int) -> list[str]:
    prod = Settings(password_time_cost=3, password_memory_kib=65536, password_parallelism=4)
    test = Settings(password_time_cost=1, password_memory_kib=8192, password_parallelism=1)
    out = []
    results = {}
    for label, settings in (("test parameters (baseline)", test), ("production", prod)):
        ph = hasher(settings)
        stored = ph.hash("Camellia-Bridge-33")
        results[label] = (
            best(lambda ph=ph: ph.hash("Camellia-Bridge-33"), repeat),
            best(lambda ph=ph, h=stored: ph.verify(h, "Camellia-Bridge-33"), repeat),
        )
    base = results["test parameters (baseline)"][1]
    for label, (h, v) in results.items():
        out.append(f"| {label} | {h * 1000:.1f} | {v * 1000:.1f} | {v / base:.1f} |")
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--pg", default="", help="PostgreSQL URL (an empty database/schema)")
    args = parser.parse_args()
    print("| backend | subject | rows | baseline ms | policy ms | ratio | policy count(*) ms |")
    print("|---|---|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        for line in measure(engine, args.people, args.repeat, "SQLite"):
            print(line)
        engine.dispose()
    if args.pg:
        engine = make_engine(args.pg)
        for line in measure(engine, args.people, args.repeat, "PostgreSQL"):
            print(line)
        engine.dispose()
    print()
    print("| Argon2id | hash ms | verify ms | verify ratio to baseline |")
    print("|---|---:|---:|---:|")
    for line in argon(args.repeat):
        print(line)


if __name__ == "__main__":
    main()
