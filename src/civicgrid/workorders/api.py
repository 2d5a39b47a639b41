"""JSON routes of the work-order loop. Each handler: resolve access, call a service, return."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Header, Query, Request, Response, UploadFile
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from civicgrid.auth import policy
from civicgrid.auth import roles as P
from civicgrid.auth.deps import CurrentSubject, rate_limit
from civicgrid.auth.subject import Subject
from civicgrid.errors import Invalid, NotFound, PermissionDenied, TooLarge
from civicgrid.intel import service as intel
from civicgrid.kit.i18n import _
from civicgrid.kit.web import DB
from civicgrid.models.workorder import Attachment, Channel, WorkOrder
from civicgrid.workorders import attachments, exports, joint, present, repository, service
from civicgrid.workorders import responsibility as rl
from civicgrid.workorders.access import actor_for
from civicgrid.workorders.schemas import (
    ActionRequest,
    WorkOrderCreate,
    WorkOrderDetail,
    WorkOrderPage,
)
from civicgrid.workorders.states import Action, Role

router = APIRouter(prefix="/api/workorders", tags=["work orders"])

CHANNEL_BY_ROLE = {
    Role.RESIDENT: Channel.RESIDENT,
    Role.GRID_WORKER: Channel.PATROL,
    Role.HOTLINE_OPERATOR: Channel.HOTLINE,
}


def suggest(db: Session, body: WorkOrderCreate) -> tuple[str, float] | None:
    """The routing model's best category for the text (None before a model is trained); the
    dispatcher confirms or overrides it at triage, which becomes training signal."""
    version = rl.version_in_force(db)
    departments = (
        {i.name: i.department for i in rl.items_of(db, version)} if version is not None else None
    )
    found = intel.suggest_categories(body.title, body.description, k=1, departments=departments)
    return (found[0].category, round(found[0].confidence, 4)) if found else None


def open_for(
    db: Session,
    subject: Subject,
    body: WorkOrderCreate,
    idempotency_key: str | None,
    channel: Channel | None = None,
) -> WorkOrder:
    """Create an order as ``subject``: staff only inside their scope; residents anywhere."""
    return create_for(db, subject, body, idempotency_key, channel).order


def create_for(
    db: Session,
    subject: Subject,
    body: WorkOrderCreate,
    idempotency_key: str | None,
    channel: Channel | None = None,
) -> service.Opened:
    """``open_for``, also returning the opening timeline row when the order was created now."""
    policy.require_permission(subject, P.WORKORDER_CREATE)
    actor = actor_for(db, subject)
    if channel is None:
        channel = next((c for r, c in CHANNEL_BY_ROLE.items() if r in actor.roles), Channel.HOTLINE)
    if body.reported_at is not None:
        raise Invalid(_("上报时间由系统记录"), field="reported_at")
    resident = Role.RESIDENT in actor.roles

    def authorize(node_id: int) -> None:  # before anything is written
        if not resident and not policy.covers_node(db, subject, node_id, P.WORKORDER_CREATE):
            raise PermissionDenied(_("该位置不在您的管辖范围内"))

    opened = service.create_workorder(
        db,
        data=body,
        actor=actor,
        channel=channel,
        idempotency_key=idempotency_key,
        suggestion=None if body.category else suggest(db, body),
        authorize=authorize,
        reporter_person_id=subject.person_id if resident else None,
    )
    order = opened.order
    if opened.event is None:  # an order created earlier under the same Idempotency-Key
        if not resident and not policy.covers_node(db, subject, order.node_id, P.WORKORDER_CREATE):
            raise PermissionDenied(_("该位置不在您的管辖范围内"))
        if resident:
            order.reporter_person_id = subject.person_id
    return opened


@router.post(
    "",
    status_code=201,
    response_model=WorkOrderDetail,
    dependencies=[rate_limit("report", "rate_report", residents_only=True)],
)
def create(
    body: WorkOrderCreate,
    db: DB,
    subject: CurrentSubject,
    idempotency_key: Annotated[str | None, Header(max_length=100)] = None,
) -> Response:
    """上报: create an order. ``Idempotency-Key`` makes a re-sent request return the same order."""
    opened = create_for(db, subject, body, idempotency_key)
    actor = actor_for(db, subject, opened.order)
    if opened.event is None:
        view = present.detail(db, opened.order, actor)
    else:  # just created: its timeline is the opening row and it has no parts yet
        view = present.detail(db, opened.order, actor, timeline=[opened.event], parts=[])
    # Serialised here, in this worker thread: FastAPI would validate the model it was just built
    # from once more, in another trip to the thread pool.
    return Response(view.model_dump_json(), status_code=201, media_type="application/json")


@router.get("", response_model=WorkOrderPage)
def list_orders(
    db: DB,
    subject: CurrentSubject,
    status: Annotated[list[str] | None, Query()] = None,
    category: str | None = None,
    department: str | None = None,
    node_id: int | None = None,
    sla_light: Annotated[str | None, Query(pattern="^(green|yellow|red)$")] = None,
    channel: str | None = None,
    queue: Annotated[
        str | None, Query(pattern="^(mine|reported_by_me|overdue|awaiting_confirmation|to_triage)$")
    ] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    reported_from: datetime | None = None,
    reported_to: datetime | None = None,
    sort: Annotated[str, Query(pattern="^-?(reported_at|due_at|id|status)$")] = "-reported_at",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 20,
) -> WorkOrderPage:
    """The orders the caller may see, filtered, sorted and paginated."""
    filters = repository.Filters(
        status=status,
        category=category,
        department=department,
        node_id=node_id,
        sla_light=sla_light,
        channel=channel,
        queue=queue,
        q=q,
        reported_from=reported_from,
        reported_to=reported_to,
    )
    rows, total = repository.page(db, subject, filters, sort=sort, page=page, page_size=page_size)
    actor = actor_for(db, subject)
    return WorkOrderPage(
        items=[present.summary(o, actor) for o in rows], total=total, page=page, page_size=page_size
    )


@router.get("/export.{fmt}")
def export(
    fmt: str,
    db: DB,
    subject: CurrentSubject,
    status: Annotated[list[str] | None, Query()] = None,
    queue: Annotated[
        str | None, Query(pattern="^(mine|reported_by_me|overdue|awaiting_confirmation|to_triage)$")
    ] = None,
) -> Response:
    """The caller's visible orders as CSV or Excel (personal fields masked)."""
    if fmt not in ("csv", "xlsx"):
        raise NotFound(_("不支持的导出格式"))
    filters = repository.Filters(status=status, queue=queue)
    data, media = exports.export(repository.iterate(db, subject, filters), fmt)
    return Response(
        data,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="workorders.{fmt}"'},
    )


