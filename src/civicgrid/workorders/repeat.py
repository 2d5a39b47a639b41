"""重复投诉 — a report repeats an earlier one when the same reporter, or the same place, raises the
same category again within the window (default 30 days; ``CIVICGRID_REPEAT_WINDOW_DAYS``)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from civicgrid.config import get_settings
from civicgrid.models.workorder import WorkOrder

SAME_PLACE_METRES = 150.0


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    r = 6_371_000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def find_repeat(session: Session, *, order: WorkOrder) -> WorkOrder | None:
    """The most recent earlier order ``order`` repeats, or None."""
    found = find_repeat_id(
        session,
        category=order.category or order.category_suggested,
        reported_at=order.reported_at,
        node_id=order.node_id,
        lon=order.lon,
        lat=order.lat,
        reporter_user_id=order.reporter_user_id,
        exclude_id=order.id,
    )
    return session.get(WorkOrder, found) if found is not None else None


def find_repeat_id(
    session: Session,
    *,
    category: str | None,
    reported_at: datetime,
    node_id: int | None,
    lon: float | None,
    lat: float | None,
    reporter_user_id: int | None,
    exclude_id: int | None = None,
) -> int | None:
    """The id of the most recent earlier order a report with these fields repeats, or None.

    Works before the new order is inserted (``exclude_id`` leaves out one that already is)."""
    if not category:
        return None
    since = reported_at - timedelta(days=get_settings().repeat_window_days)
    params = {
        "category": category,
        "since": since,
        "until": reported_at,
        "exclude": -1 if exclude_id is None else exclude_id,
    }
    # Two index range scans (reporter; grid + category + time) instead of one OR over the table.
    if reporter_user_id is not None:
        same_reporter = session.execute(
            _SAME_REPORTER, {**params, "reporter": reporter_user_id}
        ).first()
        if same_reporter is not None:
            return int(same_reporter.id)
    if lon is None or lat is None:
        return None
    for earlier in session.execute(_SAME_GRID, {**params, "node": node_id}):
        if (
            earlier.lon is not None
            and earlier.lat is not None
            and haversine_m(lon, lat, earlier.lon, earlier.lat) <= SAME_PLACE_METRES
        ):
            return int(earlier.id)
    return None


# Prepared once (built and cache-keyed once, not per report).
_EARLIER = (
    select(WorkOrder.id, WorkOrder.lon, WorkOrder.lat)
    .where(
        WorkOrder.id != bindparam("exclude"),
        WorkOrder.category == bindparam("category"),
        WorkOrder.reported_at >= bindparam("since"),
        WorkOrder.reported_at <= bindparam("until"),
    )
    .order_by(WorkOrder.reported_at.desc())
)
_SAME_REPORTER = _EARLIER.where(WorkOrder.reporter_user_id == bindparam("reporter")).limit(1)
_SAME_GRID = _EARLIER.where(WorkOrder.node_id == bindparam("node")).limit(50)
