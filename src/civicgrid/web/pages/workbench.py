"""工单工作台 — dispatchers' and department handlers' desktop pages over the work-order services.

Each handler resolves access through ``auth.policy``, calls ``workorders.service`` (the same
services as the JSON API) and renders. A refused action re-renders the order page with the
message in Chinese and the form input kept; nothing half-written survives (savepoint).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth import policy
from civicgrid.auth import roles as P
from civicgrid.auth.deps import CurrentSubject
from civicgrid.auth.subject import Subject
from civicgrid.errors import CivicgridError, Conflict, Invalid
from civicgrid.kit.i18n import _
from civicgrid.kit.timeutil import to_local
from civicgrid.kit.web import DB
from civicgrid.models.workorder import Attachment, WorkOrder
from civicgrid.web.templating import render
from civicgrid.workorders import merge, present, repository, service
from civicgrid.workorders import responsibility as rl
from civicgrid.workorders.access import actor_for
from civicgrid.workorders.schemas import SATISFACTION
from civicgrid.workorders.states import ACTION_LABELS, STATE_LABELS, Action, State

router = APIRouter(include_in_schema=False)

T = TypeVar("T")


def N_(message: str) -> str:
    """Mark a table entry for extraction; it is translated where it is shown."""
    return message


QUEUES: tuple[tuple[str, str], ...] = (
    ("mine", N_("我的待办")),
    ("overdue", N_("已超期")),
    ("awaiting_confirmation", N_("待确认")),
    ("to_triage", N_("待分流")),
    ("", N_("全部")),
)
SORTS: tuple[tuple[str, str], ...] = (
    ("-reported_at", N_("最新上报")),
    ("reported_at", N_("最早上报")),
    ("due_at", N_("办理时限最近")),
    ("-due_at", N_("办理时限最远")),
    ("status", N_("状态")),
)
PAGE_SIZE = 20
BULK_ACTIONS = (Action.DISPATCH, Action.CLOSE)
# Which inputs an action's form shows (the service checks them again).
NEEDS: dict[Action, tuple[str, ...]] = {
    Action.TRIAGE: ("triage", "category"),
    Action.DISPATCH: ("category", "department"),
    Action.REASSIGN: ("department", "reason"),
    Action.MERGE: ("merge_into", "reason"),
    Action.REPLY: ("reply",),
    Action.CONFIRM: ("satisfaction", "comment"),
    Action.REOPEN: ("reason",),
    Action.WHISTLE: ("departments", "reason"),
    Action.START_MEDIATION: ("mediator",),
}
FIELDS = (
    "reason",
    "department",
    "category",
    "triage",
    "reply",
    "satisfaction",
    "comment",
    "merge_into",
    "mediator",
    "departments",
)


def when(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A timestamp in local time (Asia/Shanghai) for display; "—" when absent."""
    return to_local(value).strftime(fmt) if value is not None else "—"


