"""网格员 — phone pages: my tasks, patrol report, quick correction of registry records."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth import fields, policy
from civicgrid.auth import roles as P
from civicgrid.auth.deps import CurrentSubject
from civicgrid.auth.masking import person_view
from civicgrid.auth.subject import Subject
from civicgrid.kit.i18n import _
from civicgrid.kit.web import DB
from civicgrid.models.org import OrgNode
from civicgrid.models.registry import Person, PersonTag
from civicgrid.registry import service as registry
from civicgrid.web.pages.resident import _report_page, submit_report
from civicgrid.web.pages.workbench import N_, attempt, show, state_label
from civicgrid.workorders import present, repository
from civicgrid.workorders.access import actor_for

router = APIRouter(include_in_schema=False)

EDITABLE = ("phone", "address", "tags")
TAG_NAMES: dict[str, str] = {
    PersonTag.ELDERLY_ALONE: N_("独居老人"),
    PersonTag.DISABLED: N_("残疾人"),
    PersonTag.LOW_INCOME: N_("低保"),
    PersonTag.LEFT_BEHIND_CHILD: N_("留守儿童"),
    PersonTag.PARTY_MEMBER: N_("党员"),
    PersonTag.VETERAN: N_("退役军人"),
}


def tag_label(tag: str) -> str:
    return _(TAG_NAMES[tag]) if tag in TAG_NAMES else tag


PEOPLE_PAGE = 30


@router.get("/m/worker", response_class=HTMLResponse)
def tasks(request: Request, db: DB, subject: CurrentSubject) -> Response:
    """我的任务: orders in my grid waiting for me to handle (sign, handle, reply)."""
    policy.require_permission(subject, P.WORKORDER_HANDLE)
    rows, total = repository.page(
        db, subject, repository.Filters(queue="mine"), sort="due_at", page=1, page_size=50
    )
    actor = actor_for(db, subject)
    created = request.query_params.get("created", "")
    return show(
        request,
        "mobile/worker_tasks.html",
        {
            "subject": subject,
            "orders": [present.summary(o, actor) for o in rows],
            "total": total,
            "state_label": state_label,
            "created": created if created.isdigit() else None,
        },
    )


@router.get("/m/tasks")
def tasks_alias() -> Response:
    return RedirectResponse("/m/worker", status_code=307)


@router.get("/m/worker/patrol", response_class=HTMLResponse)
def patrol_page(request: Request, db: DB, subject: CurrentSubject) -> Response:
    policy.require_permission(subject, P.WORKORDER_HANDLE)
    policy.require_permission(subject, P.WORKORDER_CREATE)
    return _report_page(request, db, subject, patrol=True)


@router.post("/m/worker/patrol", response_class=HTMLResponse)
async def patrol_submit(request: Request, db: DB, subject: CurrentSubject) -> Response:
    policy.require_permission(subject, P.WORKORDER_HANDLE)
    return await submit_report(request, db, subject, patrol=True)


def _grid_names(db: Session, people: list[Person]) -> dict[int, str]:
    ids = {p.node_id for p in people if p.node_id is not None}
    if not ids:
        return {}
    rows = db.execute(select(OrgNode.id, OrgNode.name).where(OrgNode.id.in_(ids)))
    return dict(rows.all())


@router.get("/m/worker/people", response_class=HTMLResponse)
def people(request: Request, db: DB, subject: CurrentSubject, q: str = "") -> Response:
    """People of my grid (scoped by ``auth.policy``), searchable by name, masked."""
    policy.require_permission(subject, P.REGISTRY_WRITE)
    q = q.strip()[:50]
    where = policy.scope_filter(subject, Person, for_write=True)
    page = registry.list_people(
        db, where=where, q=q or None, cipher=fields.cipher(), limit=PEOPLE_PAGE
    )
    grids = _grid_names(db, list(page.items))
    rows = [person_view(p, grids.get(p.node_id or 0)) for p in page.items]
    return show(
        request,
        "mobile/worker_people.html",
        {"subject": subject, "people": rows, "total": page.total, "q": q, "tag_label": tag_label},
    )


def _person_page(
    request: Request,
    db: Session,
    subject: Subject,
    person: Person,
    *,
    form: dict[str, str] | None = None,
    error: str | None = None,
    message: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    grid = db.get(OrgNode, person.node_id) if person.node_id is not None else None
    return show(
        request,
        "mobile/worker_person.html",
        {
            "subject": subject,
            "person": person_view(person, grid.name if grid else None),
            "form": form or {},
            "error": error,
            "message": message,
            "tag_label": tag_label,
        },
        status_code=status_code,
    )


@router.get("/m/worker/people/{person_id}", response_class=HTMLResponse)
def person_page(person_id: int, request: Request, db: DB, subject: CurrentSubject) -> Response:
    policy.require_permission(subject, P.REGISTRY_WRITE)
    person = policy.access_person(db, subject, person_id, for_write=True)
    saved = request.query_params.get("saved")
    message = _("已保存：{fields}").format(fields=saved) if saved else None
    return _person_page(request, db, subject, person, message=message)


@router.post("/m/worker/people/{person_id}", response_class=HTMLResponse)
async def person_save(
    person_id: int, request: Request, db: DB, subject: CurrentSubject
) -> Response:
    """Only the fields filled in are changed (a blank input keeps the stored value)."""
    policy.require_permission(subject, P.REGISTRY_WRITE)
    person = policy.access_person(db, subject, person_id, for_write=True)
    raw = await request.form()
    form = {k: v for k, v in raw.items() if isinstance(v, str)}
    changes = {k: form[k].strip() for k in EDITABLE if form.get(k, "").strip()}
    verified = form.get("verified") == "1"
    if not changes and not verified:
        error: str | None = _("请至少填写一项要更正的内容，或勾选“已现场核实”")
        return _person_page(request, db, subject, person, form=form, error=error, status_code=422)
    cipher = fields.cipher(request.app.state.settings)
    changed, error, status = attempt(
        db,
        lambda: registry.update_person(
            db, person=person, changes=changes, cipher=cipher, verified=verified
        ),
    )
    if error is not None:
        db.refresh(person)
        return _person_page(
            request, db, subject, person, form=form, error=error, status_code=status
        )
    labels = {"phone_enc": _("电话"), "address": _("地址"), "tags": _("标签")}
    saved = "、".join(labels.get(c, c) for c in (changed or []) if c in labels) or _("已核实")
    return RedirectResponse(f"/m/worker/people/{person.id}?saved={quote(saved)}", status_code=303)
