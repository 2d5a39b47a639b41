"""重复投诉 — a report repeats an earlier one when the same reporter, or the same place, raises the
same category again within the window (default 30 days; ``CIVICGRID_REPEAT_WINDOW_DAYS``)."""

from __future__ import annotations

import math
from datetime import timedelta

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
    """The most recent earlier order this one repeats, or None."""
    category = order.category or order.category_suggested
    if not category:
        return None
    window = timedelta(days=get_settings().repeat_window_days)
    since = order.reported_at - window
    base = (
        select(WorkOrder.id, WorkOrder.lon, WorkOrder.lat)
        .where(
            WorkOrder.id != order.id,
            WorkOrder.category == category,
            WorkOrder.reported_at >= since,
            WorkOrder.reported_at <= order.reported_at,
        )
        .order_by(WorkOrder.reported_at.desc())
    )
    # Two index range scans (reporter; grid + category + time) instead of one OR over the table.
    if order.reporter_user_id is not None:
        same_reporter = session.execute(
            base.where(WorkOrder.reporter_user_id == order.reporter_user_id).limit(1)
        ).first()
        if same_reporter is not None:
            return session.get(WorkOrder, same_reporter.id)
    if order.lon is None or order.lat is None:
        return None
    for earlier in session.execute(base.where(WorkOrder.node_id == order.node_id).limit(50)):
        if (
            earlier.lon is not None
            and earlier.lat is not None
            and haversine_m(order.lon, order.lat, earlier.lon, earlier.lat) <= SAME_PLACE_METRES
        ):
            return session.get(WorkOrder, earlier.id)
    return None
