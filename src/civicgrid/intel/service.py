"""智能分析服务 — the database side of routing, duplicates, reply quality and group quality.

Verbs over work orders (``WorkOrder`` in civicgrid.models.workorder). Services ``flush()`` at most,
never ``commit()``. The pure logic lives in classifier / duplicates / reply_quality / fairness.

Training signal from the dispatcher: intake stores the model's first suggestion in
``WorkOrder.category_suggested`` (and its confidence); the dispatcher's triage sets
``WorkOrder.category`` and ``extra["category_confirmed"] = True``. A category counts as confirmed
when that flag is set, or the order was dispatched or closed under it (a person acted on it), so
``training_rows_from_workorders`` returns both accepted suggestions and overrides; an override
(confirmed category != suggestion) is marked, because those are the rows the model got wrong.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

import numpy as np
from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from civicgrid.config import get_settings
from civicgrid.errors import Invalid
from civicgrid.intel import duplicates as dup
from civicgrid.intel import fairness
from civicgrid.intel import reply_quality as rq
from civicgrid.intel import text as tx
from civicgrid.intel.classifier import ClassifierParams, Suggestion, TextClassifier, suggest
from civicgrid.intel.modelstore import ModelMeta, ModelStore, new_meta
from civicgrid.kit.i18n import _
from civicgrid.kit.timeutil import ensure_utc, utcnow
from civicgrid.models.org import OrgNode
from civicgrid.models.workorder import WorkOrder

ROUTING_MODEL = "messages"
# Statuses of orders no longer open (kept here: intel sits below workorders in the layers).
CLOSED_STATUSES = ("closed", "assessed", "rejected", "merged", "self_help")
MAX_DUPLICATE_POOL = 2000
MAX_TRAINING_ROWS = 40_000


@dataclass(frozen=True)
class TrainingRow:
    order_id: int
    title: str
    description: str
    category: str
    suggested: str | None
    overridden: bool
    node_id: int | None
    reported_at: datetime


def _confirmed(order_extra: dict[str, object] | None, dispatched: bool, status: str) -> bool:
    return (
        bool((order_extra or {}).get("category_confirmed"))
        or dispatched
        or (status in CLOSED_STATUSES and status not in ("rejected", "merged"))
    )


def training_rows_from_workorders(
    session: Session, *, since: datetime | None = None, limit: int = MAX_TRAINING_ROWS
) -> list[TrainingRow]:
    """Confirmed (title, description, category) rows, newest first, for retraining."""
    stmt = (
        select(
            WorkOrder.id,
            WorkOrder.title,
            WorkOrder.description,
            WorkOrder.category,
            WorkOrder.category_suggested,
            WorkOrder.extra,
            WorkOrder.dispatched_at,
            WorkOrder.status,
            WorkOrder.node_id,
            WorkOrder.reported_at,
        )
        .where(WorkOrder.category.is_not(None))
        .order_by(WorkOrder.reported_at.desc(), WorkOrder.id.desc())
    )
    if since is not None:
        stmt = stmt.where(WorkOrder.reported_at >= since)
    out: list[TrainingRow] = []
    for row in session.execute(stmt).yield_per(5000):
        if not _confirmed(row.extra, row.dispatched_at is not None, row.status):
            continue
        out.append(
            TrainingRow(
                order_id=row.id,
                title=row.title or "",
                description=row.description or "",
                category=row.category,
                suggested=row.category_suggested,
                overridden=bool(row.category_suggested and row.category_suggested != row.category),
                node_id=row.node_id,
                reported_at=ensure_utc(row.reported_at),
            )
        )
        if len(out) >= limit:
            break
    return out


# -- routing model --------------------------------------------------------------------------
def model_store(root: Path | None = None) -> ModelStore:
    return ModelStore(root or get_settings().data_dir / "models")


@dataclass(frozen=True)
class RetrainResult:
    meta: ModelMeta
    path: Path
    seconds: float


def retrain_from_workorders(
    session: Session,
    *,
    name: str = ROUTING_MODEL,
    store: ModelStore | None = None,
    min_rows: int = 50,
    max_rows: int = MAX_TRAINING_ROWS,
    params: ClassifierParams | None = None,
) -> RetrainResult:
    """Train on confirmed work orders and store a new model version.

    The metrics in the metadata are honest: out-of-fold predictions of the calibration folds
    (every row predicted by a model that did not see its text), overall and per community.
    """
    started = time.perf_counter()
    rows = training_rows_from_workorders(session, limit=max_rows)
    if len(rows) < min_rows:
        raise Invalid(
            _("已确认分类的工单只有 {n} 条，至少需要 {m} 条").format(n=len(rows), m=min_rows)
        )
    docs = [tx.as_document(tx.tokenize(tx.compose(r.title, r.description))) for r in rows]
    labels = [r.category for r in rows]
    model = TextClassifier.fit(docs, labels, params, prepared=True)
    oof = model.oof_predictions or []
    summary = fairness.summarise(labels, oof) if oof else {}
    areas = area_names(session, [r.node_id for r in rows], level="community")
    groups = fairness.group_quality(labels, oof, areas) if oof else []
    metrics = {
        "oof_accuracy": summary.get("accuracy"),
        "oof_macro_f1": summary.get("macro_f1"),
        "per_class": summary.get("per_class"),
        "per_community": [g.to_dict() for g in groups],
        "overrides": sum(r.overridden for r in rows),
    }
    meta = new_meta(model, docs, labels, metrics=metrics, source={"workorders": len(rows)})
    store = store or model_store()
    path = store.save(name, model, meta)
    _cached_model.cache_clear()
    return RetrainResult(meta=meta, path=path, seconds=time.perf_counter() - started)


@lru_cache(maxsize=4)
def _cached_model(path: str, mtime: float) -> TextClassifier:
    from civicgrid.intel.modelstore import load_model

    return load_model(path)[0]


def current_model(
    name: str = ROUTING_MODEL, store: ModelStore | None = None
) -> TextClassifier | None:
    """The latest stored routing model (cached per file), or None when none was trained."""
    store = store or model_store()
    if store.latest_version(name) is None:
        return None
    path = store.path(name)
    if not path.is_file():
        return None
    return _cached_model(str(path), path.stat().st_mtime)


def suggest_categories(
    title: str | None,
    body: str | None,
    *,
    k: int = 3,
    departments: dict[str, str] | None = None,
    model: TextClassifier | None = None,
) -> list[Suggestion]:
    """Top-k categories for intake (empty when no model is trained yet)."""
    model = model or current_model()
    if model is None:
        return []
    return suggest(model, title, body, k, departments=departments)


# -- duplicates -----------------------------------------------------------------------------
@dataclass(frozen=True)
class DuplicateCandidate:
    order_id: int
    code: str
    title: str
    status: str
    score: float
    text: float
    distance_m: float | None
    hours: float | None
    reason: str


def duplicate_candidates(
    session: Session,
    *,
    title: str,
    description: str = "",
    lat: float | None = None,
    lon: float | None = None,
    reported_at: datetime | None = None,
    exclude_id: int | None = None,
    params: dup.DuplicateParams | None = None,
    model: TextClassifier | None = None,
    visible: ColumnElement[bool] | None = None,
) -> list[DuplicateCandidate]:
    """Open orders that look like the same issue at the same place: offered as "merge?".

    Text similarity is weighted by the routing model's character IDF (``model``, else the
    latest stored one; without any model every character n-gram weighs the same). ``visible``
    restricts the candidates to the orders a viewer may see (from ``auth.policy``).
    """
    params = params or dup.DuplicateParams()
    model = model or current_model()
    at = ensure_utc(reported_at) if reported_at else utcnow()
    window = timedelta(hours=params.window_hours)
    stmt = select(
        WorkOrder.id,
        WorkOrder.code,
        WorkOrder.title,
        WorkOrder.description,
        WorkOrder.status,
        WorkOrder.lat,
        WorkOrder.lon,
        WorkOrder.reported_at,
    ).where(
        WorkOrder.status.not_in(CLOSED_STATUSES),
        WorkOrder.reported_at >= at - window,
        WorkOrder.reported_at <= at + window,
    )
    if exclude_id is not None:
        stmt = stmt.where(WorkOrder.id != exclude_id)
    if visible is not None:
        stmt = stmt.where(visible)
    if lat is not None and lon is not None:
        # Beyond ~8 radii the place factor is < 1%: no need to score those.
        dlat = 8 * params.radius_m / 111_000
        dlon = dlat / max(0.2, float(np.cos(np.radians(lat))))
        stmt = stmt.where(
            or_(
                WorkOrder.lat.is_(None),
                and_(
                    WorkOrder.lat.between(lat - dlat, lat + dlat),
                    WorkOrder.lon.between(lon - dlon, lon + dlon),
                ),
            )
        )
    stmt = stmt.order_by(WorkOrder.reported_at.desc()).limit(MAX_DUPLICATE_POOL)
    pool = session.execute(stmt).all()
    matches = dup.find_duplicates(
        tx.compose(title, description),
        lat,
        lon,
        at,
        [tx.compose(r.title, r.description) for r in pool],
        [r.lat for r in pool],
        [r.lon for r in pool],
        [ensure_utc(r.reported_at) for r in pool],
        keys=[r.id for r in pool],
        params=params,
        reference=model.blocks["char"] if model is not None else None,
    )
    return [
        DuplicateCandidate(
            order_id=pool[m.index].id,
            code=pool[m.index].code,
            title=pool[m.index].title,
            status=pool[m.index].status,
            score=m.score,
            text=m.text,
            distance_m=m.distance_m,
            hours=m.hours,
            reason=m.reason,
        )
        for m in matches
    ]


# -- reply quality --------------------------------------------------------------------------
def reply_quality_of(
    order: WorkOrder, *, target_days: float = rq.TARGET_DAYS
) -> rq.ReplyScore | None:
    """Score the handler's reply of one order (None while it has no reply)."""
    if not order.reply:
        return None
    return rq.score_reply(
        order.description or "",
        order.reply,
        title=order.title,
        asked_at=ensure_utc(order.reported_at) if order.reported_at else None,
        replied_at=ensure_utc(order.replied_at) if order.replied_at else None,
        target_days=target_days,
    )


