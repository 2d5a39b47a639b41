"""评分引擎 — from leaf values to scores, ranks and explanations. Pure: no database, no I/O.

Steps (documented in docs/domains/evaluation.md):
1. raw matrix (entities × leaves); missing values per the system's policy (mean or worst);
2. each leaf normalised to [0, 1] (1 = best) by its own method and direction;
3. global leaf weights: configured (given / AHP), entropy, or a blend of both;
4. score = 100 × Σ w·y (weighted sum) or 100 × TOPSIS closeness on the raw values;
5. dimension (first-level) scores for the radar, competition ranking, drill-down trees.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime

import numpy as np

from civicgrid.evaluate.config import (
    ROOT,
    Indicator,
    IndicatorSystem,
    NormaliseSpec,
    RankMethod,
    Source,
    Weighting,
)
from civicgrid.evaluate.dataset import LEVEL_LABELS, Evaluee, Level
from civicgrid.evaluate.metric_types import METRICS, MetricValue, Unit, format_value
from civicgrid.evaluate.normalise import Direction, Method, Normaliser, fit, minmax
from civicgrid.evaluate.periods import Period
from civicgrid.evaluate.ranking import competition_rank, topsis
from civicgrid.evaluate.schemas import (
    AhpInfo,
    CountItem,
    EntityResult,
    EvaluationResult,
    Explanation,
    ExplanationNode,
    IndicatorInfo,
    LeafValue,
    TopsisDetail,
)
from civicgrid.evaluate.weights import blend, entropy_weights
from civicgrid.kit.i18n import _

METHOD_LABELS = {
    Method.MINMAX: "极差标准化",
    Method.TARGET: "目标值标准化",
    Method.ZSCORE: "Z 分数",
}


def leaf_unit(leaf: Indicator) -> str:
    if leaf.resolved_source is Source.METRIC and leaf.metric in METRICS:
        return METRICS[leaf.metric].unit.value
    return Unit.SCORE.value


def leaf_formula(leaf: Indicator) -> str:
    if leaf.resolved_source is Source.METRIC and leaf.metric in METRICS:
        return METRICS[leaf.metric].formula
    kind = _("第三方调查") if leaf.resolved_source is Source.SURVEY else _("人工评分")
    return _("导入值：{k}「{i}」").format(k=kind, i=leaf.input_name)


def score(
    system: IndicatorSystem,
    entities: Sequence[Evaluee],
    columns: Mapping[str, Mapping[str, MetricValue]],
    *,
    level: Level,
    period: Period,
    computed_at: datetime,
    scope: str | None = None,
    count_labels: Mapping[str, Mapping[str, str]] | None = None,
) -> EvaluationResult:
    """Score ``entities`` on ``system`` given every leaf's values (``columns[leaf][entity]``)."""
    leaves = system.leaves()
    labels = count_labels or {}
    m, n = len(entities), len(leaves)
    warnings: list[str] = []
    raw = np.full((m, n), np.nan)
    for j, leaf in enumerate(leaves):
        column = columns.get(leaf.key, {})
        for i, entity in enumerate(entities):
            value = column.get(entity.key)
            if value is not None and value.value is not None and math.isfinite(value.value):
                raw[i, j] = value.value
    missing = np.isnan(raw)
    filled = raw.copy()
    normalised = np.zeros((m, n))
    normalisers: list[Normaliser | None] = []
    for j, leaf in enumerate(leaves):
        spec = leaf.normalise or NormaliseSpec()
        direction = leaf.resolved_direction
        present = ~missing[:, j]
        if m and not present.any():
            warnings.append(
                _("指标「{n}」本期没有任何数据，各对象此项均记 0 分").format(n=leaf.name)
            )
        normaliser = fit(
            [float(v) for v in raw[present, j]],
            method=spec.method,
            direction=direction,
            target=spec.target,
            worst=spec.worst,
        )
        normalisers.append(normaliser if present.any() else None)
        if (
            spec.method is Method.MINMAX
            and present.sum() >= 2
            and normaliser.high - normaliser.low <= 0
        ):
            warnings.append(
                _("指标「{n}」各对象取值相同（{v}），极差标准化无法区分，均记满分").format(
                    n=leaf.name, v=format_value(normaliser.high, leaf_unit(leaf))
                )
            )
        if not present.any():
            filled[:, j] = 0.0
            continue
        if missing[:, j].any():
            if system.missing == "mean":
                filled[missing[:, j], j] = float(raw[present, j].mean())
            else:
                worst = (
                    raw[present, j].min()
                    if direction is Direction.HIGHER
                    else raw[present, j].max()
                )
                filled[missing[:, j], j] = float(worst)
        for i in range(m):
            if missing[i, j] and system.missing == "zero":
                normalised[i, j] = 0.0
            else:
                normalised[i, j] = normaliser.apply(float(filled[i, j]))

    subjective = system.global_weights()
    w_subjective = np.array([subjective[leaf.key] for leaf in leaves])
    w_objective: np.ndarray | None = None
    if system.weighting is not Weighting.SUBJECTIVE and m >= 2:
        columns_mm = np.array(
            [
                minmax([float(v) for v in filled[:, j]], leaf.resolved_direction)
                for j, leaf in enumerate(leaves)
            ]
        ).T
        w_objective = np.array(entropy_weights(columns_mm).weights)
    if w_objective is None:
        weights = w_subjective
        if system.weighting is not Weighting.SUBJECTIVE:
            warnings.append(_("评价对象少于 2 个，无法计算熵权，使用配置的权重"))
    elif system.weighting is Weighting.ENTROPY:
        weights = w_objective
    else:
        combined = blend(
            [float(w) for w in w_subjective],
            [float(w) for w in w_objective],
            alpha=system.blend.alpha,
            mode=system.blend.mode,
        )
        weights = np.array(list(combined), dtype=float)
    leaf_weight = {leaf.key: float(weights[j]) for j, leaf in enumerate(leaves)}
    global_weight = _roll_up(system, leaf_weight)
    objective_global = (
        _roll_up(system, {leaf.key: float(w_objective[j]) for j, leaf in enumerate(leaves)})
        if w_objective is not None
        else None
    )

    topsis_result = None
    if system.method is RankMethod.TOPSIS and m:
        benefit = [leaf.resolved_direction is Direction.HIGHER for leaf in leaves]
        topsis_result = topsis(filled, list(weights), benefit)
        totals = np.array(topsis_result.closeness) * 100.0
    else:
        totals = (normalised @ weights) * 100.0 if m else np.zeros(0)
    ranks = competition_rank([float(t) for t in totals])

    leaf_index = {leaf.key: j for j, leaf in enumerate(leaves)}
    under = _leaves_under(system)
    results: list[EntityResult] = []
    for i, entity in enumerate(entities):
        values: dict[str, LeafValue] = {}
        for j, leaf in enumerate(leaves):
            value = columns.get(leaf.key, {}).get(entity.key)
            values[leaf.key] = _leaf_value(
                leaf,
                value,
                raw=None if missing[i, j] else float(raw[i, j]),
                filled=float(filled[i, j]),
                y=float(normalised[i, j]),
                normaliser=normalisers[j],
                labels=labels.get(leaf.key, {}),
                missing_policy=system.missing,
            )
        dims = {
            node.key: _node_score(under[node.key], leaf_index, leaf_weight, normalised[i])
            for node in system.indicators
        }
        detail = None
        if topsis_result is not None:
            detail = TopsisDetail(
                d_best=topsis_result.d_best[i],
                d_worst=topsis_result.d_worst[i],
                closeness=topsis_result.closeness[i],
            )
        results.append(
            EntityResult(
                key=entity.key,
                name=entity.name,
                parent=entity.parent,
                rank=ranks[i],
                score=float(totals[i]),
                dimension_scores=dims,
                values=values,
                topsis=detail,
            )
        )
    results.sort(key=lambda r: (r.rank, r.key))
    return EvaluationResult(
        system_name=system.name,
        system_title=system.title,
        level=level.value,
        level_label=LEVEL_LABELS[level],
        period_start=period.start,
        period_end=period.end,
        scope=scope,
        method=system.method.value,
        weighting=system.weighting.value,
        computed_at=computed_at,
        indicators=_indicator_infos(system, global_weight, subjective, objective_global),
        ahp=_ahp_infos(system),
        entities=results,
        warnings=warnings,
    )


