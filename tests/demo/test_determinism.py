"""Same seed, same city; another seed, another city (both backends).

Kept apart from test_generator.py, whose module-wide transaction holds SQLite's write lock.
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from civicgrid.demo.generator import generate_city
from civicgrid.demo.summary import fingerprint
from civicgrid.models.org import OrgNode

SEED = 11


def test_same_seed_same_city_other_seed_other_city(engine: Engine) -> None:
    prints = []
    for seed in (SEED, SEED, SEED + 1):
        connection = engine.connect()
        outer = connection.begin()
        session = Session(bind=connection, join_transaction_mode="create_savepoint")
        try:
            summary = generate_city(session, size="small", seed=seed)
            district = session.get(OrgNode, summary.district_id)
            assert district is not None
            prints.append(fingerprint(session, district.path))
        finally:
            session.close()
            outer.rollback()
            connection.close()
    assert prints[0] == prints[1]
    assert all(prints[0][table] != prints[2][table] for table in prints[0])
