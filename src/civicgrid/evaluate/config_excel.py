"""指标体系 Excel 模板 — write a system to the office template and read it back.

Sheets: 体系 (settings, one per row), 指标 (one indicator per row, parent by code), 判断矩阵
(optional AHP blocks), 度量说明 (help, ignored on import). Problems name the sheet and row.
"""

from __future__ import annotations

import json
from io import BytesIO
from typing import IO, Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from civicgrid.errors import Invalid
from civicgrid.evaluate.config import (
    IndicatorSystem,
    SystemConfigError,
    parse_system,
)
from civicgrid.evaluate.metric_types import METRICS, UNIT_LABELS
from civicgrid.evaluate.weights import canonical_judgement, pairwise_matrix
from civicgrid.kit.i18n import _

SETTINGS = [
    ("name", "名称"),
    ("title", "标题"),
    ("description", "说明"),
    ("levels", "适用层级"),
    ("method", "排名方法"),
    ("weighting", "赋权方法"),
    ("blend.alpha", "组合系数"),
    ("blend.mode", "组合方式"),
    ("missing", "缺失值处理"),
]
COLUMNS = [
    ("key", "编码"),
    ("name", "名称"),
    ("parent", "上级编码"),
    ("weight", "权重"),
    ("metric", "度量"),
    ("source", "数据来源"),
    ("indicator", "导入指标名"),
    ("survey", "调查名称"),
    ("direction", "方向"),
    ("method", "标准化"),
    ("target", "目标值"),
    ("worst", "最差值"),
    ("params", "参数"),
    ("description", "说明"),
]
CHOICES: dict[str, dict[str, str]] = {
    "direction": {"正向": "higher", "逆向": "lower"},
    "method": {"极差": "minmax", "目标值": "target", "Z分数": "zscore"},
    "source": {"度量": "metric", "调查": "survey", "人工评分": "manual"},
}
ROOT_LABEL = "（一级指标）"
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def _label(field: str, value: str) -> str:
    for label, code in CHOICES.get(field, {}).items():
        if code == value:
            return label
    return value