def _leaves_under(system: IndicatorSystem) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}

    def collect(node: Indicator) -> list[str]:
        keys = [node.key] if node.is_leaf else [k for c in node.children for k in collect(c)]
        out[node.key] = keys
        return keys

    for node in system.indicators:
        collect(node)
    return out


def _roll_up(system: IndicatorSystem, leaf_weight: Mapping[str, float]) -> dict[str, float]:
    return {key: sum(leaf_weight[k] for k in keys) for key, keys in _leaves_under(system).items()}


def _node_score(
    keys: list[str], index: Mapping[str, int], weight: Mapping[str, float], y: np.ndarray
) -> float:
    total = sum(weight[k] for k in keys)
    if total <= 0:
        return 0.0
    return float(sum(weight[k] * y[index[k]] for k in keys) / total * 100.0)


def _leaf_value(
    leaf: Indicator,
    value: MetricValue | None,
    *,
    raw: float | None,
    filled: float,
    y: float,
    normaliser: Normaliser | None,
    labels: Mapping[str, str],
    missing_policy: str,
) -> LeafValue:
    unit = leaf_unit(leaf)
    counts = [
        CountItem(key=k, label=labels.get(k, k), value=v)
        for k, v in (value.counts if value else {}).items()
    ]
    if raw is not None and normaliser is not None:
        formula = normaliser.describe(raw)
    elif normaliser is None:
        formula = _("本期无数据，记 0")
    elif missing_policy == "mean":
        formula = _("无数据，按其他对象平均值 {v} 计：").format(v=format_value(filled, unit))
        formula += normaliser.describe(filled)
    else:
        formula = _("无数据，按最差计 0 分")
    return LeafValue(
        key=leaf.key,
        raw=raw,
        display=format_value(raw, unit),
        normalised=y,
        missing=raw is None,
        imputed=None if raw is not None or normaliser is None else filled,
        counts=counts,
        text=value.text if value else _("无数据"),
        normalisation=formula,
    )


