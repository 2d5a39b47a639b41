"""Quality per category and per area; training rows and retraining from work orders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from civicgrid.config import get_settings
from civicgrid.errors import Invalid
from civicgrid.intel import fairness, service
from civicgrid.intel.modelstore import ModelStore
from civicgrid.models.workorder import WorkOrder
from tests.fixtures.world import World
from tests.intel.test_classifier import TOPICS, corpus

T0 = datetime(2025, 3, 1, tzinfo=UTC)
_codes = count()


def test_summarise_figures() -> None:
    y = ["a", "a", "b", "b", "c", "c"]
    p = ["a", "b", "b", "b", "c", "a"]
    s = fairness.summarise(y, p)
    assert s["n"] == 6 and s["accuracy"] == pytest.approx(4 / 6)
    assert s["per_class"]["b"] == {"precision": 2 / 3, "recall": 1.0, "f1": 0.8, "support": 2}
    assert s["confusion"]["labels"] == ["a", "b", "c"]
    assert s["confusion"]["matrix"] == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
    f1s = [s["per_class"][c]["f1"] for c in "abc"]
    assert s["macro_f1"] == pytest.approx(sum(f1s) / 3)
    assert fairness.summarise([], [])["n"] == 0


def test_wilson_interval() -> None:
    low, high = fairness.wilson_interval(90, 100)
    assert low == pytest.approx(0.8256, abs=1e-3) and high == pytest.approx(0.9448, abs=1e-3)
    assert fairness.wilson_interval(0, 0) == (0.0, 1.0)


def test_a_community_served_worse_is_flagged_and_chance_is_not() -> None:
    y, p, g = [], [], []
    for i in range(300):  # 东湖: 95% right
        y.append("x")
        p.append("x" if i % 20 else "y")
        g.append("东湖一社区")
    for i in range(100):  # 西山: 70% right
        y.append("x")
        p.append("x" if i % 10 < 7 else "y")
        g.append("西山一社区")
    for i in range(10):  # tiny group, 50% right: reported, not flagged
        y.append("x")
        p.append("x" if i % 2 else "y")
        g.append("小社区")
    rows = fairness.group_quality(y, p, g)
    by = {r.group: r for r in rows}
    assert rows[0].group == "小社区"  # worst first
    assert by["西山一社区"].flagged and not by["东湖一社区"].flagged
    assert not by["小社区"].flagged
    assert by["西山一社区"].accuracy == pytest.approx(0.7)
    # Same accuracy everywhere: nothing flagged.
    even = fairness.group_quality(["x"] * 200, (["x"] * 9 + ["y"]) * 20, ["a"] * 100 + ["b"] * 100)
    assert not any(r.flagged for r in even)


def _orders(world: World, *, confirmed: bool = True, suggested_wrong: int = 0) -> list[WorkOrder]:
    texts, labels = corpus()
    grids = list(world.grids)
    out = []
    for i, (text, label) in enumerate(zip(texts, labels, strict=True)):
        title, body = text.split("\n", 1)
        suggested = label
        if i < suggested_wrong:
            suggested = next(c for c in TOPICS if c != label)
        out.append(
            WorkOrder(
                code=f"FR{next(_codes):06d}",
                title=title,
                description=body,
                category=label,
                category_suggested=suggested,
                status="reported",
                node_id=world.grids[grids[i % len(grids)]].id,
                reported_at=T0 + timedelta(hours=i),
                extra={"category_confirmed": True} if confirmed else {},
            )
        )
    return out


def test_training_rows_only_take_confirmed_categories(db: Session, world: World) -> None:
    db.add_all(_orders(world, suggested_wrong=5))
    unconfirmed = _orders(world, confirmed=False)
    db.add_all(unconfirmed)
    dispatched = unconfirmed[0]
    dispatched.dispatched_at = T0
    db.flush()
    rows = service.training_rows_from_workorders(db)
    assert len(rows) == 72 + 1
    assert sum(r.overridden for r in rows) == 5
    assert rows[0].reported_at >= rows[-1].reported_at
    assert dispatched.id in {r.order_id for r in rows}


def test_retrain_stores_a_version_with_per_area_metrics(
    db: Session, world: World, tmp_path: Path
) -> None:
    store = ModelStore(tmp_path)
    with pytest.raises(Invalid):
        service.retrain_from_workorders(db, store=store, min_rows=10)
    db.add_all(_orders(world))
    db.flush()
    result = service.retrain_from_workorders(db, store=store, min_rows=10)
    assert store.latest_version("messages") == result.meta.version
    metrics = result.meta.metrics
    assert metrics["oof_macro_f1"] > 0.8
    communities = {g["group"] for g in metrics["per_community"]}
    assert communities == {"东湖一社区", "东湖二社区", "西山一社区", "西山二社区"}
    model = service.current_model(store=store)
    assert model is not None
    top = service.suggest_categories("学校补课", "暑假违规补课收费", model=model, k=2)
    assert top[0].category == "教育文体" and len(top) == 2
    quality = service.routing_quality_by_area(db, model, level="street", min_support=5)
    assert {q.group for q in quality} == {"东湖街道", "西山街道"}
    assert all(q.accuracy > 0.8 for q in quality)


def test_no_model_means_no_suggestions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIVICGRID_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        assert service.current_model() is None
        assert service.suggest_categories("路灯", "路灯坏了") == []
    finally:
        get_settings.cache_clear()


def test_demo_build_step_trains_and_reports(
    db: Session, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from types import SimpleNamespace

    from civicgrid.demo.steps import STEPS
    from civicgrid.intel.demo_step import train_routing_model

    assert any(s.target == "civicgrid.intel.demo_step:train_routing_model" for s in STEPS)
    monkeypatch.setenv("CIVICGRID_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        db.add_all(_orders(world))
        db.flush()
        summary = SimpleNamespace(messages=[])
        train_routing_model(db, summary)
        assert len(summary.messages) == 1 and "macro-F1" in summary.messages[0]
        assert service.current_model() is not None
    finally:
        get_settings.cache_clear()