def show(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    """``render`` with the helpers every workbench and phone template uses."""
    helpers = {"when": when, "state_label": state_label, "action_label": action_label}
    return render(request, name, {**helpers, **context}, status_code=status_code)


def state_label(status: str) -> str:
    try:
        return _(STATE_LABELS[State(status)])
    except ValueError:
        return status


def action_label(action: str) -> str:
    if action == "open":
        return _("上报")
    try:
        return _(ACTION_LABELS[Action(action)])
    except ValueError:
        return action


@contextmanager
def savepoint(db: Session) -> Iterator[None]:
    """Undo this block's writes when it raises (the page then renders the error)."""
    nested = db.begin_nested()
    try:
        yield
    except BaseException:
        nested.rollback()
        raise
    nested.commit()


def attempt(db: Session, fn: Callable[[], T]) -> tuple[T | None, str | None, int]:
    """Run ``fn`` in a savepoint: (result, None, 200) or (None, Chinese message, status)."""
    try:
        with savepoint(db):
            return fn(), None, 200
    except Conflict as exc:
        if "version" in exc.details:
            message = (
                _("工单已被他人修改，请刷新后重试")
                + " "
                + _("（您提交时，其他人已处理了该工单；页面已显示最新状态，请确认后再操作）")
            )
            return None, message, 409
        return None, exc.message, 409
    except CivicgridError as exc:
        return None, exc.message, exc.status_code


def action_params(form: dict[str, str], action: Action) -> dict[str, Any]:
    """The ActionRequest-shaped parameters from a page form (empty inputs dropped)."""
    params: dict[str, Any] = {}
    for key in FIELDS:
        value = (form.get(key) or "").strip()
        if not value:
            continue
        if key == "merge_into":
            if not value.isdigit():
                raise Invalid(_("合并目标必须是工单编号（数字）"), field=key)
            params[key] = int(value)
        elif key == "departments":
            params[key] = [d.strip() for d in value.replace("，", ",").split(",") if d.strip()]
        elif key == "satisfaction" and value not in SATISFACTION:
            raise Invalid(_("请选择满意、基本满意或不满意"), field=key)
        elif len(value) > 5000:
            raise Invalid(_("输入内容过长"), field=key)
        else:
            params[key] = value
    if action == Action.REPLY and not params.get("reply"):
        raise Invalid(_("请填写答复内容"), field="reply")
    if action == Action.CONFIRM and not params.get("satisfaction"):
        raise Invalid(_("请选择满意、基本满意或不满意"), field="satisfaction")
    return params


def run_action(
    db: Session, subject: Subject, order: WorkOrder, action: Action, form: dict[str, str]
) -> WorkOrder:
    """Validate the form and call ``service.transition`` (the single way an order moves)."""
    params = action_params(form, action)
    version = form.get("version", "")
    return service.transition(
        db,
        order=order,
        action=action,
        actor=actor_for(db, subject, order),
        reason=params.get("reason"),
        params=params,
        expected_version=int(version) if version.isdigit() else None,
    )


def categories(db: Session) -> list[tuple[str, str, str]]:
    """(code, name, department) of the responsibility list in force, for the dispatch form."""
    version = rl.version_in_force(db)
    if version is None:
        return []
    return [(i.code, i.name, i.department) for i in rl.items_of(db, version)]


def _form(request_form: Any) -> dict[str, str]:
    return {k: v for k, v in request_form.items() if isinstance(v, str)}


def list_filters(params: Any) -> tuple[repository.Filters, dict[str, str]]:
    raw = {k: (params.get(k) or "").strip()[:100] for k in ("queue", "status", "category", "q")}
    if raw["queue"] not in {q for q, _label in QUEUES}:
        raw["queue"] = ""
    if raw["status"] and raw["status"] not in {s.value for s in State}:
        raw["status"] = ""
    filters = repository.Filters(
        queue=raw["queue"] or None,
        status=[raw["status"]] if raw["status"] else None,
        category=raw["category"] or None,
        q=raw["q"] or None,
    )
    return filters, raw


@router.get("/workbench", response_class=HTMLResponse)
def workbench(request: Request, db: DB, subject: CurrentSubject) -> Response:
    if subject.kind == "resident":  # residents follow their reports on the phone pages
        return RedirectResponse("/m/mine", status_code=303)
    return _list_page(request, db, subject)


def _list_page(
    request: Request,
    db: Session,
    subject: Subject,
    message: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    policy.require_permission(subject, P.WORKORDER_READ)
    params = request.query_params
    filters, raw = list_filters(params)
    sort = params.get("sort", "-reported_at")
    if sort not in {s for s, _label in SORTS}:
        sort = "-reported_at"
    page_arg = params.get("page", "1")
    page = min(int(page_arg), 100_000) if page_arg.isdigit() and int(page_arg) > 0 else 1
    rows, total = repository.page(db, subject, filters, sort=sort, page=page, page_size=PAGE_SIZE)
    actor = actor_for(db, subject)
    query = {k: v for k, v in {**raw, "sort": sort}.items() if v}
    export_query = urlencode({k: v for k, v in raw.items() if k in ("queue", "status") and v})
    return show(
        request,
        "workbench/list.html",
        {
            "subject": subject,
            "orders": [present.summary(o, actor) for o in rows],
            "total": total,
            "page": page,
            "pages": max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE),
            "raw": raw,
            "sort": sort,
            "queues": QUEUES,
            "sorts": SORTS,
            "states": [(s.value, STATE_LABELS[s]) for s in State],
            "query": query,
            "urlencode": urlencode,
            "export_url": "/api/workorders/export.xlsx"
            + (f"?{export_query}" if export_query else ""),
            "can_bulk": subject.has(P.WORKORDER_DISPATCH),
            "bulk_actions": [(a.value, ACTION_LABELS[a]) for a in BULK_ACTIONS],
            "categories": categories(db) if subject.has(P.WORKORDER_DISPATCH) else [],
            "state_label": state_label,
            "message": message,
            "error": error,
        },
        status_code=status_code,
    )


@router.post("/workbench/bulk", response_class=HTMLResponse)
async def bulk(request: Request, db: DB, subject: CurrentSubject) -> Response:
    """派单/办结 several orders at once; each is its own savepoint, failures are listed."""
    policy.require_permission(subject, P.WORKORDER_DISPATCH)
    form = await request.form()
    ids = [int(v) for v in form.getlist("ids") if isinstance(v, str) and v.isdigit()][:200]
    fields = _form(form)
    try:
        action = Action(fields.get("bulk_action", ""))
    except ValueError:
        action = None
    if action not in BULK_ACTIONS or not ids:
        error: str | None = _("请选择工单和批量操作")
        return _list_page(request, db, subject, error=error, status_code=422)
    done: list[str] = []
    failed: list[str] = []
    for order_id in ids:

        def one(order_id: int = order_id, action: Action = action) -> WorkOrder:
            order = policy.access_workorder(db, subject, order_id)
            return run_action(db, subject, order, action, {**fields, "version": ""})

        order, error, _status = attempt(db, one)
        if order is not None:
            done.append(order.code)
        else:
            failed.append(f"#{order_id}: {error}")
    message = _("已{action} {n} 件").format(action=action_label(action), n=len(done))
    return _list_page(request, db, subject, message=message, error="；".join(failed) or None)


def _order_page(
    request: Request,
    db: Session,
    subject: Subject,
    order: WorkOrder,
    *,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
    template: str = "workbench/order.html",
) -> HTMLResponse:
    actor = actor_for(db, subject, order)
    view = present.detail(db, order, actor)
    photos = list(
        db.scalars(
            select(Attachment).where(Attachment.work_order_id == order.id).order_by(Attachment.id)
        )
    )
    actions = [(a.value, ACTION_LABELS[a], NEEDS.get(a, ("reason",))) for a in view.allowed_actions]
    return show(
        request,
        template,
        {
            "subject": subject,
            "order": view,
            "photos": photos,
            "actions": actions,
            "needs_reason": {a.value for a in view.allowed_actions if _needs_reason(order, a)},
            "categories": categories(db)
            if Action.DISPATCH in view.allowed_actions or Action.TRIAGE in view.allowed_actions
            else [],
            "duplicates": merge.candidates(db, subject, order)
            if Action.MERGE in view.allowed_actions
            else [],
            "satisfaction": SATISFACTION,
            "state_label": state_label,
            "action_label": action_label,
            "error": error,
            "form": form or {},
        },
        status_code=status_code,
    )


def _needs_reason(order: WorkOrder, action: Action) -> bool:
    from civicgrid.workorders.states import find

    t = find(State(order.status), action)
    return bool(t and t.needs_reason)


@router.get("/workbench/orders/{work_order_id}", response_class=HTMLResponse)
def order_page(work_order_id: int, request: Request, db: DB, subject: CurrentSubject) -> Response:
    order = policy.access_workorder(db, subject, work_order_id)
    return _order_page(request, db, subject, order)


@router.post("/workbench/orders/{work_order_id}/act", response_class=HTMLResponse)
async def order_act(
    work_order_id: int, request: Request, db: DB, subject: CurrentSubject
) -> Response:
    order = policy.access_workorder(db, subject, work_order_id)
    form = _form(await request.form())
    try:
        action = Action(form.get("action", ""))
    except ValueError:
        return _order_page(
            request, db, subject, order, error=_("未知的操作"), form=form, status_code=422
        )
    _result, error, status = attempt(db, lambda: run_action(db, subject, order, action, form))
    if error is not None:
        db.refresh(order)
        return _order_page(request, db, subject, order, error=error, form=form, status_code=status)
    target = form.get("next", "")
    if not target.startswith("/m/"):
        target = f"/workbench/orders/{order.id}"
    return RedirectResponse(target, status_code=303)