def _code(field: str, value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip()
        return CHOICES.get(field, {}).get(text, text)
    return value


def write_excel(system: IndicatorSystem) -> bytes:
    """The system in the office template (round-trips through ``read_excel``)."""
    wb = Workbook()
    settings = wb.active
    assert settings is not None
    settings.title = "体系"
    settings.append(["项目", "取值", "字段"])
    values = {
        "name": system.name,
        "title": system.title,
        "description": system.description,
        "levels": ",".join(system.levels),
        "method": system.method.value,
        "weighting": system.weighting.value,
        "blend.alpha": system.blend.alpha,
        "blend.mode": system.blend.mode,
        "missing": system.missing.value,
    }
    for field, label in SETTINGS:
        settings.append([label, values[field], field])
    _style(settings, [14, 60, 14])

    sheet = wb.create_sheet("指标")
    sheet.append([label for _f, label in COLUMNS])
    for node, parent, _depth in system.walk():
        spec = node.normalise
        row = {
            "key": node.key,
            "name": node.name,
            "parent": parent.key if parent else "",
            "weight": node.weight,
            "metric": node.metric or "",
            "source": _label("source", node.source.value) if node.source else "",
            "indicator": node.indicator or "",
            "survey": node.survey or "",
            "direction": _label("direction", node.direction.value) if node.direction else "",
            "method": _label("method", spec.method.value) if spec else "",
            "target": spec.target if spec else None,
            "worst": spec.worst if spec else None,
            "params": json.dumps(node.params, ensure_ascii=False) if node.params else "",
            "description": node.description,
        }
        sheet.append([row[f] for f, _l in COLUMNS])
    _style(sheet, [8, 22, 10, 8, 26, 10, 14, 14, 8, 10, 8, 8, 30, 40])
    n = sheet.max_row + 200
    for field, options in (
        ("metric", sorted(METRICS)),
        ("direction", list(CHOICES["direction"])),
        ("method", list(CHOICES["method"])),
        ("source", list(CHOICES["source"])),
    ):
        col = "ABCDEFGHIJKLMN"[[f for f, _l in COLUMNS].index(field)]
        rule = DataValidation(type="list", formula1='"' + ",".join(options) + '"', allow_blank=True)
        rule.add(f"{col}2:{col}{n}")
        sheet.add_data_validation(rule)

    matrices = wb.create_sheet("判断矩阵")
    blocks = [(None, system.indicators, system.ahp)] + [
        (node, node.children, node.ahp) for node, _p, _d in system.walk() if node.ahp is not None
    ]
    for owner, children, matrix in blocks:
        if matrix is None:
            continue
        full = pairwise_matrix(matrix, [c.name for c in children])
        matrices.append(["上级编码", owner.key if owner else ROOT_LABEL])
        matrices.append(["", *[c.key for c in children]])
        for i, child in enumerate(children):
            matrices.append([child.key, *[canonical_judgement(float(v)) for v in full[i]]])
        matrices.append([])

    help_sheet = wb.create_sheet("度量说明")
    help_sheet.append(["度量", "名称", "单位", "方向", "计算方法", "适用层级", "参数"])
    for metric in METRICS.values():
        help_sheet.append(
            [
                metric.key,
                metric.label,
                UNIT_LABELS[metric.unit],
                _label("direction", metric.direction.value),
                metric.formula,
                ",".join(sorted(metric.levels)),
                json.dumps(metric.params, ensure_ascii=False),
            ]
        )
    _style(help_sheet, [26, 18, 10, 8, 44, 36, 40])
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def _style(sheet: Worksheet, widths: list[int]) -> None:
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    for i, width in enumerate(widths):
        sheet.column_dimensions["ABCDEFGHIJKLMN"[i]].width = width
    sheet.freeze_panes = "A2"


def read_excel(stream: IO[bytes], *, origin: str = "") -> IndicatorSystem:
    """Parse the office template back into a validated system."""
    try:
        wb = load_workbook(stream, data_only=True, read_only=True)
    except Exception as exc:  # openpyxl raises many types for a non-workbook
        raise Invalid(_("无法读取 Excel 文件「{o}」：{e}").format(o=origin, e=exc)) from exc
    problems: list[str] = []
    for needed in ("体系", "指标"):
        if needed not in wb.sheetnames:
            problems.append(_("缺少工作表「{s}」").format(s=needed))
    if problems:
        raise SystemConfigError(
            _("指标体系「{o}」有 {n} 处错误：\n{p}").format(
                o=origin, n=len(problems), p="\n".join(problems)
            ),
            problems=problems,
        )
    data = _read_settings(wb["体系"], problems)
    nodes = _read_indicators(wb["指标"], problems)
    if "判断矩阵" in wb.sheetnames:
        _read_matrices(wb["判断矩阵"], nodes, data, problems)
    if problems:
        raise SystemConfigError(
            _("指标体系「{o}」有 {n} 处错误：\n{p}").format(
                o=origin,
                n=len(problems),
                p="\n".join(f"{i}. {p}" for i, p in enumerate(problems, 1)),
            ),
            problems=problems,
        )
    data["indicators"] = [n for n in nodes.values() if n.pop("_parent") == ""]
    for node in data["indicators"]:
        _strip(node)
    return parse_system(data, origin=origin)


def _strip(node: dict[str, Any]) -> None:
    node.pop("_row", None)
    for child in node.get("children", []):
        _strip(child)


def _read_settings(sheet: Worksheet, problems: list[str]) -> dict[str, Any]:
    by_label = {label: field for field, label in SETTINGS}
    data: dict[str, Any] = {}
    for index, row in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2):
        if not row or row[0] is None:
            continue
        label = str(row[0]).strip()
        field = by_label.get(label) or (str(row[2]).strip() if len(row) > 2 and row[2] else None)
        if field not in dict(SETTINGS):
            problems.append(_("「体系」表第 {r} 行：不认识的项目「{l}」").format(r=index, l=label))
            continue
        value = row[1]
        if value is None or value == "":
            continue
        if field == "levels":
            data["levels"] = [
                v.strip() for v in str(value).replace("，", ",").split(",") if v.strip()
            ]
        elif field.startswith("blend."):
            data.setdefault("blend", {})[field.split(".", 1)[1]] = value
        else:
            data[field] = str(value)
    return data


