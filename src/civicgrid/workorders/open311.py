"""Open311 GeoReport v2 at ``/open311/v2/`` — JSON and XML, spec error format, public reads.

Services are the responsibility list's categories. Public output never carries personal data:
no names, phones or addresses; descriptions have digit runs (phones, ID numbers) blanked; positions
are rounded to about 100 m. Our richer states, SLA light and timeline are an extension
(``extensions=true`` → ``extended_attributes``), while ``status`` stays the spec's open/closed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid import errors
from civicgrid.auth import roles as P
from civicgrid.auth.service import load_subject
from civicgrid.auth.tokens import resolve_token
from civicgrid.kit.timeutil import LOCAL_TZ, utcnow
from civicgrid.kit.web import DB
from civicgrid.models.workorder import Channel, ResponsibilityItem, WorkOrder
from civicgrid.workorders import responsibility as rl
from civicgrid.workorders import service
from civicgrid.workorders.access import actor_for
from civicgrid.workorders.open311_format import ROOTS, errors_doc, to_xml
from civicgrid.workorders.schemas import WorkOrderCreate
from civicgrid.workorders.states import CLOSED_STATES, STATE_LABELS, State

router = APIRouter(prefix="/open311/v2", tags=["Open311 GeoReport v2"])
SPEC = "http://wiki.open311.org/GeoReport_v2"
CLOSED_FOR_OPEN311 = {s.value for s in CLOSED_STATES | {State.REJECTED, State.MERGED}}
DIGITS = re.compile(r"\d[\d\s\-]{5,}\d")
MAX_RESULTS = 1000


class Open311Error(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def _fmt(fmt: str) -> str:
    if fmt not in ("json", "xml"):
        raise Open311Error(404, "format must be json or xml")
    return fmt


def _respond(
    kind: str, body: Sequence[Mapping[str, Any]] | Mapping[str, Any], fmt: str, status: int = 200
) -> Response:
    if fmt == "xml":
        root, item = ROOTS[kind]
        return Response(
            to_xml(root, item, body), status_code=status, media_type="text/xml; charset=utf-8"
        )
    return JSONResponse(body, status_code=status)


def error_response(exc: Open311Error, fmt: str) -> Response:
    return _respond(
        "errors",
        errors_doc(exc.status, exc.description),
        fmt if fmt in ("json", "xml") else "json",
        exc.status,
    )


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(LOCAL_TZ).isoformat(timespec="seconds") if value else None


def _jurisdiction(request: Request) -> None:
    wanted = request.query_params.get("jurisdiction_id")
    ours = request.app.state.settings.open311_jurisdiction
    if wanted and wanted != ours:
        raise Open311Error(404, f"jurisdiction_id {wanted!r} not served here")


def _items(db: Session) -> list[ResponsibilityItem]:
    version = rl.version_in_force(db)
    return rl.items_of(db, version) if version else []


def _public_request(
    order: WorkOrder, names: Mapping[str, str], extensions: bool, db: Session
) -> dict[str, Any]:
    closed = order.status in CLOSED_FOR_OPEN311
    body: dict[str, Any] = {
        "service_request_id": order.code,
        "status": "closed" if closed else "open",
        "status_notes": STATE_LABELS[State(order.status)],
        "service_name": names.get(order.category or "", order.category or ""),
        "service_code": order.category or "",
        "description": DIGITS.sub("***", order.description or order.title)[:1000],
        "agency_responsible": order.department or "",
        "service_notice": "",
        "requested_datetime": _iso(order.reported_at),
        "updated_datetime": _iso(order.updated_at),
        "expected_datetime": _iso(order.due_at),
        "address": "",
        "address_id": "",
        "zipcode": "",
        "lat": round(order.lat, 3) if order.lat is not None else None,
        "long": round(order.lon, 3) if order.lon is not None else None,
        "media_url": "",
    }
    if extensions:
        body["extended_attributes"] = {
            "civicgrid_status": order.status,
            "sla_light": order.sla_light or "",
            "returns": order.returns_count,
            "timeline": [
                {"action": e.action, "status": e.to_state, "datetime": _iso(e.at)}
                for e in service.timeline(db, order)
            ],
        }
    return body


@router.get("/discovery.{fmt}")
def discovery(fmt: str, request: Request) -> Response:
    fmt = _fmt(fmt)
    base = str(request.base_url).rstrip("/") + "/open311/v2"
    return _respond(
        "discovery",
        {
            "changeset": "2026-11-23T00:00:00+08:00",
            "contact": "civicgrid 12345",
            "key_service": "API tokens are issued by the administrator (civicgrid tokens create)",
            "endpoints": [
                {
                    "specification": SPEC,
                    "url": base,
                    "changeset": "2026-11-23T00:00:00+08:00",
                    "type": "production",
                    "formats": ["text/xml", "application/json"],
                }
            ],
        },
        fmt,
    )


@router.get("/services.{fmt}")
def services(fmt: str, request: Request, db: DB) -> Response:
    fmt = _fmt(fmt)
    _jurisdiction(request)
    items = _items(db)
    parents = {i.code: i.name for i in items}
    body = [
        {
            "service_code": i.code,
            "service_name": i.name,
            "description": f"{i.name}（{i.department}）",
            "metadata": False,
            "type": "realtime",
            "keywords": i.name,
            "group": parents.get(i.parent_code or "", i.name),
        }
        for i in items
    ]
    return _respond("services", body, fmt)


@router.get("/services/{service_code}.{fmt}")
def service_definition(service_code: str, fmt: str, request: Request, db: DB) -> Response:
    fmt = _fmt(fmt)
    _jurisdiction(request)
    if not any(i.code == service_code for i in _items(db)):
        raise Open311Error(404, f"service_code {service_code!r} not found")
    return _respond("definition", {"service_code": service_code, "attributes": []}, fmt)


def _parse_date(text: str | None, name: str) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(400, f"{name} must be a w3c/ISO 8601 datetime") from None
    return value if value.tzinfo else value.replace(tzinfo=LOCAL_TZ)


@router.get("/requests.{fmt}")
def list_requests(fmt: str, request: Request, db: DB) -> Response:
    fmt = _fmt(fmt)
    _jurisdiction(request)
    q = request.query_params
    stmt = select(WorkOrder).where(WorkOrder.status.not_in([State.MERGED.value]))
    if q.get("service_request_id"):
        codes = [c.strip() for c in q["service_request_id"].split(",") if c.strip()][:MAX_RESULTS]
        stmt = stmt.where(WorkOrder.code.in_(codes))
    else:
        end = _parse_date(q.get("end_date"), "end_date") or utcnow()
        start = _parse_date(q.get("start_date"), "start_date") or end - timedelta(days=90)
        if start > end:
            raise Open311Error(400, "start_date is after end_date")
        stmt = stmt.where(WorkOrder.reported_at >= start, WorkOrder.reported_at <= end)
        if q.get("service_code"):
            stmt = stmt.where(WorkOrder.category.in_(q["service_code"].split(",")))
        status = q.get("status")
        if status:
            wanted = {s.strip() for s in status.split(",")}
            if not wanted <= {"open", "closed"}:
                raise Open311Error(400, "status must be open or closed")
            if wanted == {"open"}:
                stmt = stmt.where(WorkOrder.status.not_in(CLOSED_FOR_OPEN311))
            elif wanted == {"closed"}:
                stmt = stmt.where(WorkOrder.status.in_(CLOSED_FOR_OPEN311))
    orders = db.scalars(stmt.order_by(WorkOrder.reported_at.desc()).limit(MAX_RESULTS)).all()
    names = {i.code: i.name for i in _items(db)}
    ext = q.get("extensions") == "true"
    return _respond("requests", [_public_request(o, names, ext, db) for o in orders], fmt)


@router.get("/requests/{request_id}.{fmt}")
def get_request(request_id: str, fmt: str, request: Request, db: DB) -> Response:
    fmt = _fmt(fmt)
    _jurisdiction(request)
    order = db.scalar(select(WorkOrder).where(WorkOrder.code == request_id))
    if order is None or order.status == State.MERGED:
        raise Open311Error(404, f"service_request_id {request_id!r} not found")
    names = {i.code: i.name for i in _items(db)}
    ext = request.query_params.get("extensions") == "true"
    return _respond("requests", [_public_request(order, names, ext, db)], fmt)


@router.get("/tokens/{token}.{fmt}")
def get_token(token: str, fmt: str, request: Request, db: DB) -> Response:
    fmt = _fmt(fmt)
    _jurisdiction(request)
    order = db.scalar(select(WorkOrder).where(WorkOrder.idempotency_key == f"open311:{token}"))
    if order is None:
        raise Open311Error(404, f"token {token!r} not found")
    return _respond("requests", [{"service_request_id": order.code, "token": token}], fmt)


@router.post("/requests.{fmt}")
async def post_request(fmt: str, request: Request, db: DB) -> Response:
    fmt = _fmt(fmt)
    _jurisdiction(request)
    form = await request.form()
    data = {k: str(v) for k, v in form.items()}
    raw_key = data.get("api_key") or request.query_params.get("api_key")
    if not raw_key:
        raise Open311Error(403, "api_key is required")
    resolved = resolve_token(db, raw_key)
    if resolved is None:
        raise Open311Error(403, "api_key is invalid, expired or revoked")
    subject = load_subject(db, resolved[1], token=resolved[0])
    if not subject.has(P.WORKORDER_CREATE):
        raise Open311Error(403, "api_key may not create requests")
    code = data.get("service_code", "").strip()
    if not code:
        raise Open311Error(400, "service_code is required")
    if not any(i.code == code for i in _items(db)):
        raise Open311Error(404, f"service_code {code!r} not found")
    try:
        lat = float(data["lat"]) if data.get("lat") else None
        lon = float(data["long"]) if data.get("long") else None
    except ValueError:
        raise Open311Error(400, "lat and long must be numbers") from None
    if lat is None or lon is None:
        raise Open311Error(400, "lat and long are required (address_string alone is not geocoded)")
    description = data.get("description", "").strip()
    name = " ".join(p for p in (data.get("first_name", ""), data.get("last_name", "")) if p)
    try:
        body = WorkOrderCreate(
            title=(description or code)[:60]
            if len(description or code) >= 2
            else f"{code} request",
            description=description,
            category=code,
            lat=lat,
            lon=lon,
            address=data.get("address_string") or None,
            reporter_name=name or None,
        )
    except ValueError as exc:
        raise Open311Error(400, f"invalid request: {exc}") from None
    token = (data.get("device_id") and data.get("token")) or None
    key = f"open311:{token}" if token else None
    order = service.open_workorder(
        db, data=body, actor=actor_for(db, subject), channel=Channel.OPEN311, idempotency_key=key
    )
    return _respond(
        "requests",
        [{"service_request_id": order.code, "service_notice": "", "account_id": ""}],
        fmt,
        201,
    )


def install(app: FastAPI) -> None:
    """Routes plus the spec's error format for Open311 paths (domain errors included)."""

    @app.exception_handler(Open311Error)
    async def _open311_error(request: Request, exc: Open311Error) -> Response:
        return error_response(exc, _suffix(request))

    app.include_router(router)
    app.state.error_renderers.append(domain_error)


def _suffix(request: Request) -> str:
    path = request.url.path
    return "xml" if path.endswith(".xml") else "json"


def domain_error(request: Request, exc: errors.CivicgridError) -> Response | None:
    """Domain errors raised under /open311/ rendered in the spec's format (called by app.py)."""
    if not request.url.path.startswith("/open311/"):
        return None
    status = 400 if exc.status_code == 422 else exc.status_code
    return error_response(Open311Error(status, exc.message), _suffix(request))
