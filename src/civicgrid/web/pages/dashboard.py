"""一网统管大屏 — the command dashboard at "/" and its JSON summary (refreshed in place).

Residents are sent to their phone page; staff without the dashboard go to their own start page.
The summary is scoped by ``auth.policy``: the node must lie in the viewer's dashboard territory
(404 otherwise, as for an unknown node), and it opens at the viewer's own territory.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import false

from civicgrid.auth import policy
from civicgrid.auth import roles as P
from civicgrid.auth.deps import CurrentSubject
from civicgrid.auth.subject import Subject
from civicgrid.config import get_settings
from civicgrid.errors import NotFound, PermissionDenied
from civicgrid.kit.i18n import _
from civicgrid.kit.web import DB
from civicgrid.models.auth import UserKind
from civicgrid.models.org import OrgNode
from civicgrid.models.workorder import WorkOrder
from civicgrid.web import dashboard_service as svc
from civicgrid.web.labels import N_
from civicgrid.web.templating import render

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/dashboard", tags=["dashboard"])

MEASURE_LABELS = {"open": N_("未办结工单"), "overdue": N_("超期工单"), "risk": N_("五色风险")}


def start_page(subject: Subject) -> str | None:
    """Where someone without the dashboard starts; None when the dashboard is theirs."""
    if subject.kind == UserKind.RESIDENT:
        return "/m/report"
    if subject.has(P.DASHBOARD_READ):
        return None
    if subject.has(P.WORKORDER_READ):
        return "/workbench"
    if subject.has(P.EVALUATION_READ):
        return "/evaluation"
    if subject.has(P.USER_MANAGE):
        return "/admin"
    raise PermissionDenied(_("没有权限执行此操作"), permission=P.DASHBOARD_READ)


def dashboard_node(db: DB, subject: Subject, node_id: int | None) -> OrgNode:
    if node_id is not None:
        return policy.access(db, subject, OrgNode, node_id, permission=P.DASHBOARD_READ)
    node = svc.top_node(db, policy.scope_roots(db, subject, P.DASHBOARD_READ))
    if node is None:
        raise NotFound(_("节点不存在"))
    return node


@router.get("/", response_class=HTMLResponse)
def dashboard(
    request: Request,
    db: DB,
    subject: CurrentSubject,
    node_id: int | None = Query(None),
    measure: str = Query("open"),
) -> Response:
    target = start_page(subject)
    if target is not None:
        return RedirectResponse(target, status_code=303)
    node = dashboard_node(db, subject, node_id)
    context = {
        "subject": subject,
        "node": node,
        "measure": measure if measure in svc.MEASURES else "open",
        "measures": [(m, _(MEASURE_LABELS[m])) for m in svc.MEASURES],
    }
    return render(request, "dashboard.html", context)


@api.get("/summary")
def dashboard_summary(
    db: DB,
    subject: CurrentSubject,
    node_id: int | None = Query(None, description="Org node; default: the viewer's territory."),
    measure: str = Query("open", description="Map colour: open, overdue or risk."),
) -> dict[str, Any]:
    policy.require_permission(subject, P.DASHBOARD_READ)
    node = dashboard_node(db, subject, node_id)
    visible = policy.scope_filter(subject, WorkOrder) if subject.has(P.WORKORDER_READ) else false()
    data = svc.summary(db, node=node, measure=measure, visible=visible)
    for crumb in data["breadcrumb"]:  # ancestors above the viewer's territory are not links
        crumb["link"] = policy.can(db, subject, OrgNode, crumb["id"], permission=P.DASHBOARD_READ)
    return data


@api.get("/intel")
def dashboard_intel(
    db: DB,
    subject: CurrentSubject,
    node_id: int | None = Query(None, description="Org node; default: the viewer's territory."),
    days: int = Query(svc.HOT_DAYS, ge=7, le=90, description="Hot issues over this many days."),
) -> dict[str, Any]:
    """热点问题 (hot issues, ranked by heat) and 预警 (early warnings) for the node's subtree,
    over the work orders the viewer may read."""
    policy.require_permission(subject, P.DASHBOARD_READ)
    node = dashboard_node(db, subject, node_id)
    visible = policy.scope_filter(subject, WorkOrder) if subject.has(P.WORKORDER_READ) else false()
    wait = not get_settings().dashboard_intel_background
    return svc.intel_panel(db, node=node, visible=visible, days=days, wait=wait)
