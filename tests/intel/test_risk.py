"""Five-colour risk: monotone, explained scores; colours; the DB-backed service on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from civicgrid.intel.analytics import grade_grid_risk
from civicgrid.intel.risk import (
    FACTORS,
    Colour,
    GridFactors,
    colour_fixed,
    colours_by_quantile,
    grade,
    score_grid,
    subscore,
)
from civicgrid.models.registry import Person, Place, PlaceKind
from civicgrid.models.workorder import WorkOrder
from tests.fixtures.world import World

NAMES = [f.name for f in FACTORS]
values_st = st.fixed_dictionaries(
    {name: st.floats(min_value=0, max_value=500, allow_nan=False) for name in NAMES}
)


@given(values=values_st, which=st.sampled_from(NAMES), extra=st.floats(0.01, 100))
def test_score_is_monotone_in_every_factor(
    values: dict[str, float], which: str, extra: float
) -> None:
    before, _ = score_grid(values)
    after, _ = score_grid({**values, which: values[which] + extra})
    assert after >= before
    if values[which] < 50:  # strictly, until the sub-score saturates in float precision
        assert after > before


@given(values=values_st)
def test_contributions_sum_to_score(values: dict[str, float]) -> None:
    score, contributions = score_grid(values)
    assert sum(c.points for c in contributions) == pytest.approx(score)
    assert 0.0 <= score < 100.0
    assert {c.factor for c in contributions} == set(NAMES)


def test_subscore_known_values() -> None:
    assert subscore(0, 10) == 0.0
    assert subscore(10, 10) == pytest.approx(0.5)
    assert subscore(20, 10) == pytest.approx(0.75)
    assert subscore(-5, 10) == 0.0


def test_fixed_cutoffs() -> None:
    assert colour_fixed(75) is Colour.RED
    assert colour_fixed(60) is Colour.RED
    assert colour_fixed(59.9) is Colour.ORANGE
    assert colour_fixed(30) is Colour.YELLOW
    assert colour_fixed(15) is Colour.BLUE
    assert colour_fixed(0) is Colour.GREEN


def test_quantile_colours() -> None:
    scores = [float(s) for s in range(20, 0, -1)]  # 20 distinct positive scores
    colours = colours_by_quantile(scores)
    assert colours[:2] == [Colour.RED] * 2  # top 10 %
    assert colours[2:5] == [Colour.ORANGE] * 3  # next 15 %
    assert colours[5:10] == [Colour.YELLOW] * 5
    assert colours[10:15] == [Colour.BLUE] * 5
    assert colours[15:] == [Colour.GREEN] * 5
    assert colours_by_quantile([0.0, 0.0]) == [Colour.GREEN, Colour.GREEN]


def test_grade_explains_and_sets_patrol_frequency() -> None:
    results = grade(
        [
            GridFactors(
                1,
                "甲",
                {
                    "events": 80,
                    "hazards": 4,
                    "overdue": 6,
                    "sensor_alerts": 5,
                    "special_population": 40,
                },
            ),
            GridFactors(2, "乙", {}),
        ]
    )
    top, calm = results
    assert top.grid == "甲" and top.colour is Colour.RED and top.patrol_every_days == 1
    assert calm.colour is Colour.GREEN and calm.patrol_every_days == 7
    assert "风险隐患点 4 → " in top.explain()
    assert calm.explain() == "无风险因素"


AS_OF = datetime(2025, 3, 1, 12, tzinfo=UTC)
_codes = count()


def order(world: World, grid: str, **kw: object) -> WorkOrder:
    fields: dict[str, object] = {
        "code": f"R{next(_codes):06d}",
        "title": "测试工单",
        "status": "dispatched",
        "node_id": world.grids[grid].id,
        "reported_at": AS_OF - timedelta(days=3),
    }
    fields.update(kw)
    return WorkOrder(**fields)


def test_service_grades_grids_from_the_database(db: Session, world: World) -> None:
    d11, x21 = world.grids["D1-1"], world.grids["X2-1"]
    rows: list[object] = []
    # D1-1: many recent urgent events, overdue orders, hazards, sensors, vulnerable residents
    rows += [order(world, "D1-1", priority=1) for _ in range(12)]
    rows += [order(world, "D1-1", due_at=AS_OF - timedelta(days=1)) for _ in range(4)]
    rows += [order(world, "D1-1", channel="sensor") for _ in range(3)]
    rows += [Place(node_id=d11.id, name=f"隐患{i}", kind=PlaceKind.HAZARD) for i in range(3)]
    rows += [Person(node_id=d11.id, name=f"老人{i}", tags=["elderly_alone"]) for i in range(8)]
    # X2-1: outside the period, rejected, closed in time (an event only), a party member
    rows.append(order(world, "X2-1", reported_at=AS_OF - timedelta(days=90)))
    rows.append(order(world, "X2-1", status="rejected"))
    rows.append(
        order(
            world,
            "X2-1",
            status="closed",
            due_at=AS_OF - timedelta(days=2),
            closed_at=AS_OF - timedelta(days=2, hours=1),
        )
    )
    rows.append(Person(node_id=x21.id, name="党员", tags=["party_member"]))
    # closed, but only after as_of: overdue at as_of
    rows.append(
        order(
            world,
            "X1-1",
            status="closed",
            due_at=AS_OF - timedelta(days=2),
            closed_at=AS_OF + timedelta(days=1),
        )
    )
    db.add_all(rows)
    db.flush()

    results = grade_grid_risk(db, as_of=AS_OF, days=30)
    by_name = {r.grid: r for r in results}
    assert len(results) == len(world.grids)
    hot = by_name[d11.name]
    assert results[0] is hot
    assert hot.colour in {Colour.RED, Colour.ORANGE}
    values = {c.factor: c.value for c in hot.contributions}
    assert values == {
        "events": 12 * 3.0 + 4 * 1.0,  # urgent events weigh 3, the overdue ones are events too
        "hazards": 3,
        "special_population": 8,
        "sensor_alerts": 3,
        "overdue": 4,
    }
    assert sum(c.points for c in hot.contributions) == pytest.approx(hot.score, abs=0.01)
    calm = {c.factor: c.value for c in by_name[x21.name].contributions}
    # only the order closed in time counts, as an event (not overdue); the rest are excluded
    assert calm == {f.name: 0.0 for f in FACTORS} | {"events": 1.0}
    assert by_name[x21.name].colour is Colour.GREEN
    assert {c.factor: c.value for c in by_name[world.grids["X1-1"].name].contributions}[
        "overdue"
    ] == 1

    # scoped to one street: only its grids
    east = grade_grid_risk(db, as_of=AS_OF, root_id=world.streets["东湖街道"].id)
    assert {r.grid for r in east} == {world.grids[g].name for g in ("D1-1", "D1-2", "D2-1")}


def test_cli_risk(tmp_path: Path) -> None:
    """The command on a migrated SQLite file holding the seed world and a few orders."""
    from civicgrid.cli.main import app
    from civicgrid.kit.db import make_engine
    from tests.fixtures.world import build_world

    path = tmp_path / "risk.db"
    runner = CliRunner()
    upgrade = runner.invoke(app, ["db", "upgrade", "--db", str(path)])
    assert upgrade.exit_code == 0, upgrade.output
    engine = make_engine(f"sqlite:///{path}")
    with Session(engine) as session:
        world = build_world(session)
        session.add_all(
            [order(world, "X1-2", priority=1, due_at=AS_OF - timedelta(days=1)) for _ in range(9)]
        )
        session.commit()
    engine.dispose()
    out = tmp_path / "risk.csv"
    result = runner.invoke(
        app, ["intel", "risk", "--db", str(path), "--as-of", "2025-03-01", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert len(table) == 6
    assert table.loc[0, "grid"] == "X1-2网格"
    assert table.loc[0, "overdue_value"] == 9
    assert table.loc[0, "score"] == pytest.approx(
        table.filter(like="_points").iloc[0].sum(), abs=0.05
    )
    assert set(table["colour"]) <= {c.value for c in Colour}
    scoped = runner.invoke(
        app, ["intel", "risk", "--db", str(path), "--root", "nope", "--as-of", "2025-03-01"]
    )
    assert scoped.exit_code != 0
    bad = runner.invoke(app, ["intel", "risk", "--db", str(path), "--as-of", "2025/13/01"])
    assert bad.exit_code != 0
