"""Reports from a result computed by the pure engine (no database): safety and shape."""

from __future__ import annotations

from datetime import UTC, datetime
from io import BytesIO

import pytest
from openpyxl import load_workbook

from civicgrid.evaluate.config import parse_system
from civicgrid.evaluate.dataset import Evaluee, Level
from civicgrid.evaluate.engine import explain, score
from civicgrid.evaluate.metric_types import MetricValue
from civicgrid.evaluate.periods import Period
from civicgrid.evaluate.report import excel_report, html_report, radar_svg_points
from civicgrid.evaluate.schemas import EvaluationResult

SYSTEM = parse_system(
    {
        "name": "three",
        "title": "三维",
        "indicators": [
            {"key": "A", "name": "甲", "metric": "disposal_rate", "weight": 0.5},
            {"key": "B", "name": "乙", "metric": "reopen_rate", "weight": 0.3},
            {"key": "C", "name": "丙", "source": "survey", "indicator": "满意度", "weight": 0.2},
        ],
    }
)
EVIL = ['=HYPERLINK("http://x")', "<script>alert(1)</script>", "普通网格"]


def result() -> EvaluationResult:
    entities = [Evaluee(f"g{i}", name, "grid") for i, name in enumerate(EVIL)]
    columns = {
        "A": {"g0": MetricValue(0.9, {"closed": 9, "orders": 10}, "办结 9 件 / 受理 10 件"),
              "g1": MetricValue(0.5, {"closed": 5, "orders": 10}, "办结 5 件 / 受理 10 件"),
              "g2": MetricValue(0.7, {"closed": 7, "orders": 10}, "办结 7 件 / 受理 10 件")},
        "B": {"g0": MetricValue(0.1, {}, ""), "g1": MetricValue(0.3, {}, ""),
              "g2": MetricValue(None, {}, "")},
        "C": {"g0": MetricValue(80.0, {}, ""), "g2": MetricValue(90.0, {}, "")},
    }  # fmt: skip
    return score(
        SYSTEM,
        entities,
        columns,
        level=Level.GRID,
        period=Period.parse("2025"),
        computed_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def test_engine_by_hand() -> None:
    r = result()
    g = {e.key: e for e in r.entities}
    # A: (.9 .5 .7) → 1, 0, .5; B lower (.1 .3, g2 missing → mean .2) → 1, 0, .5;
    # C (80, missing → 85, 90) → 0, .5, 1.
    assert g["g0"].score == pytest.approx(100 * (0.5 * 1 + 0.3 * 1 + 0.2 * 0))
    assert g["g1"].score == pytest.approx(100 * (0.5 * 0 + 0.3 * 0 + 0.2 * 0.5))
    assert g["g2"].score == pytest.approx(100 * (0.5 * 0.5 + 0.3 * 0.5 + 0.2 * 1))
    assert [e.key for e in r.entities] == ["g0", "g2", "g1"]
    assert g["g2"].values["B"].imputed == pytest.approx(0.2)
    assert "按其他对象平均值" in g["g2"].values["B"].normalisation
    tree = explain(r, "g2")
    assert tree is not None
    assert sum(n.contribution for n in tree.tree) == pytest.approx(g["g2"].score)


def test_excel_neutralises_formulas() -> None:
    wb = load_workbook(BytesIO(excel_report(result())))
    names = [row[2] for row in wb["排名"].iter_rows(min_row=2, values_only=True)]
    assert '\'=HYPERLINK("http://x")' in names
    assert not any(isinstance(n, str) and n.startswith("=") for n in names)


def test_html_escapes_and_has_no_script() -> None:
    page = html_report(result())
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count("<svg") == 3


def test_radar_points() -> None:
    # first axis straight up; 100 reaches the radius, 0 stays at the centre
    assert radar_svg_points([100.0, 0.0, 0.0]) == "110.0,30.0 110.0,110.0 110.0,110.0"
