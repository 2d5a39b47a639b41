"""智能分析服务 — services over the database: early warnings, hot issues, five-colour risk.

Read-only: these services query work orders, places and people and return results; they write
nothing. A record hangs at a node; records at a grid or below it (micro-grid, building) are
attributed to that grid through the materialised path.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from civicgrid.errors import Invalid, NotFound
from civicgrid.intel.hotspots import HotIssue, HotReport, HotspotParams, find_hot_issues
from civicgrid.intel.risk import (
    FACTORS,
    GridFactors,
    GridRisk,
    event_weight,
    grade,
    population_weight,
)
from civicgrid.intel.warnings import Departure, WarningParams, check_all
from civicgrid.kit.i18n import _
from civicgrid.kit.timeutil import LOCAL_TZ, ensure_utc, utcnow
from civicgrid.models.org import OrgLevel, OrgNode, subtree_of
from civicgrid.models.registry import Person, Place, PlaceKind
from civicgrid.models.workorder import Channel, WorkOrder

# Work orders in these states are not events (invalid or merged into another order).
NOT_EVENTS = ("rejected", "merged")
# States in which an order is finished: it cannot be overdue.
FINISHED = ("closed", "assessed", "self_help", "rejected", "merged")


@dataclass(frozen=True)
class GridIndex:
    """Grids under a root and a resolver from any node id to its grid."""

    grids: dict[int, OrgNode]
    _by_path: dict[str, int]
    _node_path: dict[int, str]

    def grid_of(self, node_id: int | None) -> int | None:
        if node_id is None:
            return None
        path = self._node_path.get(node_id)
        if path is None:
            return None
        # the grid is the longest prefix of the node's path that is a grid path
        parts = path.strip("/").split("/")
        for i in range(len(parts), 0, -1):
            grid = self._by_path.get("/" + "/".join(parts[:i]) + "/")
            if grid is not None:
                return grid
        return None


def grid_index(session: Session, *, root_id: int | None = None) -> GridIndex:
    query = select(OrgNode.id, OrgNode.path, OrgNode.level)
    if root_id is not None:
        root = session.get(OrgNode, root_id)
        if root is None:
            raise NotFound(_("节点不存在"))
        query = query.where(subtree_of(OrgNode.path, root.path))
    rows = session.execute(query).all()
    grid_ids = [r.id for r in rows if r.level == OrgLevel.GRID]
    grids = (
        {n.id: n for n in session.scalars(select(OrgNode).where(OrgNode.id.in_(grid_ids)))}
        if grid_ids
        else {}
    )
    return GridIndex(
        grids=grids,
        _by_path={r.path: r.id for r in rows if r.level == OrgLevel.GRID},
        _node_path={r.id: r.path for r in rows},
    )


def _period(as_of: datetime | None, days: int) -> tuple[datetime, datetime]:
    if days < 1:
        raise Invalid(_("统计天数必须为正数"))
    end = ensure_utc(as_of) if as_of is not None else utcnow()
    return end - timedelta(days=days), end


# --- five-colour risk --------------------------------------------------------------------


def grade_grid_risk(
    session: Session,
    *,
    as_of: datetime | None = None,
    days: int = 30,
    root_id: int | None = None,
    mode: str = "fixed",
) -> list[GridRisk]:
    """Five-colour risk of every grid (under ``root_id``) from the ``days`` before ``as_of``.

    Factors: severity-weighted work orders reported in the period (not rejected or merged,
    not sensor alerts) per 30 days, hazards (Place kind=hazard), special populations (Person
    tags), sensor alerts (work orders from channel=sensor in the period, per 30 days) and
    orders overdue at ``as_of`` (due_at passed and not finished by then).
    """
    if mode not in {"fixed", "quantile"}:
        raise Invalid(_("分级方式只能是 fixed 或 quantile"))
    start, end = _period(as_of, days)
    index = grid_index(session, root_id=root_id)
    values: dict[int, dict[str, float]] = {g: defaultdict(float) for g in index.grids}

    def add(node_id: int | None, factor: str, amount: float) -> None:
        grid = index.grid_of(node_id)
        if grid is not None:
            values[grid][factor] += amount

    orders = session.execute(
        select(WorkOrder.node_id, WorkOrder.priority, WorkOrder.channel).where(
            WorkOrder.reported_at >= start,
            WorkOrder.reported_at < end,
            WorkOrder.status.not_in(NOT_EVENTS),
        )
    )
    per_30_days = 30.0 / days  # events and sensor alerts are rates per 30 days
    for node_id, priority, channel in orders:
        if channel == Channel.SENSOR:
            add(node_id, "sensor_alerts", per_30_days)
        else:
            add(node_id, "events", event_weight(priority) * per_30_days)
    overdue = session.execute(
        select(WorkOrder.node_id, WorkOrder.closed_at, WorkOrder.status).where(
            WorkOrder.due_at.is_not(None),
            WorkOrder.due_at < end,
            WorkOrder.reported_at < end,
            WorkOrder.status.not_in(NOT_EVENTS),
        )
    )
    for node_id, closed_at, status in overdue:
        if closed_at is not None:
            still_open = ensure_utc(closed_at) > end  # closed, but only after as_of
        else:
            still_open = status not in FINISHED  # finished without a closing time: not overdue
        if still_open:
            add(node_id, "overdue", 1.0)
    hazards = session.execute(select(Place.node_id).where(Place.kind == PlaceKind.HAZARD))
    for (node_id,) in hazards:
        add(node_id, "hazards", 1.0)
    people = session.execute(select(Person.node_id, Person.tags).where(Person.node_id.is_not(None)))
    for node_id, tags in people:
        weight = population_weight(tags)
        if weight:
            add(node_id, "special_population", weight)
    factors = [GridFactors(gid, index.grids[gid].name, dict(values[gid])) for gid in index.grids]
    return grade(factors, mode=mode, factors=FACTORS)


# --- early warning -------------------------------------------------------------------------


def _local_day(value: datetime) -> pd.Timestamp:
    return pd.Timestamp(ensure_utc(value).astimezone(LOCAL_TZ).date())


def early_warnings(
    session: Session,
    *,
    as_of: datetime | None = None,
    by: str = "grid",
    history_days: int = 365,
    root_id: int | None = None,
    params: WarningParams | None = None,
    visible: ColumnElement[bool] | None = None,
) -> list[Departure]:
    """Grids (``by="grid"``) or categories (``by="category"``) whose volume over the last
    ``params.window`` days (local dates, up to the day before ``as_of``) departs from forecast.

    ``visible`` restricts the orders counted (a viewer's scope, from ``auth.policy``).
    """
    if by not in {"grid", "category"}:
        raise Invalid(_("预警维度只能是 grid 或 category"))
    params = params or WarningParams()
    end = ensure_utc(as_of) if as_of is not None else utcnow()
    last_day = _local_day(end) - pd.Timedelta(days=1)
    first_day = last_day - pd.Timedelta(days=history_days + params.window - 1)
    start = end - timedelta(days=history_days + params.window + 2)
    index = grid_index(session, root_id=root_id)
    rows = session.execute(
        select(WorkOrder.reported_at, WorkOrder.node_id, WorkOrder.category).where(
            WorkOrder.reported_at >= start,
            WorkOrder.reported_at < end,
            WorkOrder.status.not_in(NOT_EVENTS),
            *([visible] if visible is not None else []),
        )
    )
    counts: dict[str, dict[pd.Timestamp, float]] = defaultdict(lambda: defaultdict(float))
    for reported_at, node_id, category in rows:
        day = _local_day(reported_at)
        if not first_day <= day <= last_day:
            continue
        if by == "grid":
            grid = index.grid_of(node_id)
            if grid is None:
                continue
            key = index.grids[grid].name
        else:
            if root_id is not None and index.grid_of(node_id) is None:
                continue
            key = category or _("未分类")
        counts[key][day] += 1.0
    days = pd.date_range(first_day, last_day, freq="D")
    series = {
        key: pd.Series(per_day, dtype=float).reindex(days, fill_value=0.0)
        for key, per_day in counts.items()
    }
    return check_all(series, params)


# --- hot issues ---------------------------------------------------------------------------


def hot_issues(
    session: Session,
    *,
    since: datetime,
    until: datetime | None = None,
    root_id: int | None = None,
    params: HotspotParams | None = None,
    top: int | None = 20,
    visible: ColumnElement[bool] | None = None,
) -> list[HotIssue]:
    """Hot issues among the work orders reported in [since, until), within ``root_id``
    (and ``visible``: a viewer's scope, from ``auth.policy``).

    Orders with coordinates are linked only within ``params.max_distance_m``; the grid's name
    stands in for the place when the text names none.
    """
    end = ensure_utc(until) if until is not None else utcnow()
    start = ensure_utc(since)
    if start >= end:
        raise Invalid(_("开始时间必须早于结束时间"))
    index = grid_index(session, root_id=root_id)
    orders = session.scalars(
        select(WorkOrder).where(
            WorkOrder.reported_at >= start,
            WorkOrder.reported_at < end,
            WorkOrder.status.not_in(NOT_EVENTS),
            *([visible] if visible is not None else []),
        )
    )
    reports = []
    grid_of: dict[str, int | None] = {}
    for o in orders:
        grid = index.grid_of(o.node_id)
        if root_id is not None and grid is None:
            continue
        grid_of[o.code] = grid
        reports.append(
            HotReport(
                key=o.code,
                title=o.title,
                body=o.description or "",
                when=ensure_utc(o.reported_at),
                likes=o.likes,
                reporter=str(o.reporter_person_id) if o.reporter_person_id else None,
                lat=o.lat,
                lon=o.lon,
            )
        )
    params = params or HotspotParams()
    if len(reports) > params.max_reports:
        raise Invalid(
            _("时间段内工单过多（{n} 件），请缩短时间段或限定区域").format(n=len(reports))
        )
    issues = find_hot_issues(reports, params, top=top)
    for issue in issues:
        if not issue.place:
            grids = Counter(g for m in issue.members if (g := grid_of.get(m)) is not None)
            if grids:
                issue.place = index.grids[grids.most_common(1)[0][0]].name
    return issues
