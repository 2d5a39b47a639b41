"""考核评价服务 — verbs: list/copy/save systems, evaluate, trend, explain, import survey values.

Services flush, never commit (the request or the CLI command owns the transaction).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.errors import Conflict, Invalid, NotFound
from civicgrid.evaluate import engine
from civicgrid.evaluate.config import (
    IndicatorSystem,
    Source,
    load_file,
    load_template,
    parse_system,
    template_names,
)
from civicgrid.evaluate.dataset import LEVEL_LABELS, Dataset, Level, parse_level
from civicgrid.evaluate.inputs import parse_inputs
from civicgrid.evaluate.metric_types import METRICS, MetricValue
from civicgrid.evaluate.metrics import compute_metric
from civicgrid.evaluate.periods import Period, Step, split
from civicgrid.evaluate.schemas import (
    EvaluationResult,
    Explanation,
    ImportReport,
    RadarData,
    RadarSeries,
    RankRow,
    SystemSummary,
    TrendResult,
    TrendSeries,
)
from civicgrid.kit.i18n import _
from civicgrid.kit.timeutil import utcnow
from civicgrid.models.evaluation import EvaluationInput, EvaluationRun, EvaluationSystem
from civicgrid.models.org import GridMember, GridRole, OrgLevel, OrgNode
from civicgrid.models.registry import ImportBatch

# ---------------------------------------------------------------- indicator systems


def _summary(
    system: IndicatorSystem, *, builtin: bool, row: EvaluationSystem | None = None
) -> SystemSummary:
    return SystemSummary(
        name=system.name,
        title=system.title,
        description=system.description,
        builtin=builtin,
        based_on=row.based_on if row else None,
        version=row.version if row else None,
        levels=[str(level) for level in system.levels],
        method=system.method.value,
        weighting=system.weighting.value,
        first_level=len(system.indicators),
        leaves=len(system.leaves()),
    )


def list_systems(session: Session) -> list[SystemSummary]:
    """Built-in templates first, then the systems stored in the database."""
    out = [_summary(load_template(name), builtin=True) for name in template_names()]
    for row in session.scalars(select(EvaluationSystem).order_by(EvaluationSystem.name)):
        out.append(_summary(parse_system(row.definition, origin=row.name), builtin=False, row=row))
    return out


def get_stored_system(session: Session, name: str) -> EvaluationSystem | None:
    return session.scalar(select(EvaluationSystem).where(EvaluationSystem.name == name))


def get_system(session: Session, name: str) -> tuple[IndicatorSystem, int | None]:
    """A stored system (with its version) or a built-in template (version None)."""
    row = get_stored_system(session, name)
    if row is not None:
        return parse_system(row.definition, origin=row.name), row.version
    if name in template_names():
        return load_template(name), None
    raise NotFound(_("没有名为「{n}」的指标体系").format(n=name))


def resolve_system(session: Session, name_or_file: str) -> tuple[IndicatorSystem, int | None]:
    """A system by name, or from a .yaml/.xlsx file path."""
    if name_or_file.lower().endswith((".yaml", ".yml", ".xlsx")):
        return load_file(name_or_file), None
    return get_system(session, name_or_file)


def copy_template(
    session: Session, *, source: str, name: str, title: str | None = None, by: int | None = None
) -> EvaluationSystem:
    """Copy a template (or another stored system) into a new editable stored system."""
    system, _version = get_system(session, source)
    if name in template_names() or get_stored_system(session, name) is not None:
        raise Conflict(_("指标体系名称「{n}」已被使用").format(n=name))
    data = system.to_data()
    data["name"] = name
    if title:
        data["title"] = title
    copy = parse_system(data, origin=name)
    row = EvaluationSystem(
        name=copy.name,
        title=copy.title,
        description=copy.description,
        based_on=source,
        definition=copy.to_data(),
        created_by=by,
        updated_by=by,
    )
    session.add(row)
    session.flush()
    return row


def store_system(
    session: Session, *, definition: dict[str, Any], by: int | None = None
) -> EvaluationSystem:
    """Store a new editable system from a definition (validated)."""
    system = parse_system(definition, origin=str(definition.get("name", "")))
    if system.name in template_names() or get_stored_system(session, system.name) is not None:
        raise Conflict(_("指标体系名称「{n}」已被使用").format(n=system.name))
    row = EvaluationSystem(
        name=system.name,
        title=system.title,
        description=system.description,
        definition=system.to_data(),
        created_by=by,
        updated_by=by,
    )
    session.add(row)
    session.flush()
    return row


def save_system(
    session: Session, *, name: str, definition: dict[str, Any], by: int | None = None
) -> EvaluationSystem:
    """Replace a stored system's definition (validated; the version increases)."""
    row = get_stored_system(session, name)
    if row is None:
        if name in template_names():
            raise Conflict(_("内置模板「{n}」不能直接修改，请先复制").format(n=name))
        raise NotFound(_("没有名为「{n}」的指标体系").format(n=name))
    data = dict(definition)
    data["name"] = name
    system = parse_system(data, origin=name)
    row.title = system.title
    row.description = system.description
    row.definition = system.to_data()
    row.version += 1
    row.updated_by = by
    session.flush()
    return row


