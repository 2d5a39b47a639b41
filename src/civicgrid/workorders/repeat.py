"""重复投诉 — a report repeats an earlier one when the same reporter, or the same place, raises the
same category again within the window (default 30 days; ``CIVICGRID_REPEAT_WINDOW_DAYS``)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import select
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
    window = timedelta(days=get_settings().repeat_window_days)
    conditions = [
        WorkOrder.category == category,
        WorkOrder.reported_at >= reported_at - window,
        WorkOrder.reported_at <= reported_at,
    ]
    if exclude_id is not None:
        conditions.append(WorkOrder.id != exclude_id)
    base = select(WorkOrder.id, WorkOrder.lon, WorkOrder.lat).where(*conditions)
    base = base.order_by(WorkOrder.reported_at.desc())
    # Two index range scans (reporter; grid + category + time) instead of one OR over the table.
    if reporter_user_id is not None:
        same_reporter = session.execute(
            base.where(WorkOrder.reporter_user_id == reporter_user_id).limit(1)
        ).first()
        if same_reporter is not None:
            return int(same_reporter.id)
    if lon is None or lat is None:
        return None
    for earlier in session.execute(base.where(WorkOrder.node_id == node_id).limit(50)):
        if (
            earlier.lon is not None
            and earlier.lat is not None
            and haversine_m(lon, lat, earlier.lon, earlier.lat) <= SAME_PLACE_METRES
        ):
            return int(earlier.id)
    return None
