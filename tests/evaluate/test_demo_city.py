"""Both built-in templates on the generated demo city (small size), on both backends.

Timing is measured by bench/bench_evaluate.py, never asserted here.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from civicgrid.demo.generator import generate_city
from civicgrid.evaluate import service
from civicgrid.evaluate.periods import Period
from tests.fixtures.world import World


def test_demo_city_with_both_templates(db: Session, world: World) -> None:
    summary = generate_city(db, size="small")
    year = Period(summary.reference_date - timedelta(days=364), summary.reference_date)
    scope = summary.district_code
    workers = service.evaluate(db, system="grid_worker", level="worker", period=year, scope=scope)
    grids = service.evaluate(db, system="governance_index", level="grid", period=year, scope=scope)
    assert len(workers.entities) == len(grids.entities) == summary.levels["grid"]
    assert workers.warnings == []
    assert grids.warnings == []
    for result in (workers, grids):
        scores = [e.score for e in result.entities]
        assert all(0.0 <= s <= 100.0 for s in scores)
        assert len(set(scores)) > 1  # the data tells the objects apart
        assert result.entities[0].rank == 1
        for entity in result.entities:
            missing = [k for k, v in entity.values.items() if v.missing]
            assert missing == [], (entity.name, missing)
    streets = service.evaluate(
        db, system="governance_index", level="street", period=year, scope=scope
    )
    assert len(streets.entities) == summary.levels["street"]
