"""Indicator systems: templates, validation messages, YAML and the Excel template round trip."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from civicgrid.evaluate.config import (
    SystemConfigError,
    load_file,
    load_template,
    load_yaml_text,
    parse_system,
    template_names,
)
from civicgrid.evaluate.config_excel import read_excel, write_excel
from tests.evaluate.test_weights import HOUSE, HOUSE_LABELS


def minimal(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "demo",
        "title": "示例",
        "indicators": [
            {
                "key": "A",
                "name": "事件处置",
                "weight": 0.6,
                "children": [
                    {"key": "A1", "name": "办结率", "metric": "disposal_rate", "weight": 0.5},
                    {
                        "key": "A2",
                        "name": "按时办结率",
                        "metric": "on_time_closure_rate",
                        "weight": 0.5,
                    },
                ],
            },
            {"key": "B", "name": "满意率", "metric": "satisfaction_rate", "weight": 0.4},
        ],
    }
    data.update(changes)
    return data


def problems_of(data: dict[str, Any]) -> list[str]:
    with pytest.raises(SystemConfigError) as err:
        parse_system(data, origin="测试体系")
    problems: list[str] = err.value.details["problems"]
    assert err.value.message.startswith(f"指标体系「测试体系」有 {len(problems)} 处错误")
    return problems


def test_builtin_templates() -> None:
    assert template_names() == ["comprehensive_22", "governance_index", "grid_worker"]
    worker = load_template("grid_worker")
    weights = worker.global_weights()
    assert [(n.name, weights[n.key]) for n in worker.indicators] == [
        ("基础工作", 0.3),
        ("事件处置", 0.4),
        ("群众满意", 0.3),
    ]
    assert len(worker.leaves()) == 9
    assert all(len(n.children) == 3 for n in worker.indicators)
    index = load_template("governance_index")
    g = index.global_weights()
    assert [(n.name, g[n.key]) for n in index.indicators] == [
        ("群众满意度", 0.4),
        ("事件处置", 0.3),
        ("治理创新", 0.3),
    ]
    assert index.ahp_results["D"].weights == pytest.approx((0.4, 0.4, 0.2))
    assert index.ahp_results["D"].cr == pytest.approx(0.0, abs=1e-9)
    big = load_template("comprehensive_22")
    assert (len(big.indicators), len(big.leaves())) == (6, 22)
    assert sum(big.global_weights()[leaf.key] for leaf in big.leaves()) == pytest.approx(1.0)


def test_weights_must_sum_to_one() -> None:
    data = minimal()
    data["indicators"][0]["children"][1]["weight"] = 0.4
    (problem,) = problems_of(data)
    assert problem == "「事件处置」下各指标权重之和为 0.9，应为 1（办结率 0.5，按时办结率 0.4）"


def test_percent_weights_and_hint() -> None:
    data = minimal()
    data["indicators"][0]["weight"] = "60%"
    data["indicators"][1]["weight"] = "40％"
    assert parse_system(data).global_weights()["A1"] == pytest.approx(0.3)
    data["indicators"][0]["weight"] = 60
    data["indicators"][1]["weight"] = 40
    problems = problems_of(data)
    assert any("看起来是百分数" in p for p in problems)


def test_unknown_metric_is_named_with_a_suggestion() -> None:
    data = minimal()
    data["indicators"][1]["metric"] = "satisfaction"
    (problem,) = problems_of(data)
    assert problem.startswith(
        "「满意率」（B）引用了未知的度量「satisfaction」，是否想写「satisfaction_rate」？"
    )
    assert "on_time_closure_rate" in problem  # the list of what exists


def test_inconsistent_ahp_is_refused() -> None:
    children = [
        {"key": f"H{i}", "name": label, "metric": "disposal_rate"}
        for i, label in enumerate(HOUSE_LABELS)
    ]
    data = minimal()
    data["indicators"][0] = {
        "key": "A",
        "name": "购房",
        "weight": 0.6,
        "ahp": HOUSE,
        "children": children,
    }
    (problem,) = problems_of(data)
    assert problem.startswith("「购房」的判断矩阵：判断矩阵一致性检验未通过：CR = 0.169 > 0.1")
    assert "「邻里」相对「总体状况」= 6" in problem


def test_ahp_matrix_errors() -> None:
    data = minimal()
    data["indicators"][0]["ahp"] = [[1, 3], ["1/3", 1]]
    problems = problems_of(data)
    assert any("同时给出了判断矩阵和权重" in p for p in problems)
    for child in data["indicators"][0]["children"]:
        del child["weight"]
    data["indicators"][0]["ahp"] = [[1, 3, 5], ["1/3", 1, 2], ["1/5", "1/2", 1]]
    (problem,) = problems_of(data)
    assert "判断矩阵的阶数 3 与下级指标数 2 不一致" in problem
    data["indicators"][0]["ahp"] = [[1, 3], [None, 1]]
    assert parse_system(data).global_weights()["A1"] == pytest.approx(0.6 * 0.75)


def test_structural_problems_are_all_reported() -> None:
    data = minimal(levels=["department"], colour="red")
    data["indicators"][1] = {
        "key": "A1",
        "name": "巡查",
        "metric": "patrol_coverage",
        "weight": 0.4,
    }
    data["indicators"][0]["children"][0]["params"] = {"channel": ["hotline"]}
    data["indicators"][0]["children"][1]["normalise"] = {"method": "target"}
    problems = problems_of(data)
    assert problems == ["colour：不认识的字段（可能拼写有误）"]  # structure first
    del data["colour"]
    problems = problems_of(data)
    assert "指标编码「A1」重复" in problems
    assert any("没有参数「channel」（可用参数：channels, categories）" in p for p in problems)
    assert any("目标值标准化需要给出目标值 target" in p for p in problems)
    assert any("「patrol_coverage」不适用于职能部门层级" in p for p in problems)


def test_leaf_without_metric_and_bad_types() -> None:
    data = minimal()
    data["indicators"][1] = {"key": "B", "name": "空指标", "weight": "四成"}
    problems = problems_of(data)
    assert problems == ["indicators[2].weight：应为数字"]
    data["indicators"][1]["weight"] = 0.4
    (problem,) = problems_of(data)
    assert "既没有下级指标，也没有指定度量" in problem


def test_yaml_errors_give_the_line() -> None:
    with pytest.raises(SystemConfigError, match="不是有效的 YAML（第 4 行）"):
        load_yaml_text("name: x\ntitle: y\nindicators: [\n  - a: : b\n", origin="x.yaml")
    with pytest.raises(SystemConfigError, match="应为键值结构"):
        load_yaml_text("- 1\n- 2\n", origin="list.yaml")


def test_yaml_file_round_trip(tmp_path: Path) -> None:
    system = load_template("governance_index")
    path = tmp_path / "mine.yaml"
    path.write_text(system.to_yaml(), encoding="utf-8")
    again = load_file(path)
    assert again.to_data() == system.to_data()
    assert again.ahp_results["D"].weights == pytest.approx((0.4, 0.4, 0.2))


@pytest.mark.parametrize("name", ["grid_worker", "governance_index", "comprehensive_22"])
def test_excel_template_round_trip(name: str) -> None:
    system = load_template(name)
    content = write_excel(system)
    wb = load_workbook(BytesIO(content))
    assert wb.sheetnames == ["体系", "指标", "判断矩阵", "度量说明"]
    assert wb["指标"].max_row == 1 + sum(1 for _ in system.walk())
    again = read_excel(BytesIO(content), origin=f"{name}.xlsx")
    assert again.to_data() == system.to_data()
    assert again.global_weights() == pytest.approx(system.global_weights())


def test_excel_problems_name_sheet_and_row() -> None:
    system = load_template("grid_worker")
    wb = load_workbook(BytesIO(write_excel(system)))
    sheet = wb["指标"]
    sheet["C3"] = "ZZ"  # row 3 (A1) now hangs under an unknown parent
    sheet["D6"] = 0.9  # B's weight: the first level no longer sums to 1
    out = BytesIO()
    wb.save(out)
    with pytest.raises(SystemConfigError) as err:
        read_excel(BytesIO(out.getvalue()), origin="改坏的.xlsx")
    assert "「指标」表第 3 行：上级编码「ZZ」不存在" in err.value.message
    sheet["C3"] = "A"
    out = BytesIO()
    wb.save(out)
    with pytest.raises(SystemConfigError, match=r"一级指标下各指标权重之和为 1\.5"):
        read_excel(BytesIO(out.getvalue()), origin="改坏的.xlsx")


def test_excel_rejects_non_workbooks() -> None:
    from civicgrid.errors import Invalid

    with pytest.raises(Invalid, match="无法读取 Excel 文件"):
        read_excel(BytesIO(b"not a workbook"), origin="x.xlsx")


def test_a_system_built_without_parse_system_is_checked_on_use() -> None:
    from civicgrid.evaluate.config import IndicatorSystem

    system = IndicatorSystem.model_validate(minimal())
    assert system.global_weights()["A1"] == pytest.approx(0.3)
    data = minimal()
    data["indicators"][1]["weight"] = 0.5
    with pytest.raises(SystemConfigError, match=r"权重之和为 1\.1"):
        IndicatorSystem.model_validate(data).global_weights()
