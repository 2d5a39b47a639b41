"""指标体系配置 — indicator systems as a validated tree, loaded from YAML (Excel: config_excel).

A system is a tree of indicators. Inner nodes carry weights for their children, given directly
(0.3 or "30%") or derived from an AHP pairwise-comparison matrix (``ahp:``, refused when
CR > 0.1). Leaves point at a metric of the library (``metric:``) or at imported values
(``source: survey`` / ``source: manual``). Every problem in a file is reported at once, in
Chinese, with the indicator it concerns.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterator
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
)

from civicgrid.errors import Invalid, NotFound
from civicgrid.evaluate.dataset import LEVEL_LABELS, Level
from civicgrid.evaluate.metric_types import check_params
from civicgrid.evaluate.metrics import METRICS  # importing metrics registers the library
from civicgrid.evaluate.normalise import Direction, Method, fit
from civicgrid.evaluate.weights import (
    AhpResult,
    ahp,
    canonical_judgement,
    explain_inconsistency,
    pairwise_matrix,
)
from civicgrid.kit.i18n import _

TEMPLATES_DIR = Path(__file__).parent / "templates"
WEIGHT_TOLERANCE = 1e-3
ROOT = ""  # key under which the first-level weights are reported


class Source(StrEnum):
    METRIC = "metric"
    SURVEY = "survey"  # 第三方满意度调查
    MANUAL = "manual"  # 人工评分表


class Weighting(StrEnum):
    SUBJECTIVE = "subjective"  # given weights / AHP
    ENTROPY = "entropy"  # objective: entropy weight method over the leaves
    BLEND = "blend"  # combination of both


class RankMethod(StrEnum):
    WEIGHTED_SUM = "weighted_sum"
    TOPSIS = "topsis"


class Missing(StrEnum):
    MEAN = "mean"  # a missing value counts as the mean of the others
    ZERO = "zero"  # a missing value counts as the worst (normalised 0)


def _parse_weight(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip().replace("％", "%")
        try:
            return float(text[:-1]) / 100 if text.endswith("%") else float(text)
        except ValueError:
            return value
    return value


Weight = Annotated[float, BeforeValidator(_parse_weight)]
Cell = int | float | str | None


class NormaliseSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: Method = Method.MINMAX
    target: float | None = None
    worst: float | None = None


class Indicator(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=100)
    weight: Weight | None = None
    description: str = ""
    metric: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    source: Source | None = None
    indicator: str | None = None
    survey: str | None = None
    direction: Direction | None = None
    normalise: NormaliseSpec | None = None
    children: list[Indicator] = Field(default_factory=list)
    ahp: list[list[Cell]] | None = None

    @property
    def is_leaf(self) -> bool:
        return not self.children

    @property
    def resolved_source(self) -> Source:
        return self.source or Source.METRIC

    @property
    def resolved_direction(self) -> Direction:
        if self.direction is not None:
            return self.direction
        if self.metric in METRICS:
            return METRICS[self.metric].direction
        return Direction.HIGHER

    @property
    def input_name(self) -> str:
        """The indicator name that survey / manual imports use for this leaf."""
        return self.indicator or self.name


class BlendSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    alpha: float = Field(0.5, ge=0.0, le=1.0)
    mode: Literal["linear", "multiplicative"] = "linear"


class IndicatorSystem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_\-\u4e00-\u9fff]+$")
    title: str = Field(min_length=1, max_length=200)
    description: str = ""
    levels: list[Level] = Field(default_factory=lambda: list(Level))
    method: RankMethod = RankMethod.WEIGHTED_SUM
    weighting: Weighting = Weighting.SUBJECTIVE
    blend: BlendSpec = Field(default_factory=BlendSpec)
    missing: Missing = Missing.MEAN
    ahp: list[list[Cell]] | None = None
    indicators: list[Indicator] = Field(min_length=1)

    # Filled by ``parse_system``: local weight of every indicator, AHP results per parent key.
    _local: dict[str, float] = PrivateAttr(default_factory=dict)
    _ahp: dict[str, AhpResult] = PrivateAttr(default_factory=dict)

    def walk(self) -> Iterator[tuple[Indicator, Indicator | None, int]]:
        """Every indicator, depth first, with its parent and depth (first level = 1)."""

        def visit(
            nodes: list[Indicator], parent: Indicator | None, depth: int
        ) -> Iterator[tuple[Indicator, Indicator | None, int]]:
            for node in nodes:
                yield node, parent, depth
                yield from visit(node.children, node, depth + 1)

        yield from visit(self.indicators, None, 1)

    def leaves(self) -> list[Indicator]:
        return [node for node, _p, _d in self.walk() if node.is_leaf]

    def _resolved(self) -> None:
        """Weights are resolved by ``parse_system``; a system built otherwise is checked now."""
        if not self._local:
            problems = _check(self)
            if problems:
                _raise(self.name, problems)

    def local_weight(self, key: str) -> float:
        self._resolved()
        return self._local[key]

    def global_weights(self) -> dict[str, float]:
        """Product of local weights from the root: Σ over the leaves is 1."""
        self._resolved()
        out: dict[str, float] = {}
        for node, parent, _depth in self.walk():
            base = out[parent.key] if parent is not None else 1.0
            out[node.key] = base * self._local[node.key]
        return out

    @property
    def ahp_results(self) -> dict[str, AhpResult]:
        self._resolved()
        return dict(self._ahp)

    def to_data(self) -> dict[str, Any]:
        """Plain data in the YAML shape (defaults left out)."""
        data: dict[str, Any] = self.model_dump(mode="json", exclude_defaults=True)
        data.setdefault("name", self.name)
        return data

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_data(), allow_unicode=True, sort_keys=False, width=100)


class SystemConfigError(Invalid):
    """An indicator system with problems; ``details['problems']`` lists every one of them."""


def _path(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item + 1}]")
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts)


_PYDANTIC_MESSAGES = {
    "missing": "缺少必填项",
    "extra_forbidden": "不认识的字段（可能拼写有误）",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "string_type": "应为文字",
    "list_type": "应为列表",
    "dict_type": "应为键值对",
    "enum": "取值无效",
    "literal_error": "取值无效",
    "string_too_short": "不能为空",
    "too_short": "不能为空",
    "string_pattern_mismatch": "只能包含字母、数字、汉字、下划线和连字符",
    "greater_than_equal": "取值过小",
    "less_than_equal": "取值过大",
}


def _pydantic_problems(err: ValidationError) -> list[str]:
    problems = []
    for item in err.errors():
        message = _PYDANTIC_MESSAGES.get(item["type"])
        text = _(message) if message else item["msg"]
        if item["type"] in ("enum", "literal_error"):
            expected = item.get("ctx", {}).get("expected")
            if expected:
                text += _("（可选：{e}）").format(e=expected)
        problems.append(f"{_path(tuple(item['loc']))}：{text}")
    return problems


def parse_system(data: Any, *, origin: str = "") -> IndicatorSystem:
    """Validate plain data into an ``IndicatorSystem`` or raise ``SystemConfigError``."""
    label = origin or (data.get("name", "") if isinstance(data, dict) else "")
    if not isinstance(data, dict):
        raise SystemConfigError(_("指标体系「{o}」应为键值结构（YAML 映射）").format(o=label))
    try:
        system = IndicatorSystem.model_validate(data)
    except ValidationError as err:
        _raise(label, _pydantic_problems(err))
    problems = _check(system)
    if problems:
        _raise(label, problems)
    return system


def _raise(label: str, problems: list[str]) -> NoReturn:
    lines = "\n".join(f"{i}. {p}" for i, p in enumerate(problems, start=1))
    message = _("指标体系「{o}」有 {n} 处错误：\n{lines}").format(
        o=label, n=len(problems), lines=lines
    )
    raise SystemConfigError(message, problems=problems)


def _check(system: IndicatorSystem) -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()
    for node, _parent, _depth in system.walk():
        if node.key in seen:
            problems.append(_("指标编码「{k}」重复").format(k=node.key))
        seen.add(node.key)
        if node.is_leaf:
            problems.extend(_check_leaf(system, node))
        else:
            if node.metric or node.source:
                problems.append(
                    _("「{n}」有下级指标，不能同时指定度量或数据来源").format(n=node.name)
                )
            problems.extend(_resolve_children(system, node.key, node.name, node.children, node.ahp))
    problems.extend(
        _resolve_children(system, ROOT, system.title, system.indicators, system.ahp, root=True)
    )
    return problems


def _check_leaf(system: IndicatorSystem, node: Indicator) -> list[str]:
    problems: list[str] = []
    where = f"「{node.name}」（{node.key}）"
    if node.ahp is not None:
        problems.append(where + _("没有下级指标，不能给出判断矩阵"))
    source = node.resolved_source
    if source is Source.METRIC:
        if not node.metric:
            problems.append(
                where + _("既没有下级指标，也没有指定度量（metric）或数据来源（source）")
            )
            return problems
        metric = METRICS.get(node.metric)
        if metric is None:
            close = difflib.get_close_matches(node.metric, list(METRICS), n=1)
            hint = _("，是否想写「{c}」？").format(c=close[0]) if close else "。"
            problems.append(
                where
                + _("引用了未知的度量「{m}」{hint}可用的度量：{all}").format(
                    m=node.metric, hint=hint, all="、".join(sorted(METRICS))
                )
            )
            return problems
        problems.extend(where + p for p in check_params(metric, node.params))
        unsupported = [lv for lv in system.levels if lv not in metric.levels]
        if unsupported:
            problems.append(
                where
                + _("使用的度量「{m}」不适用于{levels}层级").format(
                    m=node.metric, levels="、".join(LEVEL_LABELS[lv] for lv in unsupported)
                )
            )
    else:
        if node.metric:
            problems.append(where + _("数据来源为导入值时不能再指定度量"))
        if node.params:
            problems.append(where + _("导入值指标没有参数"))
    spec = node.normalise or NormaliseSpec()
    if spec.method is Method.TARGET:
        try:
            fit(
                [],
                method=spec.method,
                direction=node.resolved_direction,
                target=spec.target,
                worst=spec.worst,
            )
        except Invalid as exc:
            problems.append(where + exc.message)
    elif spec.target is not None or spec.worst is not None:
        problems.append(where + _("只有目标值标准化（target）才使用 target / worst"))
    return problems


def _resolve_children(
    system: IndicatorSystem,
    key: str,
    name: str,
    children: list[Indicator],
    matrix: list[list[Cell]] | None,
    *,
    root: bool = False,
) -> list[str]:
    where = _("一级指标") if root else f"「{name}」"
    labels = [c.name for c in children]
    if matrix is not None:
        given = [c.name for c in children if c.weight is not None]
        if given:
            return [
                where + _("同时给出了判断矩阵和权重（{g}），请二选一").format(g="、".join(given))
            ]
        try:
            full = pairwise_matrix(matrix, labels)
            result = ahp(full)
        except Invalid as exc:
            return [where + _("的判断矩阵：") + exc.message]
        # Canonical cells (ints and "1/3"), lower triangle filled: stable across YAML and Excel.
        matrix[:] = [[canonical_judgement(float(v)) for v in row] for row in full]
        if not result.acceptable:
            return [where + _("的判断矩阵：") + explain_inconsistency(result, labels)]
        system._ahp[key] = result
        for child, weight in zip(children, result.weights, strict=True):
            system._local[child.key] = weight
        return []
    if len(children) == 1 and children[0].weight is None:
        system._local[children[0].key] = 1.0
        return []
    missing = [c.name for c in children if c.weight is None]
    if missing:
        return [where + _("下的指标缺少权重：{m}").format(m="、".join(missing))]
    problems = [
        _("「{n}」的权重 {w} 应在 0 到 1 之间").format(n=c.name, w=c.weight)
        for c in children
        if c.weight is not None and not (0 < c.weight <= 1)
    ]
    total = sum(c.weight or 0.0 for c in children)
    if not math.isclose(total, 1.0, abs_tol=WEIGHT_TOLERANCE):
        detail = "，".join(f"{c.name} {c.weight:g}" for c in children if c.weight is not None)
        hint = _('（看起来是百分数，请写成 0.3 或 "30%"）') if math.isclose(total, 100) else ""
        problems.append(
            where
            + _("下各指标权重之和为 {t:.4g}，应为 1（{d}）{h}").format(t=total, d=detail, h=hint)
        )
    if not problems:
        for child in children:
            system._local[child.key] = float(child.weight or 0.0) / total
    return problems


# ---------------------------------------------------------------- files and templates
def load_yaml_text(text: str, *, origin: str = "") -> IndicatorSystem:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = _("（第 {line} 行）").format(line=mark.line + 1) if mark is not None else ""
        raise SystemConfigError(
            _("指标体系「{o}」不是有效的 YAML{w}：{e}").format(
                o=origin, w=where, e=getattr(exc, "problem", exc)
            )
        ) from exc
    return parse_system(data, origin=origin)


def load_file(path: str | Path) -> IndicatorSystem:
    """A system from a .yaml/.yml or .xlsx file."""
    file = Path(path)
    if not file.is_file():
        raise NotFound(_("找不到指标体系文件：{p}").format(p=file))
    suffix = file.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return load_yaml_text(file.read_text(encoding="utf-8"), origin=file.name)
    if suffix == ".xlsx":
        from civicgrid.evaluate.config_excel import read_excel

        with file.open("rb") as stream:
            return read_excel(stream, origin=file.name)
    raise Invalid(_("不支持的指标体系文件类型：{s}（应为 .yaml 或 .xlsx）").format(s=suffix))


@cache
def _template_texts() -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(TEMPLATES_DIR.glob("*.yaml"))}


def template_names() -> list[str]:
    return list(_template_texts())


def load_template(name: str) -> IndicatorSystem:
    texts = _template_texts()
    if name not in texts:
        raise NotFound(
            _("没有名为「{n}」的内置模板（可用：{all}）").format(n=name, all="、".join(texts))
        )
    return load_yaml_text(texts[name], origin=name)
