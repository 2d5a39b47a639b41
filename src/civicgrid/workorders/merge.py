"""合并？ — duplicates of an open order, offered to the dispatcher who may merge it.

The candidates come from ``intel.service.duplicate_candidates`` (text similarity weighted by the
routing model, distance and time) and are limited to the orders the viewer may read; the merge
itself is the ordinary ``merge`` action of the transition table (``service.transition``), so it
is checked, versioned and written to the ledger like every other step.
"""

from __future__ import annotations

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy.orm import Session

from civicgrid.auth import policy
from civicgrid.auth.deps import CurrentSubject
from civicgrid.auth.subject import Subject
from civicgrid.intel import service as intel
from civicgrid.kit.web import DB
from civicgrid.models.workorder import WorkOrder
from civicgrid.workorders.states import CLOSED_STATES, TERMINAL, State

router = APIRouter(prefix="/api/workorders", tags=["work orders"])


class MergeCandidate(BaseModel):
    id: int
    code: str
    title: str
    status: str
    score: float  # 0–1, text × place × time
    text_similarity: float
    distance_m: float | None
    hours_apart: float | None
    reason: str


def candidates(
    session: Session, subject: Subject, order: WorkOrder, *, limit: int = 5
) -> list[MergeCandidate]:
    """Open orders the viewer may see that look like the same issue at the same place."""
    if State(order.status) in CLOSED_STATES | TERMINAL:
        return []
    found = intel.duplicate_candidates(
        session,
        title=order.title,
        description=order.description or "",
        lat=order.lat,
        lon=order.lon,
        reported_at=order.reported_at,
        exclude_id=order.id,
        visible=policy.scope_filter(subject, WorkOrder),
    )
    return [
        MergeCandidate(
            id=c.order_id,
            code=c.code,
            title=c.title,
            status=c.status,
            score=round(c.score, 3),
            text_similarity=round(c.text, 3),
            distance_m=None if c.distance_m is None else round(c.distance_m, 1),
            hours_apart=None if c.hours is None else round(c.hours, 1),
            reason=c.reason,
        )
        for c in found[:limit]
    ]


@router.get("/{work_order_id}/duplicates", response_model=list[MergeCandidate])
def duplicates(
    work_order_id: int,
    db: DB,
    subject: CurrentSubject,
    limit: int = Query(5, ge=1, le=20, description="At most this many candidates."),
) -> list[MergeCandidate]:
    """Possible duplicates of an open order ("merge?"), best first; empty once it is closed."""
    order = policy.access_workorder(db, subject, work_order_id)
    return candidates(db, subject, order, limit=limit)
