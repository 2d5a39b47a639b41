"""考核报告 — Excel workbook (ranking, indicator scores, raw figures, weights) and a printable
HTML report (Jinja2, no scripts; charts are inline SVG drawn here)."""

from __future__ import annotations

import math
from io import BytesIO
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from civicgrid.evaluate.config import Missing, RankMethod, Weighting
from civicgrid.evaluate.engine import explain
from civicgrid.evaluate.metric_types import UNIT_LABELS, Unit
from civicgrid.evaluate.normalise import Direction, Method
from civicgrid.evaluate.schemas import EvaluationResult, ExplanationNode, IndicatorInfo
from civicgrid.kit.i18n import _, gettext, ngettext
from civicgrid.kit.timeutil import to_local

TEMPLATES = Path(__file__).parent / "templates"
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
METHOD_NAMES = {RankMethod.WEIGHTED_SUM: "加权综合评分", RankMethod.TOPSIS: "TOPSIS 逼近理想解排序"}
WEIGHTING_NAMES = {
    Weighting.SUBJECTIVE: "主观权重（专家赋权/层次分析法）",
    Weighting.ENTROPY: "客观权重（熵权法）",
    Weighting.BLEND: "主客观组合权重",
}
NORMALISE_NAMES = {Method.MINMAX: "极差", Method.TARGET: "目标值", Method.ZSCORE: "Z 分数"}
DIRECTION_NAMES = {Direction.HIGHER: "正向", Direction.LOWER: "逆向"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe(value: Any) -> Any:
    """Neutralise spreadsheet formula injection in text from the data (OWASP CSV injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _header(sheet: Worksheet, names: list[str], widths: list[int] | None = None) -> None:
    sheet.append(names)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for i, name in enumerate(names):
        width = widths[i] if widths and i < len(widths) else max(10, min(40, 2 * len(name) + 4))
        sheet.column_dimensions[_column(i)].width = width
    sheet.freeze_panes = "C2" if len(names) > 2 else "A2"


def _column(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _first_level(result: EvaluationResult) -> list[IndicatorInfo]:
    return [i for i in result.indicators if i.depth == 1]


def _leaves(result: EvaluationResult) -> list[IndicatorInfo]:
    return [i for i in result.indicators if i.is_leaf]


def excel_report(result: EvaluationResult) -> bytes:
    """The workbook: 排名, 指标得分, 原始数据, 权重, 说明."""
    wb = Workbook()
    ranking = wb.active
    assert ranking is not None
    ranking.title = "排名"
    dims = _first_level(result)
    topsis = result.method == RankMethod.TOPSIS
    names = ["排名", "编码", "名称", "上级", "总分"] + [d.name for d in dims]
    if topsis:
        names += ["贴近度", "距正理想解", "距负理想解"]
    _header(ranking, names, [6, 22, 20, 16, 10])
    for e in result.entities:
        row: list[Any] = [e.rank, e.key, e.name, e.parent, round(e.score, 4)]
        row += [round(e.dimension_scores[d.key], 4) for d in dims]
        if topsis and e.topsis is not None:
            row += [e.topsis.closeness, e.topsis.d_best, e.topsis.d_worst]
        ranking.append([safe(v) for v in row])

    leaves = _leaves(result)
    scores = wb.create_sheet("指标得分")
    _header(scores, ["编码", "名称", *[f"{i.key} {i.name}" for i in leaves]], [22, 20])
    for e in result.entities:
        row = [e.key, e.name] + [round(e.values[i.key].normalised * 100, 4) for i in leaves]
        scores.append([safe(v) for v in row])

    raw = wb.create_sheet("原始数据")
    _header(
        raw,
        [
            "对象编码",
            "对象名称",
            "指标编码",
            "指标名称",
            "度量/来源",
            "原始值",
            "单位",
            "显示值",
            "是否缺失",
            "计算依据",
            "原始计数",
            "标准化得分",
            "标准化过程",
        ],
        [22, 16, 8, 18, 24, 12, 8, 14, 8, 50, 50, 10, 50],
    )
    for e in result.entities:
        for info in leaves:
            v = e.values[info.key]
            counts = "；".join(f"{c.label}={c.value:g}" for c in v.counts)
            raw.append(
                [
                    safe(x)
                    for x in (
                        e.key,
                        e.name,
                        info.key,
                        info.name,
                        info.metric or info.source,
                        v.raw,
                        UNIT_LABELS.get(Unit(info.unit), "") if info.unit else "",
                        v.display,
                        "是" if v.missing else "",
                        v.text,
                        counts,
                        round(v.normalised * 100, 4),
                        v.normalisation,
                    )
                ]
            )

    weights = wb.create_sheet("权重")
    _header(
        weights,
        [
            "编码",
            "名称",
            "上级",
            "层级",
            "局部权重",
            "全局权重",
            "配置权重（全局）",
            "熵权（全局）",
            "度量/来源",
            "方向",
            "标准化",
            "计算方法",
        ],
        [8, 20, 8, 6, 10, 10, 14, 12, 24, 8, 10, 40],
    )
    for info in result.indicators:
        weights.append(
            [
                safe(x)
                for x in (
                    info.key,
                    ("　" * (info.depth - 1)) + info.name,
                    info.parent,
                    info.depth,
                    round(info.local_weight, 6),
                    round(info.global_weight, 6),
                    round(info.subjective_weight, 6),
                    None if info.objective_weight is None else round(info.objective_weight, 6),
                    info.metric or info.source,
                    DIRECTION_NAMES[Direction(info.direction)] if info.is_leaf else "",
                    NORMALISE_NAMES[Method(info.normalise)] if info.is_leaf else "",
                    info.formula,
                )
            ]
        )
    for block in result.ahp:
        weights.append([])
        weights.append(
            [
                _("判断矩阵"),
                block.parent_name,
                "λmax",
                round(block.lambda_max, 4),
                "CI",
                round(block.ci, 4),
                "RI",
                block.ri,
                "CR",
                round(block.cr, 4),
            ]
        )
        weights.append([_("指标"), *block.labels])
        weights.append([_("权重"), *[round(w, 6) for w in block.weights]])

    about = wb.create_sheet("说明")
    _header(about, ["项目", "内容"], [16, 80])
    for label, value in _about(result):
        about.append([label, safe(value)])
    for warning in result.warnings:
        about.append([_("提示"), safe(warning)])
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def _about(result: EvaluationResult) -> list[tuple[str, str]]:
    return [
        (_("指标体系"), f"{result.system_title}（{result.system_name}）"),
        (_("评价层级"), result.level_label),
        (_("考核周期"), f"{result.period_start.isoformat()} 至 {result.period_end.isoformat()}"),
        (_("范围"), result.scope or _("全部")),
        (_("排名方法"), METHOD_NAMES.get(RankMethod(result.method), result.method)),
        (_("赋权方法"), WEIGHTING_NAMES.get(Weighting(result.weighting), result.weighting)),
        (_("评价对象数"), str(len(result.entities))),
        (_("计算时间"), to_local(result.computed_at).strftime("%Y-%m-%d %H:%M")),
    ]


# ---------------------------------------------------------------- HTML


def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    return env


def radar_svg_points(values: list[float], radius: float = 80.0, centre: float = 110.0) -> str:
    """SVG polygon points of a radar: one axis per value (0–100), first axis straight up."""
    n = max(len(values), 1)
    points = []
    for i, v in enumerate(values):
        angle = -math.pi / 2 + 2 * math.pi * i / n
        r = radius * max(0.0, min(v, 100.0)) / 100.0
        points.append(f"{centre + r * math.cos(angle):.1f},{centre + r * math.sin(angle):.1f}")
    return " ".join(points)


def _axes(n: int, radius: float = 80.0, centre: float = 110.0) -> list[dict[str, float]]:
    out = []
    for i in range(n):
        angle = -math.pi / 2 + 2 * math.pi * i / n
        out.append(
            {
                "x": centre + radius * math.cos(angle),
                "y": centre + radius * math.sin(angle),
                "lx": centre + (radius + 16) * math.cos(angle),
                "ly": centre + (radius + 16) * math.sin(angle),
            }
        )
    return out


def _leaf_nodes(node: ExplanationNode) -> list[ExplanationNode]:
    if node.leaf is not None:
        return [node]
    return [leaf for child in node.children for leaf in _leaf_nodes(child)]


def html_report(result: EvaluationResult, *, detail: int = 10) -> str:
    """A self-contained printable page: summary, ranking, radars, weights, details of the top."""
    dims = _first_level(result)
    n = len(dims)
    average = [
        sum(e.dimension_scores[d.key] for e in result.entities) / len(result.entities)
        if result.entities
        else 0.0
        for d in dims
    ]
    rings = [radar_svg_points([level] * n) for level in (25, 50, 75, 100)] if n >= 3 else []
    radars = [
        {
            "entity": e,
            "points": radar_svg_points([e.dimension_scores[d.key] for d in dims]),
            "average": radar_svg_points(average),
        }
        for e in result.entities[: min(detail, 6)]
    ]
    details = []
    for e in result.entities[:detail]:
        explanation = explain(result, e.key)
        if explanation is not None:
            details.append(
                {
                    "x": explanation,
                    "groups": [(node, _leaf_nodes(node)) for node in explanation.tree],
                }
            )
    return (
        _env()
        .get_template("report.html")
        .render(
            result=result,
            about=_about(result),
            dims=dims,
            leaves=_leaves(result),
            indicators=result.indicators,
            radars=radars if n >= 3 else [],
            rings=rings,
            axes=list(zip(_axes(n), dims, strict=True)) if n >= 3 else [],
            details=details,
            missing_policy=Missing,
            direction_names=DIRECTION_NAMES,
            normalise_names=NORMALISE_NAMES,
            Direction=Direction,
            Method=Method,
            max_score=max((e.score for e in result.entities), default=0.0) or 1.0,
        )
    )