# -- quality per area -----------------------------------------------------------------------
def area_names(
    session: Session, node_ids: Sequence[int | None], *, level: str = "community"
) -> list[str]:
    """The name of each node's ancestor at ``level`` (a street, a community); '未知' if none."""
    nodes = {n.id: n for n in session.scalars(select(OrgNode))}
    cache: dict[int | None, str] = {}
    unknown = _("未知")
    out = []
    for node_id in node_ids:
        if node_id not in cache:
            name = unknown
            node = nodes.get(node_id) if node_id is not None else None
            if node is not None:
                for part in node.path.strip("/").split("/"):
                    anc = nodes.get(int(part)) if part.isdigit() else None
                    if anc is not None and anc.level == level:
                        name = anc.name
            cache[node_id] = name
        out.append(cache[node_id])
    return out


def routing_quality_by_area(
    session: Session,
    model: TextClassifier,
    *,
    level: str = "community",
    since: datetime | None = None,
    min_support: int = 20,
) -> list[fairness.GroupQuality]:
    """How well ``model`` routes confirmed orders of each area (worst first, gaps flagged).

    Pass orders the model did not train on (``since`` after its training date) for an honest
    figure; on its own training rows the gaps shrink.
    """
    rows = training_rows_from_workorders(session, since=since)
    if not rows:
        return []
    docs = [tx.as_document(tx.tokenize(tx.compose(r.title, r.description))) for r in rows]
    predicted = model.predict(docs, prepared=True)
    areas = area_names(session, [r.node_id for r in rows], level=level)
    return fairness.group_quality(
        [r.category for r in rows], predicted, areas, min_support=min_support
    )
