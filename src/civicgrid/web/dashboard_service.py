"""一网统管大屏 — the figures of the command dashboard for one node's subtree, from SQL aggregates.

``summary(session, node=…)`` answers everything the dashboard shows at once: key figures, a value
per grid for the map (open orders, overdue orders or five-colour risk), a 30-day trend, counts by
category and by child unit, and the latest orders. Work orders are counted by grouping on their
node in SQL; the few hundred resulting (node, count) rows are rolled up to grids and child units
through the materialised paths in Python. Read-only.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select, true
from sqlalchemy.orm import Session

from civicgrid.errors import Invalid
from civicgrid.kit.i18n import _, current_locale
from civicgrid.kit.timeutil import LOCAL_TZ, ensure_utc, utcnow
from civicgrid.models.org import OrgLevel, OrgNode, subtree_of
from civicgrid.models.workorder import WorkOrder
from civicgrid.workorders.states import STATE_LABELS, State

log = logging.getLogger(__name__)
MEASURES = ("open", "overdue", "risk")
TREND_DAYS = 30
LATEST = 12
# Orders that are finished (cannot be open or overdue) and orders that are not events at all.
FINISHED = ("closed", "assessed", "self_help", "rejected", "merged")
NOT_EVENTS = ("rejected", "merged")
OPEN_STATES = tuple(str(s) for s in State if s not in FINISHED)
SATISFIED = ("满意", "基本满意")
RATED = ("满意", "基本满意", "不满意")

LEVEL_LABELS = {
    OrgLevel.CITY: "市",
    OrgLevel.DISTRICT: "区县",
    OrgLevel.STREET: "街道",
    OrgLevel.COMMUNITY: "社区",
    OrgLevel.GRID: "网格",
    OrgLevel.MICRO_GRID: "微网格",
    OrgLevel.BUILDING: "楼栋",
}

LABELS_BY_VALUE: dict[str, str] = {str(k): v for k, v in LEVEL_LABELS.items()}


def level_label(level: str) -> str:
    label = LABELS_BY_VALUE.get(level)
    return _(label) if label else level


def _local_midnight(now: datetime) -> datetime:
    local = ensure_utc(now).astimezone(LOCAL_TZ)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _rate(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


class _Tree:
    """The subtree under a node: resolves any node id to its grid and to the child unit."""

    def __init__(self, session: Session, root: OrgNode) -> None:
        rows = session.execute(
            select(OrgNode.id, OrgNode.parent_id, OrgNode.level, OrgNode.name, OrgNode.path)
            .where(subtree_of(OrgNode.path, root.path))
            .order_by(OrgNode.path)
        ).all()
        self.root = root
        self.names = {r.id: r.name for r in rows}
        self.levels = {r.id: r.level for r in rows}
        self.children = [r for r in rows if r.parent_id == root.id]
        self.grids = [r.id for r in rows if r.level == OrgLevel.GRID]
        if root.level == OrgLevel.GRID:
            self.grids = [root.id]
        grid_paths = {r.path: r.id for r in rows if r.level == OrgLevel.GRID}
        child_paths = {r.path: r.id for r in self.children}
        self.grid_of: dict[int, int | None] = {}
        self.child_of: dict[int, int | None] = {}
        for r in rows:
            parts = r.path.strip("/").split("/")
            prefixes = ["/" + "/".join(parts[:i]) + "/" for i in range(len(parts), 0, -1)]
            self.grid_of[r.id] = next((grid_paths[p] for p in prefixes if p in grid_paths), None)
            self.child_of[r.id] = next((child_paths[p] for p in prefixes if p in child_paths), None)


def _in_subtree(root: OrgNode, *, via_node_index: bool = True) -> ColumnElement[bool]:
    """Orders hanging in the subtree. ``via_node_index=False`` writes the test as ``node_id + 0``
    so that the planner cannot drive the query from the node index: for the last-30-days and
    latest-orders queries the reported_at index is far more selective (SQLite would otherwise
    read every order of a whole district through the node index)."""
    column = WorkOrder.node_id if via_node_index else WorkOrder.node_id + 0
    return column.in_(select(OrgNode.id).where(subtree_of(OrgNode.path, root.path)))


def summary(
    session: Session,
    *,
    node: OrgNode,
    measure: str = "open",
    now: datetime | None = None,
    visible: ColumnElement[bool] | None = None,
) -> dict[str, Any]:
    """Everything the dashboard shows for ``node``'s subtree (JSON-ready).

    ``visible`` is the caller's scope filter on work orders (from ``auth.policy``): it limits the
    latest-orders list, which shows titles; the counts cover the whole subtree of ``node``, which
    the caller has already checked the viewer may see.
    """
    if measure not in MEASURES:
        raise Invalid(_("未知的地图指标"), field="measure")
    now = ensure_utc(now) if now is not None else utcnow()
    tree = _Tree(session, node)
    here = _in_subtree(node)
    recent_here = _in_subtree(node, via_node_index=False)
    midnight = _local_midnight(now)
    since = now - timedelta(days=TREND_DAYS)
    closed = WorkOrder.closed_at.is_not(None)
    on_time = and_(closed, or_(WorkOrder.due_at.is_(None), WorkOrder.closed_at <= WorkOrder.due_at))

    def count(cond: ColumnElement[bool]) -> Any:
        return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

    # Open orders are few: the status index finds them (NOT IN would scan the table).
    open_rows = session.execute(
        select(
            WorkOrder.node_id,
            func.count(),
            count(and_(WorkOrder.due_at.is_not(None), WorkOrder.due_at < now)),
        )
        .where(here, WorkOrder.status.in_(OPEN_STATES))
        .group_by(WorkOrder.node_id)
    ).all()
    # Everything else is about the orders reported in the last 30 days (the reported_at index);
    # rates are over those of them already closed / rated.
    node_key = (WorkOrder.node_id + 0).label("node")  # grouping by it keeps the date index
    recent_rows = session.execute(
        select(
            node_key,
            WorkOrder.category,
            func.count(),
            count(WorkOrder.reported_at >= midnight),
            count(closed),
            count(on_time),
            count(WorkOrder.satisfaction.in_(RATED)),
            count(WorkOrder.satisfaction.in_(SATISFIED)),
        )
        .where(recent_here, WorkOrder.reported_at >= since, WorkOrder.status.not_in(NOT_EVENTS))
        .group_by(node_key, WorkOrder.category)
    ).all()
    per_grid: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    open_n = overdue_n = 0
    for node_id, n_open, n_overdue in open_rows:
        open_n += int(n_open)
        overdue_n += int(n_overdue)
        grid = tree.grid_of.get(node_id)
        if grid is not None:
            per_grid[grid][0] += int(n_open)
            per_grid[grid][1] += int(n_overdue)
    totals = [0] * 6
    per_child: dict[int, int] = defaultdict(int)
    per_category: dict[str, int] = defaultdict(int)
    for node_id, category, *values in recent_rows:
        for i, v in enumerate(values):
            totals[i] += int(v)
        per_category[category or _("未分类")] += int(values[0])
        child = tree.child_of.get(node_id)
        if child is not None:
            per_child[child] += int(values[0])
    recent_n, today_n, closed_n, on_time_n, rated_n, satisfied_n = totals

    risk = _risk_by_grid(session, node, now) if measure == "risk" else {}
    grids = []
    for gid in tree.grids:
        item: dict[str, Any] = {
            "id": gid,
            "name": tree.names.get(gid, ""),
            "open": per_grid[gid][0],
            "overdue": per_grid[gid][1],
            "branch": tree.child_of.get(gid),
        }
        if measure == "risk":
            item["risk"] = risk.get(gid, {"colour": None, "score": None})
        grids.append(item)

    return {
        "node": {
            "id": node.id,
            "name": node.name,
            "level": node.level,
            "level_label": level_label(node.level),
        },
        "breadcrumb": _breadcrumb(session, node),
        "children": [
            {"id": c.id, "name": c.name, "level": c.level, "orders_30d": per_child.get(c.id, 0)}
            for c in tree.children
        ],
        "child_level_label": level_label(tree.children[0].level) if tree.children else "",
        "measure": measure,
        "figures": {
            "today": today_n,
            "open": open_n,
            "overdue": overdue_n,
            "on_time_rate": _rate(on_time_n, closed_n),
            "satisfaction_rate": _rate(satisfied_n, rated_n),
            "orders_30d": recent_n,
        },
        "grids": grids,
        "trend": _trend(session, recent_here, since),
        "categories": [
            {"category": c, "count": n}
            for c, n in sorted(per_category.items(), key=lambda kv: (-kv[1], kv[0]))[:12]
        ],
        "latest": _latest(session, recent_here, tree, visible),
        "updated_at": now.isoformat(),
    }


def _breadcrumb(session: Session, node: OrgNode) -> list[dict[str, Any]]:
    ids = [int(p) for p in node.path.strip("/").split("/") if p]
    rows = {n.id: n for n in session.scalars(select(OrgNode).where(OrgNode.id.in_(ids)))}
    return [{"id": i, "name": rows[i].name, "level": rows[i].level} for i in ids if i in rows]


def _trend(session: Session, here: ColumnElement[bool], since: datetime) -> list[dict[str, Any]]:
    """Orders reported per local day over the last 30 days (grouped by hour in SQL)."""
    hour = func.strftime("%Y-%m-%d %H", WorkOrder.reported_at)
    if session.get_bind().dialect.name == "postgresql":
        hour = func.to_char(func.timezone("UTC", WorkOrder.reported_at), "YYYY-MM-DD HH24")
    rows = session.execute(
        select(hour, func.count())
        .where(here, WorkOrder.reported_at >= since, WorkOrder.status.not_in(NOT_EVENTS))
        .group_by(hour)
    ).all()
    days: dict[str, int] = {}
    first = _local_midnight(since)
    for i in range(TREND_DAYS + 1):
        days[(first + timedelta(days=i)).date().isoformat()] = 0
    for stamp, n in rows:
        utc = datetime.strptime(stamp, "%Y-%m-%d %H").replace(tzinfo=UTC)
        local = utc.astimezone(LOCAL_TZ).date().isoformat()
        if local in days:
            days[local] += int(n)
    return [{"day": d, "count": n} for d, n in days.items()]


def _latest(
    session: Session, here: ColumnElement[bool], tree: _Tree, visible: ColumnElement[bool] | None
) -> list[dict[str, Any]]:
    stmt = (
        select(
            WorkOrder.id,
            WorkOrder.code,
            WorkOrder.title,
            WorkOrder.status,
            WorkOrder.node_id,
            WorkOrder.reported_at,
            WorkOrder.sla_light,
        )
        .where(here, visible if visible is not None else true())
        .order_by(WorkOrder.reported_at.desc(), WorkOrder.id.desc())
        .limit(LATEST)
    )
    out = []
    for r in session.execute(stmt):
        label = STATE_LABELS.get(r.status)
        out.append(
            {
                "id": r.id,
                "code": r.code,
                "title": r.title,
                "status": r.status,
                "status_label": _(label) if label else r.status,
                "place": tree.names.get(r.node_id, "") if r.node_id else "",
                "reported_at": ensure_utc(r.reported_at)
                .astimezone(LOCAL_TZ)
                .strftime("%m-%d %H:%M"),
                "light": r.sla_light,
            }
        )
    return out


RISK_TTL = timedelta(minutes=10)
_risk_cache: dict[tuple[Any, ...], tuple[datetime, dict[int, dict[str, Any]]]] = {}


def _risk_by_grid(session: Session, node: OrgNode, now: datetime) -> dict[int, dict[str, Any]]:
    """Five-colour risk per grid from ``intel.analytics`` (seconds on a whole city: kept for
    10 minutes per node and data fingerprint — the newest order, person and place ids)."""
    from civicgrid.intel.analytics import grade_grid_risk  # heavier import, only when asked
    from civicgrid.models.registry import Person, Place

    fingerprint = tuple(
        session.scalar(select(func.max(model.id))) for model in (WorkOrder, Person, Place)
    )
    key = (str(session.get_bind().engine.url), node.id, *fingerprint)
    cached = _risk_cache.get(key)
    if cached is not None and cached[0] > now:
        return cached[1]
    grades = {
        r.grid_id: {"colour": str(r.colour), "score": round(r.score, 1)}
        for r in grade_grid_risk(session, as_of=now, root_id=node.id)
        if r.grid_id is not None
    }
    if len(_risk_cache) > 256:
        _risk_cache.clear()
    _risk_cache[key] = (now + RISK_TTL, grades)
    return grades


def top_node(session: Session, roots: Iterable[OrgNode | None]) -> OrgNode | None:
    """The node a dashboard opens at: the viewer's own territory, or the tree's top."""
    for root in roots:
        if root is not None:
            return root
    return session.scalars(
        select(OrgNode).where(OrgNode.parent_id.is_(None)).order_by(OrgNode.id)
    ).first()


# --- hot issues and early warnings -----------------------------------------------------------

HOT_DAYS = 30
HOT_TOP = 10
WARNINGS_SHOWN = 10
INTEL_TTL = timedelta(minutes=10)
_intel_cache: dict[tuple[Any, ...], tuple[datetime, dict[str, Any]]] = {}
_intel_running: set[tuple[Any, ...]] = set()
_intel_lock = threading.Lock()


def intel_panel(
    session: Session,
    *,
    node: OrgNode,
    visible: ColumnElement[bool],
    days: int = HOT_DAYS,
    now: datetime | None = None,
    wait: bool = False,
) -> dict[str, Any]:
    """热点问题 and 预警 for ``node``'s subtree, counting only the orders in ``visible``.

    Hot issues: clusters of orders about the same thing at the same place over the last ``days``
    days, ranked by heat (``intel.hotspots``). Warnings: grids and categories whose last week
    departs from their forecast (``intel.warnings``). On a whole district both take tens of
    seconds, far too long for a request: the answer is computed in a background thread (one per
    node, scope and language at a time) and kept for ``INTEL_TTL``; until the first one is ready
    the caller gets ``{"pending": true}`` (the dashboard asks again), after that the last answer
    while a newer one is computed. ``wait=True`` computes in the caller's thread instead.
    """
    now = ensure_utc(now) if now is not None else utcnow()
    compiled = visible.compile()
    scope = f"{compiled}|{sorted(compiled.params.items(), key=repr)!r}"
    engine = session.get_bind().engine
    key = (str(engine.url), node.id, scope, days, current_locale.get())
    with _intel_lock:
        cached = _intel_cache.get(key)
        fresh = cached is not None and cached[0] > now
        start = not fresh and key not in _intel_running and not wait
        if start:
            _intel_running.add(key)
    if fresh and cached is not None:
        return cached[1]
    if wait:
        data = _compute_intel(session, node.id, visible, days, now)
        _remember(key, now, data)
        return data
    if start:
        locale = current_locale.get()

        def work() -> None:
            current_locale.set(locale)
            try:
                with Session(engine) as own:
                    _remember(key, now, _compute_intel(own, node.id, visible, days, now))
            except Exception:
                log.exception("dashboard hot issues / warnings failed for node %s", node.id)
                # Say so for a minute rather than start the failing job on every poll.
                failed = {**_empty(days), "note": _("热点与预警暂不可用，请稍后再试")}
                _remember(key, now, failed, ttl=timedelta(minutes=1))
            finally:
                with _intel_lock:
                    _intel_running.discard(key)

        threading.Thread(target=work, name=f"intel-{node.id}", daemon=True).start()
    if cached is not None:
        return {**cached[1], "stale": True}
    return {**_empty(days), "pending": True}


def _empty(days: int) -> dict[str, Any]:
    return {"pending": False, "days": days, "note": None, "hot_issues": [], "warnings": []}


def _remember(
    key: tuple[Any, ...], now: datetime, data: dict[str, Any], ttl: timedelta = INTEL_TTL
) -> None:
    with _intel_lock:
        if len(_intel_cache) > 256:
            _intel_cache.clear()
        _intel_cache[key] = (now + ttl, data)


def _compute_intel(
    session: Session, node_id: int, visible: ColumnElement[bool], days: int, now: datetime
) -> dict[str, Any]:
    from civicgrid.intel.analytics import early_warnings, hot_issues  # heavier import

    note = None
    try:
        issues = hot_issues(
            session,
            since=now - timedelta(days=days),
            until=now,
            root_id=node_id,
            visible=visible,
            top=HOT_TOP,
        )
    except (Invalid, ValueError):  # too many orders for one pass: say so, keep the warnings
        issues, note = [], _("时间段内工单过多，请进入下级单位查看热点问题")
    departures = [
        d
        for by in ("grid", "category")
        for d in early_warnings(session, as_of=now, by=by, root_id=node_id, visible=visible)
    ]
    departures.sort(key=lambda d: (d.severity != "high", -abs(d.z)))
    return {
        "pending": False,
        "days": days,
        "note": note,
        "hot_issues": [
            {
                "rank": i.rank,
                "title": i.title,
                "place": i.place,
                "keywords": i.keywords,
                "heat": round(i.heat, 2),
                "reports": i.reports,
                "reporters": i.reporters,
                "likes": i.likes,
                "start": _local_date(i.start),
                "end": _local_date(i.end),
                "lat": i.lat,
                "lon": i.lon,
                "members": i.members[:20],
            }
            for i in issues
        ],
        "warnings": [
            {
                "group": d.group,
                "direction": d.direction,
                "severity": d.severity,
                "observed": d.observed,
                "expected": round(d.expected, 1),
                "lower": d.lower,
                "upper": d.upper,
                "z": round(d.z, 1),
                "start": d.start.isoformat(),
                "end": d.end.isoformat(),
                "message": d.message(),
            }
            for d in departures[:WARNINGS_SHOWN]
        ],
    }


def _local_date(value: datetime | None) -> str | None:
    return ensure_utc(value).astimezone(LOCAL_TZ).strftime("%Y-%m-%d") if value else None