def _indicator_infos(
    system: IndicatorSystem,
    global_weight: Mapping[str, float],
    subjective: Mapping[str, float],
    objective: Mapping[str, float] | None,
) -> list[IndicatorInfo]:
    infos = []
    for node, parent, depth in system.walk():
        parent_weight = global_weight[parent.key] if parent else 1.0
        spec = node.normalise or NormaliseSpec()
        infos.append(
            IndicatorInfo(
                key=node.key,
                name=node.name,
                parent=parent.key if parent else None,
                depth=depth,
                is_leaf=node.is_leaf,
                local_weight=global_weight[node.key] / parent_weight if parent_weight else 0.0,
                global_weight=global_weight[node.key],
                subjective_weight=subjective[node.key],
                objective_weight=objective[node.key] if objective else None,
                metric=node.metric,
                source=node.resolved_source.value if node.is_leaf else None,
                unit=leaf_unit(node) if node.is_leaf else "",
                direction=node.resolved_direction.value,
                normalise=spec.method.value,
                formula=leaf_formula(node) if node.is_leaf else "",
                description=node.description,
            )
        )
    return infos


def _ahp_infos(system: IndicatorSystem) -> list[AhpInfo]:
    names = {node.key: node for node, _p, _d in system.walk()}
    out = []
    for key, result in system.ahp_results.items():
        children = system.indicators if key == ROOT else names[key].children
        out.append(
            AhpInfo(
                parent=key,
                parent_name=system.title if key == ROOT else names[key].name,
                labels=[c.name for c in children],
                weights=list(result.weights),
                lambda_max=result.lambda_max,
                ci=result.ci,
                ri=result.ri,
                cr=result.cr,
            )
        )
    return out


def explain(result: EvaluationResult, entity_key: str) -> Explanation | None:
    """The drill-down tree of one entity: every node's weight, score and contribution."""
    entity = result.entity(entity_key)
    if entity is None:
        return None
    infos = result.indicators
    children: dict[str | None, list[IndicatorInfo]] = {}
    for info in infos:
        children.setdefault(info.parent, []).append(info)

    def build(info: IndicatorInfo) -> ExplanationNode:
        if info.is_leaf:
            leaf = entity.values[info.key]
            return ExplanationNode(
                key=info.key,
                name=info.name,
                local_weight=info.local_weight,
                global_weight=info.global_weight,
                score=leaf.normalised * 100.0,
                contribution=info.global_weight * leaf.normalised * 100.0,
                leaf=leaf,
                metric=info.metric,
                formula=info.formula,
            )
        kids = [build(c) for c in children.get(info.key, [])]
        contribution = sum(k.contribution for k in kids)
        own = contribution / info.global_weight if info.global_weight > 0 else 0.0
        return ExplanationNode(
            key=info.key,
            name=info.name,
            local_weight=info.local_weight,
            global_weight=info.global_weight,
            score=own,
            contribution=contribution,
            children=kids,
        )

    tree = [build(info) for info in children.get(None, [])]
    parts = "，".join(f"{node.name} {node.contribution:.2f} 分" for node in tree)
    if entity.topsis is not None:
        summary = _(
            "TOPSIS 贴近度 {c:.4f}（距正理想解 {b:.4f}，距负理想解 {w:.4f}），得分 {s:.2f}，"
            "第 {r} 名；按加权和分解：{p}"
        ).format(
            c=entity.topsis.closeness,
            b=entity.topsis.d_best,
            w=entity.topsis.d_worst,
            s=entity.score,
            r=entity.rank,
            p=parts,
        )
    else:
        summary = _("总分 {s:.2f}，第 {r} 名：{p}").format(s=entity.score, r=entity.rank, p=parts)
    return Explanation(entity=entity, method=result.method, tree=tree, summary=summary)