def delete_system(session: Session, *, name: str) -> None:
    row = get_stored_system(session, name)
    if row is None:
        raise NotFound(_("没有名为「{n}」的指标体系").format(n=name))
    session.delete(row)
    session.flush()


# ---------------------------------------------------------------- evaluation


def _scope_node(session: Session, scope: str | None) -> OrgNode | None:
    if not scope:
        return None
    node = session.scalar(select(OrgNode).where(OrgNode.code == scope))
    if node is None:
        raise NotFound(_("范围节点「{c}」不存在").format(c=scope))
    return node


def _input_column(
    ds: Dataset, source: Source, indicator: str, survey: str | None
) -> dict[str, MetricValue]:
    found = ds.input_values(source.value, indicator, survey)
    kind = _("第三方调查") if source is Source.SURVEY else _("人工评分")
    out: dict[str, MetricValue] = {}
    for evaluee in ds.entities:
        if evaluee.key not in found:
            continue
        value, sample, n = found[evaluee.key]
        counts: dict[str, float] = {"imports": float(n)}
        text = _("{k}「{i}」：{v:.4g}").format(k=kind, i=indicator, v=value)
        if sample is not None:
            counts["sample_size"] = float(sample)
            text += _("（样本 {s} 份）").format(s=sample)
        if n > 1:
            text += _("，{n} 次导入取平均").format(n=n)
        out[evaluee.key] = MetricValue(value, counts, text)
    return out


INPUT_LABELS = {"imports": "导入次数", "sample_size": "样本量"}


def evaluate(
    session: Session,
    *,
    system: IndicatorSystem | str,
    level: Level | str,
    period: Period | str,
    scope: str | None = None,
    now: datetime | None = None,
    save: bool = False,
    by: int | None = None,
) -> EvaluationResult:
    """Score every object of ``level`` in ``scope`` over ``period`` on ``system``."""
    version = None
    if isinstance(system, str):
        system, version = resolve_system(session, system)
    level = parse_level(level) if isinstance(level, str) else level
    period = Period.parse(period) if isinstance(period, str) else period
    if level not in system.levels:
        raise Invalid(
            _("指标体系「{s}」不适用于{l}层级（适用：{all}）").format(
                s=system.title,
                l=LEVEL_LABELS[level],
                all="、".join(LEVEL_LABELS[lv] for lv in system.levels),
            )
        )
    lookback = max(
        [30]
        + [
            int(leaf.params.get("window_days", 30))
            for leaf in system.leaves()
            if leaf.metric == "repeat_complaint_rate"
        ]
    )
    ds = Dataset(
        session,
        level=level,
        period=period,
        scope=_scope_node(session, scope),
        now=now or utcnow(),
        lookback_days=lookback,
    )
    ds.ensure_entities()
    columns: dict[str, dict[str, MetricValue]] = {}
    labels: dict[str, dict[str, str]] = {}
    cache: dict[str, dict[str, MetricValue]] = {}
    for leaf in system.leaves():
        if leaf.resolved_source is Source.METRIC:
            assert leaf.metric is not None
            signature = leaf.metric + json.dumps(leaf.params, sort_keys=True, ensure_ascii=False)
            if signature not in cache:
                cache[signature] = compute_metric(ds, leaf.metric, leaf.params)
            columns[leaf.key] = cache[signature]
            labels[leaf.key] = METRICS[leaf.metric].counts
        else:
            columns[leaf.key] = _input_column(
                ds, leaf.resolved_source, leaf.input_name, leaf.survey
            )
            labels[leaf.key] = INPUT_LABELS
    result = engine.score(
        system,
        ds.entities,
        columns,
        level=level,
        period=period,
        computed_at=utcnow(),
        scope=scope,
        count_labels=labels,
    )
    result.system_version = version
    if not ds.entities:
        result.warnings.append(_("所选范围内没有可评价的{l}").format(l=LEVEL_LABELS[level]))
    if save:
        run = EvaluationRun(
            system_name=system.name,
            system_title=system.title,
            system_version=version,
            level=level.value,
            period_start=period.start,
            period_end=period.end,
            scope_code=scope,
            method=system.method.value,
            entity_count=len(result.entities),
            result={},
            created_by=by,
        )
        session.add(run)
        session.flush()
        result.run_id = run.id
        run.result = result.model_dump(mode="json")
        session.flush()
    return result