def _read_indicators(sheet: Worksheet, problems: list[str]) -> dict[str, dict[str, Any]]:
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        problems.append(_("「指标」表为空"))
        return {}
    by_label = {label: field for field, label in COLUMNS}
    fields = [by_label.get(str(h).strip()) if h is not None else None for h in header]
    for needed in ("key", "name", "parent"):
        if needed not in fields:
            problems.append(_("「指标」表缺少列「{c}」").format(c=dict(COLUMNS)[needed]))
    if problems:
        return {}
    nodes: dict[str, dict[str, Any]] = {}
    for index, row in enumerate(rows, start=2):
        cells = {f: v for f, v in zip(fields, row, strict=False) if f is not None}
        if all(v is None or str(v).strip() == "" for v in cells.values()):
            continue
        key = str(cells.get("key") or "").strip()
        if not key:
            problems.append(_("「指标」表第 {r} 行：缺少编码").format(r=index))
            continue
        if key in nodes:
            problems.append(_("「指标」表第 {r} 行：编码「{k}」重复").format(r=index, k=key))
            continue
        node: dict[str, Any] = {"key": key, "name": str(cells.get("name") or "").strip()}
        node["_row"] = index
        node["_parent"] = str(cells.get("parent") or "").strip()
        for field in (
            "weight",
            "metric",
            "source",
            "indicator",
            "survey",
            "direction",
            "description",
        ):
            value = cells.get(field)
            if value is not None and str(value).strip() != "":
                node[field] = _code(field, value) if isinstance(value, str) else value
        method = cells.get("method")
        spec: dict[str, Any] = {}
        if method:
            spec["method"] = _code("method", method)
        for field in ("target", "worst"):
            if cells.get(field) is not None and str(cells[field]).strip() != "":
                spec[field] = cells[field]
        if spec:
            node["normalise"] = spec
        params = cells.get("params")
        if params:
            try:
                node["params"] = json.loads(str(params))
            except json.JSONDecodeError:
                problems.append(
                    _(
                        '「指标」表第 {r} 行：参数应为 JSON，例如 {{"channels": ["hotline"]}}'
                    ).format(r=index)
                )
        nodes[key] = node
    for key, node in nodes.items():
        parent = node["_parent"]
        if parent == "":
            continue
        if parent not in nodes:
            problems.append(
                _("「指标」表第 {r} 行：上级编码「{p}」不存在").format(r=node["_row"], p=parent)
            )
        elif parent == key:
            problems.append(_("「指标」表第 {r} 行：上级编码不能是自身").format(r=node["_row"]))
        else:
            nodes[parent].setdefault("children", []).append(node)
    return nodes


def _read_matrices(
    sheet: Worksheet, nodes: dict[str, dict[str, Any]], data: dict[str, Any], problems: list[str]
) -> None:
    rows = list(sheet.iter_rows(values_only=True))
    i = 0
    while i < len(rows):
        row = rows[i]
        if row and row[0] is not None and str(row[0]).strip() == "上级编码":
            owner = str(row[1] or "").strip() if len(row) > 1 else ""
            header = rows[i + 1] if i + 1 < len(rows) else ()
            keys = [str(c).strip() for c in header[1:] if c is not None and str(c).strip()]
            matrix = [list(r[1 : 1 + len(keys)]) for r in rows[i + 2 : i + 2 + len(keys)]]
            if owner == ROOT_LABEL or owner == "":
                data["ahp"] = matrix
                children = [k for k, n in nodes.items() if n["_parent"] == ""]
            elif owner in nodes:
                nodes[owner]["ahp"] = matrix
                children = [c["key"] for c in nodes[owner].get("children", [])]
            else:
                problems.append(
                    _("「判断矩阵」表第 {r} 行：上级编码「{o}」不存在").format(r=i + 1, o=owner)
                )
                children = keys
            if keys != children:
                problems.append(
                    _("「判断矩阵」表第 {r} 行：矩阵的指标顺序应与「指标」表一致（{c}）").format(
                        r=i + 2, c="、".join(children)
                    )
                )
            i += 2 + len(keys)
            continue
        i += 1
