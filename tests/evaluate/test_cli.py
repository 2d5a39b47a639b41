"""``civicgrid evaluate`` through CliRunner on a SQLite file with the March 2025 data set."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from civicgrid.cli.main import app
from tests.evaluate.data import build_march
from tests.evaluate.test_weights import HOUSE
from tests.fixtures.world import world_file

runner = CliRunner()


@pytest.fixture(scope="module")
def dbfile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return world_file(tmp_path_factory.mktemp("cli") / "city.db", build_march)


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["evaluate", *args], env={"COLUMNS": "250"})
    return result.exit_code, result.output


def test_systems_lists_the_templates(dbfile: Path) -> None:
    code, output = invoke("systems", "--db", str(dbfile))
    assert code == 0, output
    for name in ("grid_worker", "governance_index", "comprehensive_22"):
        assert name in output


def test_run_writes_an_excel_workbook_and_a_report(dbfile: Path, tmp_path: Path) -> None:
    out, html = tmp_path / "网格员.xlsx", tmp_path / "report.html"
    code, output = invoke(
        "run",
        "--system", "grid_worker",
        "--level", "worker",
        "--period", "2025-03-01..2025-03-31",
        "--out", str(out),
        "--html", str(html),
        "--save",
        "--db", str(dbfile),
    )  # fmt: skip
    assert code == 0, output
    wb = load_workbook(out)
    assert wb.sheetnames == ["排名", "指标得分", "原始数据", "权重", "说明"]
    ranking = list(wb["排名"].iter_rows(values_only=True))
    assert ranking[0][:5] == ("排名", "编码", "名称", "上级", "总分")
    assert ranking[0][5:8] == ("基础工作", "事件处置", "群众满意")
    assert sorted(row[2] for row in ranking[1:]) == ["张三", "李四"]
    assert [row[0] for row in ranking[1:]] == [1, 2]
    scores = [row[4] for row in ranking[1:]]
    assert scores == sorted(scores, reverse=True)
    raw = list(wb["原始数据"].iter_rows(values_only=True))
    assert len(raw) == 1 + 2 * 9  # two workers × nine indicators
    zhang = {row[3]: row for row in raw[1:] if row[1] == "张三"}
    assert zhang["按时办结率"][5] == pytest.approx(0.6)
    assert zhang["按时办结率"][9] == "按时办结 3 件 / 应办结 5 件（超期未办结 1 件）"
    assert "按时办结=3" in zhang["按时办结率"][10]
    weights = list(wb["权重"].iter_rows(values_only=True))
    leaves = [row for row in weights[1:] if row and row[3] == 2]
    assert sum(row[5] for row in leaves) == pytest.approx(1.0)
    page = html.read_text(encoding="utf-8")
    assert "<script" not in page
    assert "张三" in page
    assert "<svg" in page
    assert "已保存为评价记录" in output


def test_run_with_a_yaml_file_and_topsis(dbfile: Path, tmp_path: Path) -> None:
    system = tmp_path / "two.yaml"
    system.write_text(
        "name: two\ntitle: 两项\nlevels: [grid]\nindicators:\n"
        "  - {key: A, name: 办结率, metric: disposal_rate, weight: 0.5}\n"
        "  - {key: B, name: 平均处置时长, metric: avg_handling_hours, weight: 0.5}\n",
        encoding="utf-8",
    )
    out = tmp_path / "two.xlsx"
    code, output = invoke(
        "run", "--system", str(system), "--level", "grid", "--period", "2025-03",
        "--scope", "430100001001", "--method", "topsis", "--out", str(out),
        "--db", str(dbfile),
    )  # fmt: skip
    assert code == 0, output
    ranking = list(load_workbook(out)["排名"].iter_rows(values_only=True))
    assert ranking[0][-3:] == ("贴近度", "距正理想解", "距负理想解")
    assert [row[2] for row in ranking[1:]] == ["D1-1网格", "D1-2网格"]


def test_errors_exit_with_the_reason(dbfile: Path, tmp_path: Path) -> None:
    bad = tmp_path / "ahp.yaml"
    children = "".join(
        f"      - {{key: H{i}, name: 指标{i}, metric: disposal_rate}}\n" for i in range(8)
    )
    matrix = "".join(f"      - {[str(c) for c in row]}\n" for row in HOUSE).replace(
        "'None'", "null"
    )
    bad.write_text(
        "name: bad\ntitle: 不一致\nindicators:\n  - key: A\n    name: 购房\n    ahp:\n"
        + matrix
        + "    children:\n"
        + children,
        encoding="utf-8",
    )
    code, output = invoke("check", str(bad))
    assert code == 1
    assert "一致性检验未通过" in output
    assert "CR = 0.169" in output
    code, output = invoke(
        "run", "--system", "nope", "--level", "grid", "--period", "2025", "--db", str(dbfile)
    )
    assert code == 1
    assert "没有名为「nope」的指标体系" in output
    code, output = invoke(
        "run", "--system", "grid_worker", "--level", "grid", "--period", "2025-13",
        "--db", str(dbfile),
    )  # fmt: skip
    assert code == 1
    assert "无法识别的考核周期" in output


def test_copy_export_edit_load(dbfile: Path, tmp_path: Path) -> None:
    code, output = invoke("copy", "governance_index", "east_index", "--db", str(dbfile))
    assert code == 0, output
    sheet_file = tmp_path / "east.xlsx"
    code, output = invoke("export", "east_index", "--out", str(sheet_file), "--db", str(dbfile))
    assert code == 0, output
    wb = load_workbook(sheet_file)
    rows = list(wb["指标"].iter_rows(min_row=2))
    by_key = {row[0].value: row for row in rows}
    by_key["S"][3].value = 0.5
    by_key["I"][3].value = 0.2
    wb.save(sheet_file)
    code, output = invoke("load", str(sheet_file), "--name", "east_index", "--db", str(dbfile))
    assert code == 0, output
    assert "版本 2" in output
    code, output = invoke("show", "east_index", "--db", str(dbfile))
    assert code == 0, output
    assert "S 群众满意度  局部 0.500" in output
    code, output = invoke("load", str(sheet_file), "--name", "grid_worker", "--db", str(dbfile))
    assert code == 1
    assert "已被使用" in output


def test_import_survey_and_trend(dbfile: Path, tmp_path: Path) -> None:
    survey = tmp_path / "survey.csv"
    survey.write_text("对象编码,指标,值\n43010000100101,居民满意度,88\nXX,居民满意度,70\n")
    code, output = invoke(
        "import-survey", str(survey), "--survey", "一季度调查", "--level", "grid",
        "--period", "2025Q1", "--db", str(dbfile),
    )  # fmt: skip
    assert code == 0, output
    assert "拒绝 1" in output
    assert "第 3 行" in output
    out = tmp_path / "trend.json"
    code, output = invoke(
        "trend", "--system", "grid_worker", "--level", "grid", "--period", "2025Q1",
        "--step", "month", "--out", str(out), "--db", str(dbfile),
    )  # fmt: skip
    assert code == 0, output
    assert '"2025-03-01..2025-03-31"' in out.read_text(encoding="utf-8")