@router.get("/{work_order_id}", response_model=WorkOrderDetail)
def get(work_order_id: int, db: DB, subject: CurrentSubject, response: Response) -> WorkOrderDetail:
    """An order with its timeline (each step with its ledger index) and joint-handling parts."""
    order = policy.access_workorder(db, subject, work_order_id)
    response.headers["ETag"] = f'"{order.version}"'
    return present.detail(db, order, actor_for(db, subject, order))


def _etag(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip().removeprefix("W/").strip('"'))
    except ValueError:
        raise Invalid(_("If-Match 头格式错误"), field="If-Match") from None


@router.post("/{work_order_id}/actions/{action}", response_model=WorkOrderDetail)
def act(
    work_order_id: int,
    action: Action,
    body: ActionRequest,
    db: DB,
    subject: CurrentSubject,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> WorkOrderDetail:
    """One action of the transition table; ``If-Match`` (or ``version``) → 409 on a lost race."""
    order = policy.access_workorder(db, subject, work_order_id)
    actor = actor_for(db, subject, order)
    expected = _etag(if_match) if if_match else body.version
    service.transition(
        db,
        order=order,
        action=action,
        actor=actor,
        reason=body.reason,
        params=body.model_dump(exclude_none=True),
        expected_version=expected,
    )
    response.headers["ETag"] = f'"{order.version}"'
    return present.detail(db, order, actor)


@router.post("/{work_order_id}/parts/{work_order_part_id}/{step}", response_model=WorkOrderDetail)
def part_step(
    work_order_id: int,
    work_order_part_id: int,
    step: str,
    db: DB,
    subject: CurrentSubject,
    body: ActionRequest | None = None,
) -> WorkOrderDetail:
    """报到 (``report``) then 完成 (``done``) of one department's part of a joint order."""
    order = policy.access_workorder(db, subject, work_order_id)
    actor = actor_for(db, subject, order)
    joint.part_step(
        db,
        order=order,
        part_id=work_order_part_id,
        step=step,
        actor=actor,
        note=body.reason if body else None,
    )
    return present.detail(db, order, actor)


class MediationSessionCreate(BaseModel):
    mediator: str = Field(min_length=1, max_length=100)
    parties: list[str] = Field(default_factory=list, max_length=20)
    notes: str = Field(default="", max_length=5000)
    outcome: str | None = Field(
        default=None, pattern="^(agreement|no_agreement|referral|adjourned)$"
    )


@router.post("/{work_order_id}/mediation-sessions", response_model=WorkOrderDetail)
def mediation_session(
    work_order_id: int, body: MediationSessionCreate, db: DB, subject: CurrentSubject
) -> WorkOrderDetail:
    """Record one mediation session of a dispute (mediator, parties, notes, outcome)."""
    order = policy.access_workorder(db, subject, work_order_id, for_write=True)
    actor = actor_for(db, subject, order)
    joint.add_mediation_session(
        db,
        order=order,
        actor=actor,
        mediator=body.mediator,
        parties=body.parties,
        notes=body.notes,
        outcome=body.outcome,
    )
    return present.detail(db, order, actor)


def _upload_root(request: Request) -> Path:
    return Path(request.app.state.settings.data_dir) / "uploads"


@router.post("/{work_order_id}/attachments", status_code=201)
async def upload(
    work_order_id: int,
    db: DB,
    subject: CurrentSubject,
    request: Request,
    file: Annotated[UploadFile, File(description="JPEG, PNG or WebP photo")],
) -> dict[str, Any]:
    """Attach a photo: type sniffed, size limited, EXIF (GPS) stripped from the public copy."""
    order = policy.access_workorder(db, subject, work_order_id)
    limit = request.app.state.settings.upload_max_mb * 1024 * 1024
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(_("文件过大，上限为 {mb} MB").format(mb=limit // (1024 * 1024)))
    stored = attachments.store(data, _upload_root(request), max_bytes=limit)
    att = service.attach(
        db,
        order=order,
        stored=stored,
        filename=file.filename or "photo",
        actor=actor_for(db, subject, order),
    )
    return {"id": att.id, "content_type": att.content_type, "size": att.size, "sha256": att.sha256}


@router.get("/{work_order_id}/attachments/{attachment_id}")
def download(
    work_order_id: int, attachment_id: int, db: DB, subject: CurrentSubject, request: Request
) -> Response:
    """A photo's public copy (no EXIF); the original only for staff who may unmask."""
    order = policy.access_workorder(db, subject, work_order_id)
    att = db.get(Attachment, attachment_id)
    if att is None or att.work_order_id != order.id:
        raise NotFound(_("附件不存在"))
    original = subject.has(P.WORKORDER_UNMASK) and request.query_params.get("original") == "1"
    rel = att.path if original or not att.public_path else att.public_path
    file = _upload_root(request) / rel
    if not file.is_file():
        raise NotFound(_("附件文件缺失"))
    return Response(file.read_bytes(), media_type=att.content_type)
