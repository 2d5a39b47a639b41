"""The evaluation service end to end on the hand-made March 2025 data set."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.errors import Conflict, Invalid, NotFound
from civicgrid.evaluate import service
from civicgrid.evaluate.config import SystemConfigError, parse_system
from civicgrid.evaluate.dataset import session_cache
from civicgrid.models.evaluation import EvaluationSystem
from civicgrid.models.registry import ImportBatch
from tests.evaluate.data import add_order, build_march, local
from tests.fixtures.world import World

MARCH = "2025-03-01..2025-03-31"


@pytest.fixture
def march(db: Session, world: World) -> World:
    build_march(db, world)
    return world


def two_leaf(**extra: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "two_leaf",
        "title": "两项指标",
        "levels": ["grid"],
        "indicators": [
            {"key": "A", "name": "办结率", "metric": "disposal_rate", "weight": 0.5},
            {"key": "B", "name": "平均处置时长", "metric": "avg_handling_hours", "weight": 0.5},
        ],
    }
    data.update(extra)
    return data


def test_weighted_sum_by_hand(db: Session, march: World) -> None:
    # 东湖一社区: D1-1 closes 4/6 in 10.5 h on average, D1-2 2/3 in 12.5 h.
    # disposal: both 2/3 → min-max flat → 1 each; hours (lower): D1-1 1, D1-2 0.
    # D1-1 = 100 × (.5·1 + .5·1) = 100; D1-2 = 100 × (.5·1 + .5·0) = 50.
    scope = march.communities["东湖一社区"].code
    result = service.evaluate(
        db, system=parse_system(two_leaf()), level="grid", period=MARCH, scope=scope
    )
    assert [(e.name, e.rank, round(e.score, 6)) for e in result.entities] == [
        ("D1-1网格", 1, 100.0),
        ("D1-2网格", 2, 50.0),
    ]
    d12 = result.entities[1]
    assert d12.values["B"].raw == pytest.approx(12.5)
    assert d12.values["B"].normalised == 0.0
    assert "(12.5 − 12.5) / (12.5 − 10.5)" in d12.values["B"].normalisation
    explanation = service.explain(result, d12.key)
    assert [round(n.contribution, 6) for n in explanation.tree] == [50.0, 0.0]
    assert explanation.tree[0].leaf is not None
    assert {c.key: c.value for c in explanation.tree[0].leaf.counts} == {"closed": 2, "orders": 3}
    assert "总分 50.00，第 2 名" in explanation.summary


def test_missing_values_mean_or_zero(db: Session, march: World) -> None:
    # 东湖街道 adds D2-1 (no orders). mean: disposal 2/3 → 1, hours 11.5 → (12.5 − 11.5)/2 = .5
    scope = march.streets["东湖街道"].code
    result = service.evaluate(
        db, system=parse_system(two_leaf()), level="grid", period=MARCH, scope=scope
    )
    d21 = next(e for e in result.entities if e.name == "D2-1网格")
    assert d21.score == pytest.approx(75.0)
    assert d21.values["B"].missing
    assert d21.values["B"].imputed == pytest.approx(11.5)
    zero = service.evaluate(
        db,
        system=parse_system(two_leaf(missing="zero")),
        level="grid",
        period=MARCH,
        scope=scope,
    )
    assert next(e for e in zero.entities if e.name == "D2-1网格").score == 0.0


def test_entropy_weighting_ignores_a_constant_indicator(db: Session, march: World) -> None:
    # disposal is equal for both grids → entropy weight 0; all weight on handling hours.
    scope = march.communities["东湖一社区"].code
    result = service.evaluate(
        db,
        system=parse_system(two_leaf(weighting="entropy")),
        level="grid",
        period=MARCH,
        scope=scope,
    )
    assert [round(e.score, 6) for e in result.entities] == [100.0, 0.0]
    weights = {i.key: i.objective_weight for i in result.indicators}
    assert weights == {"A": pytest.approx(0.0), "B": pytest.approx(1.0)}


def test_topsis_ranking(db: Session, march: World) -> None:
    scope = march.communities["东湖一社区"].code
    result = service.evaluate(
        db,
        system=parse_system(two_leaf(method="topsis")),
        level="grid",
        period=MARCH,
        scope=scope,
    )
    top, second = result.entities
    assert top.name == "D1-1网格"
    assert top.topsis is not None
    assert top.topsis.closeness == pytest.approx(1.0)
    assert second.score == pytest.approx(0.0)
    assert "TOPSIS" in service.explain(result, top.key).summary


def test_templates_at_every_level(db: Session, march: World) -> None:
    worker = service.evaluate(db, system="grid_worker", level="worker", period=MARCH)
    assert [e.name for e in worker.entities][:2] in (["张三", "李四"], ["李四", "张三"])
    assert len(worker.indicators) == 12
    for level in ("grid", "community", "street"):
        result = service.evaluate(db, system="governance_index", level=level, period=MARCH)
        assert result.entities
        assert all(0.0 <= e.score <= 100.0 for e in result.entities)
        assert sorted(e.rank for e in result.entities)[0] == 1
    radar = service.radar(result)
    assert radar.axes == ["群众满意度", "事件处置", "治理创新"]
    empty = service.evaluate(db, system="grid_worker", level="grid", period="2019")
    assert {e.rank for e in empty.entities} == {1}  # nothing tells the grids apart
    assert any("没有任何数据" in w for w in empty.warnings)
    assert any("巡查覆盖率" in w and "均记满分" in w for w in empty.warnings)


def test_level_not_supported(db: Session, march: World) -> None:
    with pytest.raises(Invalid, match="不适用于职能部门层级"):
        service.evaluate(db, system="grid_worker", level="department", period=MARCH)
    with pytest.raises(Invalid, match="未知的考核层级"):
        service.evaluate(db, system="grid_worker", level="planet", period=MARCH)
    with pytest.raises(NotFound):
        service.evaluate(db, system="no_such_system", level="grid", period=MARCH)


def test_department_ranking(db: Session, march: World) -> None:
    system = parse_system(two_leaf(levels=["department"]))
    result = service.evaluate(db, system=system, level="department", period=MARCH)
    assert {e.key for e in result.entities} == {"城管局", "住建局"}


def test_copy_edit_and_evaluate_a_stored_system(db: Session, march: World) -> None:
    row = service.copy_template(db, source="grid_worker", name="east_lake_2025", title="东湖考核")
    assert row.based_on == "grid_worker"
    names = {s.name: s for s in service.list_systems(db)}
    assert names["east_lake_2025"].builtin is False
    assert names["grid_worker"].builtin is True
    with pytest.raises(Conflict):
        service.copy_template(db, source="grid_worker", name="east_lake_2025")
    with pytest.raises(Conflict):
        service.save_system(db, name="grid_worker", definition={})
    definition = dict(row.definition)
    definition["indicators"][0]["weight"] = 0.2  # 0.2 + 0.4 + 0.3 ≠ 1
    with pytest.raises(SystemConfigError, match=r"权重之和为 0\.9"):
        service.save_system(db, name="east_lake_2025", definition=definition)
    stored = db.scalar(select(EvaluationSystem).where(EvaluationSystem.name == "east_lake_2025"))
    assert stored is not None
    assert stored.version == 1
    definition["indicators"][1]["weight"] = 0.5
    service.save_system(db, name="east_lake_2025", definition=definition)
    assert stored.version == 2
    result = service.evaluate(db, system="east_lake_2025", level="worker", period=MARCH, save=True)
    assert result.system_version == 2
    assert result.indicator("A").global_weight == pytest.approx(0.2)
    assert result.run_id is not None
    again = service.get_run(db, result.run_id)
    assert [e.score for e in again.entities] == [e.score for e in result.entities]
    service.delete_system(db, name="east_lake_2025")
    with pytest.raises(NotFound):
        service.get_system(db, "east_lake_2025")


SURVEY_CSV = """对象编码,指标,值,样本量
{d11},居民满意度,90,120
{d12},居民满意度,80%,100
999999,居民满意度,70,10
{d21},居民满意度,很好,
{d11},居民满意度,91,120
"""


def test_survey_import_and_use(db: Session, march: World) -> None:
    codes = {"d11": march.grids["D1-1"].code, "d12": march.grids["D1-2"].code}
    codes["d21"] = march.grids["D2-1"].code
    content = SURVEY_CSV.format(**codes).encode("gbk")
    report = service.import_inputs(
        db,
        content=content,
        filename="2025一季度满意度调查.csv",
        survey="2025年第一季度第三方调查",
        level="grid",
        period="2025Q1",
    )
    assert (report.rows_inserted, report.rows_updated, report.rows_rejected) == (2, 0, 3)
    reasons = {e["row"]: e["reason"] for e in report.errors}
    assert "不是已登记的网格" in reasons[4]
    assert "不是数字" in reasons[5]
    assert "与第 2 行重复" in reasons[6]
    batch = db.get(ImportBatch, report.batch_id)
    assert batch is not None
    assert batch.encoding == "gbk"
    assert batch.rows_rejected == 3

    system = parse_system(
        {
            "name": "survey_only",
            "title": "调查",
            "levels": ["grid"],
            "indicators": [
                {
                    "key": "S",
                    "name": "第三方满意度",
                    "source": "survey",
                    "indicator": "居民满意度",
                    "weight": 1,
                    "normalise": {"method": "target", "target": 95, "worst": 60},
                }
            ],
        }
    )
    result = service.evaluate(
        db, system=system, level="grid", period="2025-01-01..2025-06-30", scope=None
    )
    d11 = next(e for e in result.entities if e.key == codes["d11"])
    assert d11.values["S"].raw == 90.0
    assert "样本 120 份" in d11.values["S"].text
    assert d11.score == pytest.approx((90 - 60) / (95 - 60) * 100)
    # a survey for a period outside the evaluation period is not used
    later = service.evaluate(db, system=system, level="grid", period="2025-02")
    assert all(e.values["S"].missing for e in later.entities)


def test_trend_by_month(db: Session, march: World) -> None:
    trend = service.trend(
        db, system="grid_worker", level="grid", period="2025-02-01..2025-03-31", step="month"
    )
    assert trend.periods == ["2025-02-01..2025-02-28", "2025-03-01..2025-03-31"]
    d11 = next(s for s in trend.series if s.key == march.grids["D1-1"].code)
    assert len(d11.scores) == 2
    assert d11.ranks[1] is not None


def test_session_cache_never_serves_stale_orders(db: Session, march: World) -> None:
    system = parse_system(two_leaf())
    d11 = march.grids["D1-1"]
    before = service.evaluate(db, system=system, level="grid", period=MARCH)
    assert session_cache(db)  # the next evaluation of March reuses the orders read
    worker = service.evaluate(db, system="grid_worker", level="worker", period=MARCH)
    assert worker.entities
    add_order(db, d11, "EV-late", reported_at=local(3, 31, 12), status="closed",
              closed_at=local(3, 31, 13))  # fmt: skip
    db.flush()
    assert not session_cache(db)
    after = service.evaluate(db, system=system, level="grid", period=MARCH)
    assert [
        {
            c.key: c.value
            for c in next(e for e in r.entities if e.key == d11.code).values["A"].counts
        }
        for r in (before, after)
    ] == [{"closed": 4, "orders": 6}, {"closed": 5, "orders": 7}]
