"""度量库的类型 — metric definitions, values, units and the registry they live in. Pure."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from civicgrid.evaluate.dataset import Dataset, Level
from civicgrid.evaluate.normalise import Direction
from civicgrid.kit.i18n import _

ALL_LEVELS = frozenset(Level)


class Unit(StrEnum):
    RATIO = "ratio"  # shown as a percentage
    HOURS = "hours"
    PER_ORDER = "per_order"
    PER_THOUSAND = "per_thousand"
    SCORE = "score"  # imported values, shown as given


UNIT_LABELS = {
    Unit.RATIO: "%",
    Unit.HOURS: "小时",
    Unit.PER_ORDER: "次/件",
    Unit.PER_THOUSAND: "件/千人",
    Unit.SCORE: "",
}


def format_value(value: float | None, unit: str) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    if unit == Unit.RATIO:
        return f"{value * 100:.1f}%"
    if unit == Unit.HOURS:
        return f"{value:.1f} 小时"
    if unit == Unit.PER_ORDER:
        return f"{value:.3f} 次/件"
    if unit == Unit.PER_THOUSAND:
        return f"{value:.2f} 件/千人"
    return f"{value:.4g}"


@dataclass(frozen=True)
class MetricValue:
    """A metric for one evaluee: the value (None = no data) and the figures behind it."""

    value: float | None
    counts: dict[str, float]
    text: str


Compute = Callable[[Dataset, Mapping[str, Any]], dict[str, MetricValue]]


@dataclass(frozen=True)
class MetricDef:
    key: str
    label: str
    unit: Unit
    direction: Direction
    formula: str  # Chinese, shown next to the value
    counts: dict[str, str]  # count key → Chinese label, in display order
    text: str  # Chinese template over the counts
    description: str  # English, for docs
    compute: Compute
    levels: frozenset[str] = ALL_LEVELS
    params: dict[str, Any] = field(default_factory=dict)


METRICS: dict[str, MetricDef] = {}
ORDER_FILTERS: dict[str, Any] = {"channels": None, "categories": None}


def register(metric: MetricDef) -> MetricDef:
    METRICS[metric.key] = metric
    return metric


def check_params(metric: MetricDef, params: Mapping[str, Any]) -> list[str]:
    """Problems with an indicator's ``params`` for ``metric`` (empty when fine)."""
    problems = []
    for name, value in params.items():
        if name not in metric.params:
            allowed = ", ".join(metric.params) or _("无")
            problems.append(
                _("度量「{m}」没有参数「{p}」（可用参数：{a}）").format(
                    m=metric.key, p=name, a=allowed
                )
            )
            continue
        default = metric.params[name]
        if name in ORDER_FILTERS:
            if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                problems.append(_("参数「{p}」应为字符串列表").format(p=name))
        elif isinstance(default, bool):
            if not isinstance(value, bool):
                problems.append(_("参数「{p}」应为 true 或 false").format(p=name))
        elif isinstance(default, int | float) and (
            isinstance(value, bool) or not isinstance(value, int | float) or value < 0
        ):
            problems.append(_("参数「{p}」应为非负数").format(p=name))
        elif isinstance(default, list) and not (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        ):
            problems.append(_("参数「{p}」应为字符串列表").format(p=name))
    return problems
