"""居民随手拍 — phone pages: report a problem, my reports with progress, rate, reopen.

Also used by grid workers for 巡查上报 (the channel follows the role: ``api.open_for``).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from civicgrid.auth import policy
from civicgrid.auth import roles as P
from civicgrid.auth.deps import CurrentSubject
from civicgrid.auth.subject import Subject
from civicgrid.errors import Invalid, TooLarge
from civicgrid.kit.i18n import _
from civicgrid.kit.web import DB
from civicgrid.models.org import OrgLevel, OrgNode
from civicgrid.models.workorder import WorkOrder
from civicgrid.web.pages.workbench import (
    N_,
    _order_page,
    attempt,
    categories,
    run_action,
    show,
    state_label,
)
from civicgrid.workorders import attachments, present, repository, service
from civicgrid.workorders.access import actor_for
from civicgrid.workorders.api import open_for
from civicgrid.workorders.schemas import SATISFACTION, WorkOrderCreate
from civicgrid.workorders.states import Action

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

MAX_PHOTOS = 4
REPORT_FIELDS = ("title", "description", "category", "lat", "lon", "address", "reporter_phone")
# 上报 → 派单 → 处置 → 答复 → 办结: the steps a resident sees.
STEPS: tuple[tuple[str, frozenset[str]], ...] = (
    (N_("已上报"), frozenset({"reported", "triaged", "returned"})),
    (N_("已派单"), frozenset({"dispatched", "reopened"})),
    (N_("处置中"), frozenset({"accepted", "in_progress", "paused", "mediating"})),
    (N_("已答复"), frozenset({"replied"})),
    (N_("已办结"), frozenset({"closed", "assessed", "self_help", "rejected", "merged"})),
)
FIELD_LABELS = {
    "title": N_("标题"),
    "description": N_("问题描述"),
    "lat": N_("位置"),
    "lon": N_("位置"),
    "reporter_phone": N_("联系电话"),
    "address": N_("地址"),
    "category": N_("分类"),
}


def progress(status: str) -> int:
    """Index of the step ``status`` belongs to (0..4)."""
    return next((i for i, (_label, states) in enumerate(STEPS) if status in states), 0)


def _create_body(form: dict[str, str]) -> WorkOrderCreate:
    data: dict[str, Any] = {k: form[k].strip() for k in REPORT_FIELDS if form.get(k, "").strip()}
    try:
        for key in ("lat", "lon"):
            if key in data:
                data[key] = float(data[key])
        return WorkOrderCreate(**data)
    except ValueError as exc:
        if isinstance(exc, ValidationError) and exc.errors():
            field = str(exc.errors()[0]["loc"][0]) if exc.errors()[0]["loc"] else ""
            if field == "title":
                raise Invalid(_("请填写标题（2 到 200 个字）"), field=field) from None
            label = _(FIELD_LABELS.get(field, field))
            raise Invalid(_("“{field}”填写不正确").format(field=label), field=field) from None
        raise Invalid(_("位置坐标不正确，请重新在地图上标注"), field="lat") from None


async def _photos(request: Request, form: Any) -> list[bytes]:
    limit = request.app.state.settings.upload_max_mb * 1024 * 1024
    files = [f for f in form.getlist("photos") if isinstance(f, UploadFile) and f.filename]
    if len(files) > MAX_PHOTOS:
        raise Invalid(_("最多上传 {n} 张照片").format(n=MAX_PHOTOS), field="photos")
    blobs: list[bytes] = []
    for f in files:
        data = await f.read(limit + 1)
        if len(data) > limit:
            raise TooLarge(_("照片过大，上限为 {mb} MB").format(mb=limit // (1024 * 1024)))
        if data:
            blobs.append(data)
    return blobs


def _report_page(
    request: Request,
    db: Session,
    subject: Subject,
    *,
    patrol: bool,
    form: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return show(
        request,
        "mobile/report.html",
        {
            "subject": subject,
            "form": form or {},
            "error": error,
            "patrol": patrol,
            "categories": categories(db),
            "action": "/m/worker/patrol" if patrol else "/m/report",
            "max_photos": MAX_PHOTOS,
        },
        status_code=status_code,
    )


async def submit_report(
    request: Request, db: Session, subject: Subject, *, patrol: bool
) -> Response:
    """Create the order, store its photos (EXIF stripped), then show it; errors keep the input."""
    policy.require_permission(subject, P.WORKORDER_CREATE)
    raw = await request.form()
    form = {k: v for k, v in raw.items() if isinstance(v, str)}
    root = Path(request.app.state.settings.data_dir) / "uploads"

    def create() -> WorkOrder:
        body = _create_body(form)
        blobs_ready = request.state.cg_photos
        order = open_for(db, subject, body, form.get("idempotency_key") or None)
        actor = actor_for(db, subject, order)
        for i, data in enumerate(blobs_ready):
            stored = attachments.store(data, root, max_bytes=len(data) + 1)
            service.attach(db, order=order, stored=stored, filename=f"photo-{i + 1}", actor=actor)
        return order

    try:
        request.state.cg_photos = await _photos(request, raw)
    except (Invalid, TooLarge) as exc:
        return _report_page(
            request, db, subject, patrol=patrol, form=form, error=exc.message, status_code=422
        )
    order, error, status = attempt(db, create)
    if order is None:
        return _report_page(
            request, db, subject, patrol=patrol, form=form, error=error, status_code=status
        )
    target = "/m/worker" if patrol else f"/m/orders/{order.id}"
    return RedirectResponse(f"{target}?created={order.id}", status_code=303)


@router.get("/m/report", response_class=HTMLResponse)
def report_page(request: Request, db: DB, subject: CurrentSubject) -> Response:
    policy.require_permission(subject, P.WORKORDER_CREATE)
    return _report_page(request, db, subject, patrol=False)


@router.post("/m/report", response_class=HTMLResponse)
async def report_submit(request: Request, db: DB, subject: CurrentSubject) -> Response:
    return await submit_report(request, db, subject, patrol=False)


@router.get("/m/report/hints")
def report_hints(
    request: Request,
    db: DB,
    subject: CurrentSubject,
    title: str = "",
    description: str = "",
    lat: float | None = None,
    lon: float | None = None,
) -> JSONResponse:
    """Category suggestions (when a model is trained) and possible duplicates (when available)."""
    policy.require_permission(subject, P.WORKORDER_CREATE)
    title, description = title[:200], description[:2000]
    result: dict[str, Any] = {"categories": [], "duplicates": []}
    if len(title.strip()) < 2:
        return JSONResponse(result)
    try:
        from civicgrid.intel import service as intel

        departments = {code: dept for code, _name, dept in categories(db)}
        result["categories"] = [
            {"category": s.category, "confidence": round(float(s.confidence), 3)}
            for s in intel.suggest_categories(title, description, departments=departments)
        ]
        if lat is not None and lon is not None:
            result["duplicates"] = [
                {"id": d.order_id, "code": d.code, "title": d.title, "reason": d.reason}
                for d in intel.duplicate_candidates(
                    db, title=title, description=description, lat=lat, lon=lon
                )[:3]
            ]
    except Exception:  # intelligence is optional: the form works without it
        log.warning("report hints unavailable", exc_info=True)
    return JSONResponse(result)


@router.get("/m/report/area.geojson")
def report_area(db: DB, subject: CurrentSubject) -> JSONResponse:
    """Outlines of every grid (name only): where a report can be pinned, for any reporter."""
    policy.require_permission(subject, P.WORKORDER_CREATE)
    rows = db.execute(
        select(OrgNode.id, OrgNode.name, OrgNode.geometry).where(
            OrgNode.level == OrgLevel.GRID, OrgNode.geometry.is_not(None)
        )
    ).all()
    features = [
        {"type": "Feature", "properties": {"name": r.name}, "geometry": r.geometry}
        for r in rows
        if r.geometry
    ]
    return JSONResponse({"type": "FeatureCollection", "features": features})


@router.get("/m/mine", response_class=HTMLResponse)
def mine(request: Request, db: DB, subject: CurrentSubject) -> Response:
    policy.require_permission(subject, P.WORKORDER_READ)
    filters = repository.Filters(queue="reported_by_me")
    rows, total = repository.page(db, subject, filters, sort="-reported_at", page=1, page_size=50)
    actor = actor_for(db, subject)
    orders = [present.summary(o, actor) for o in rows]
    return show(
        request,
        "mobile/mine.html",
        {
            "subject": subject,
            "orders": orders,
            "total": total,
            "steps": [label for label, _states in STEPS],
            "progress": progress,
            "state_label": state_label,
        },
    )


@router.get("/m/orders/{work_order_id}", response_class=HTMLResponse)
def my_order(work_order_id: int, request: Request, db: DB, subject: CurrentSubject) -> Response:
    order = policy.access_workorder(db, subject, work_order_id)
    return _mobile_order(request, db, subject, order)


def _mobile_order(
    request: Request,
    db: Session,
    subject: Subject,
    order: WorkOrder,
    *,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return _order_page(
        request,
        db,
        subject,
        order,
        error=error,
        form=form,
        status_code=status_code,
        template="mobile/order.html",
    )


@router.post("/m/orders/{work_order_id}/rate", response_class=HTMLResponse)
async def rate(work_order_id: int, request: Request, db: DB, subject: CurrentSubject) -> Response:
    """满意/基本满意 → 确认办结; 不满意 → 重办 (the comment is the reason, required)."""
    order = policy.access_workorder(db, subject, work_order_id)
    raw = await request.form()
    form = {k: v for k, v in raw.items() if isinstance(v, str)}
    satisfaction = form.get("satisfaction", "")
    if satisfaction not in SATISFACTION:
        return _mobile_order(
            request,
            db,
            subject,
            order,
            error=_("请选择满意、基本满意或不满意"),
            form=form,
            status_code=422,
        )
    if satisfaction == "不满意":
        if not form.get("comment", "").strip():
            error: str | None = _("选择“不满意”时请说明原因，我们将重新办理")
            return _mobile_order(
                request, db, subject, order, error=error, form=form, status_code=422
            )
        action = Action.REOPEN
        fields = {"reason": form["comment"], "version": form.get("version", "")}
    else:
        action = Action.CONFIRM
        fields = {
            "satisfaction": satisfaction,
            "comment": form.get("comment", ""),
            "version": form.get("version", ""),
        }
    _done, error, status = attempt(db, lambda: run_action(db, subject, order, action, fields))
    if error is not None:
        db.refresh(order)
        return _mobile_order(
            request, db, subject, order, error=error, form=form, status_code=status
        )
    return RedirectResponse(f"/m/orders/{order.id}", status_code=303)