def get_run(session: Session, run_id: int) -> EvaluationResult:
    run = session.get(EvaluationRun, run_id)
    if run is None:
        raise NotFound(_("评价记录 {i} 不存在").format(i=run_id))
    return EvaluationResult.model_validate(run.result)


def list_runs(
    session: Session, *, system: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    stmt = select(EvaluationRun).order_by(EvaluationRun.id.desc()).limit(min(limit, 500))
    if system:
        stmt = stmt.where(EvaluationRun.system_name == system)
    return [
        {
            "id": r.id,
            "system_name": r.system_name,
            "system_title": r.system_title,
            "level": r.level,
            "period": f"{r.period_start.isoformat()}..{r.period_end.isoformat()}",
            "scope": r.scope_code,
            "method": r.method,
            "entity_count": r.entity_count,
            "created_at": r.created_at,
        }
        for r in session.scalars(stmt)
    ]


def trend(
    session: Session,
    *,
    system: IndicatorSystem | str,
    level: Level | str,
    period: Period | str,
    step: Step = "month",
    scope: str | None = None,
    now: datetime | None = None,
) -> TrendResult:
    """Scores and ranks over consecutive sub-periods (months, quarters, years or weeks)."""
    if isinstance(system, str):
        system, _version = resolve_system(session, system)
    period = Period.parse(period) if isinstance(period, str) else period
    pieces = split(period, step)
    series: dict[str, TrendSeries] = {}
    warnings: list[str] = []
    for index, piece in enumerate(pieces):
        result = evaluate(session, system=system, level=level, period=piece, scope=scope, now=now)
        warnings.extend(f"{piece.label}: {w}" for w in result.warnings)
        for entity in result.entities:
            line = series.setdefault(
                entity.key,
                TrendSeries(
                    key=entity.key,
                    name=entity.name,
                    scores=[None] * len(pieces),
                    ranks=[None] * len(pieces),
                ),
            )
            line.scores[index] = entity.score
            line.ranks[index] = entity.rank
    level_value = parse_level(level).value if isinstance(level, str) else level.value
    return TrendResult(
        system_name=system.name,
        level=level_value,
        periods=[p.label for p in pieces],
        series=sorted(series.values(), key=lambda s: s.key),
        warnings=warnings,
    )


def ranking(result: EvaluationResult) -> list[RankRow]:
    names = {i.key: i.name for i in result.indicators if i.depth == 1}
    return [
        RankRow(
            rank=e.rank,
            key=e.key,
            name=e.name,
            parent=e.parent,
            score=e.score,
            dimensions={names[k]: v for k, v in e.dimension_scores.items()},
        )
        for e in result.entities
    ]


def radar(result: EvaluationResult, keys: list[str] | None = None, *, top: int = 5) -> RadarData:
    """First-level scores of the chosen entities (default: the top ``top``) and the average."""
    first = [i for i in result.indicators if i.depth == 1]
    chosen = [e for e in result.entities if e.key in keys] if keys else result.entities[:top]
    average = [
        sum(e.dimension_scores[i.key] for e in result.entities) / len(result.entities)
        if result.entities
        else 0.0
        for i in first
    ]
    return RadarData(
        axes=[i.name for i in first],
        series=[
            RadarSeries(key=e.key, name=e.name, values=[e.dimension_scores[i.key] for i in first])
            for e in chosen
        ],
        average=average,
    )


def explain(result: EvaluationResult, entity_key: str) -> Explanation:
    explanation = engine.explain(result, entity_key)
    if explanation is None:
        raise NotFound(_("评价结果中没有对象「{k}」").format(k=entity_key))
    return explanation


# ---------------------------------------------------------------- survey / manual values


def _known_codes(session: Session, level: Level) -> set[str] | None:
    """Codes an import may use at ``level`` (None: any, for departments)."""
    if level is Level.DEPARTMENT:
        return None
    if level is Level.WORKER:
        rows = session.execute(
            select(OrgNode.code, GridMember.name)
            .join(GridMember, GridMember.node_id == OrgNode.id)
            .where(GridMember.role == GridRole.WORKER)
        )
        return {f"{code}/{name}" for code, name in rows}
    org_level = {Level.GRID: OrgLevel.GRID, Level.COMMUNITY: OrgLevel.COMMUNITY}.get(
        level, OrgLevel.STREET
    )
    return set(session.scalars(select(OrgNode.code).where(OrgNode.level == org_level)))


def import_inputs(
    session: Session,
    *,
    content: bytes,
    filename: str,
    source: str = Source.SURVEY.value,
    survey: str,
    level: Level | str,
    period: Period | str,
    by: int | None = None,
) -> ImportReport:
    """Import survey results / manual scores; bad rows are reported, good rows stored."""
    if source not in (Source.SURVEY.value, Source.MANUAL.value):
        raise Invalid(_("数据来源应为 survey（调查）或 manual（人工评分）"))
    if not survey.strip():
        raise Invalid(_("请填写调查或评分表名称"))
    level = parse_level(level) if isinstance(level, str) else level
    period = Period.parse(period) if isinstance(period, str) else period
    rows, errors, encoding = parse_inputs(content, filename)
    known = _known_codes(session, level)
    batch = ImportBatch(
        kind=f"evaluation_{source}", filename=filename[:300], encoding=encoding, created_by=by
    )
    session.add(batch)
    session.flush()
    inserted = updated = 0
    existing = {
        (r.entity_code, r.indicator, r.survey): r
        for r in session.scalars(
            select(EvaluationInput).where(
                EvaluationInput.source == source,
                EvaluationInput.level == level.value,
                EvaluationInput.period_start == period.start,
                EvaluationInput.period_end == period.end,
            )
        )
    }
    for row in rows:
        if row.level and row.level not in (level.value, LEVEL_LABELS[level]):
            errors.append(
                {"row": row.row, "reason": _("层级「{l}」与导入层级不一致").format(l=row.level)}
            )
            continue
        if known is not None and row.entity_code not in known:
            errors.append(
                {
                    "row": row.row,
                    "reason": _("对象编码「{c}」不是已登记的{l}").format(
                        c=row.entity_code, l=LEVEL_LABELS[level]
                    ),
                }
            )
            continue
        name = (row.survey or survey).strip()
        record = existing.get((row.entity_code, row.indicator, name))
        if record is None:
            record = EvaluationInput(
                source=source,
                survey=name,
                level=level.value,
                entity_code=row.entity_code,
                indicator=row.indicator,
                value=row.value,
                sample_size=row.sample_size,
                period_start=period.start,
                period_end=period.end,
                batch_id=batch.id,
            )
            session.add(record)
            existing[(row.entity_code, row.indicator, name)] = record
            inserted += 1
        else:
            record.value = row.value
            record.sample_size = row.sample_size
            record.batch_id = batch.id
            updated += 1
    errors.sort(key=lambda e: int(e["row"]))
    batch.rows_inserted = inserted
    batch.rows_updated = updated
    batch.rows_rejected = len(errors)
    batch.rows_total = inserted + updated + len(errors)
    batch.report = errors
    session.flush()
    return ImportReport(
        batch_id=batch.id,
        rows_total=batch.rows_total,
        rows_inserted=inserted,
        rows_updated=updated,
        rows_rejected=len(errors),
        errors=errors,
    )
