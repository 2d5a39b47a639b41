"""物联感知 / 数据碰撞 — the hook through which machines open work orders.

A sensor gateway (water level, smoke, manhole cover, illegal-parking camera …) or a data-collision
job (a registry cross-check that found, say, a rental without a registered tenant) holds an API
token of an account with the ``sensor_gateway`` role, scoped to its territory, and posts a lead:

    POST /api/workorders/leads
    {"source": "sensor", "external_id": "WL-0231:2026-11-23T08:15", "device": "WL-0231",
     "title": "积水超警戒", "lat": 28.2, "lon": 112.9, "readings": {"水深cm": 32}}

The lead becomes an ordinary order on the ``sensor`` or ``collision`` channel, so it is located,
routed, timed, ledgered and evaluated (as proactive discovery) like any report. ``external_id`` is
the idempotency key: a gateway that re-sends the same alarm gets the same order back (200), never a
second one. The device, rule and readings are written into the description, which the ledger
covers, and kept in ``extra["lead"]`` for machines.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from civicgrid.auth import policy
from civicgrid.auth import roles as P
from civicgrid.auth.deps import CurrentSubject
from civicgrid.kit.i18n import _
from civicgrid.kit.web import DB
from civicgrid.models.workorder import Channel
from civicgrid.workorders import present
from civicgrid.workorders.access import actor_for
from civicgrid.workorders.api import create_for
from civicgrid.workorders.schemas import WorkOrderCreate, WorkOrderDetail

router = APIRouter(prefix="/api/workorders", tags=["work orders"])

Reading = float | int | str


class LeadIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    source: Literal["sensor", "collision"] = Field(description="物联感知 / 数据碰撞")
    external_id: str = Field(
        min_length=1,
        max_length=80,
        pattern=r"^[\w.:\-/]+$",
        description="The alarm's or lead's own id: the same id never opens a second order.",
    )
    title: str = Field(min_length=2, max_length=200)
    description: str = Field(default="", max_length=3000)
    category: str | None = Field(default=None, max_length=100)
    lat: float | None = Field(default=None, ge=-90, le=90, allow_inf_nan=False)
    lon: float | None = Field(default=None, ge=-180, le=180, allow_inf_nan=False)
    node_id: int | None = Field(default=None, description="Grid id, when there is no position.")
    address: str | None = Field(default=None, max_length=300)
    device: str | None = Field(default=None, max_length=100, description="Sensor id")
    rule: str | None = Field(default=None, max_length=200, description="Collision rule")
    readings: dict[str, Reading] = Field(default_factory=dict, max_length=20)


def _describe(lead: LeadIn) -> str:
    parts = [lead.description] if lead.description else []
    if lead.device:
        parts.append(_("设备：{d}").format(d=lead.device))
    if lead.rule:
        parts.append(_("碰撞规则：{r}").format(r=lead.rule))
    if lead.readings:
        shown = "，".join(f"{k} {v}" for k, v in lead.readings.items())
        parts.append(_("读数：{r}").format(r=shown))
    parts.append(_("线索编号：{i}").format(i=lead.external_id))
    return "\n".join(parts)[:5000]


@router.post("/leads", status_code=201, response_model=WorkOrderDetail)
def lead(body: LeadIn, db: DB, subject: CurrentSubject, response: Response) -> WorkOrderDetail:
    """物联感知/数据碰撞: open an order from a sensor alarm or a data-collision lead (idempotent
    on ``source`` + ``external_id``; 200 with the existing order when it was sent before)."""
    policy.require_permission(subject, P.WORKORDER_LEAD)
    create = WorkOrderCreate(
        title=body.title,
        description=_describe(body),
        category=body.category,
        lat=body.lat,
        lon=body.lon,
        node_id=body.node_id,
        address=body.address,
    )
    key = f"lead:{body.source}:{body.external_id}"
    opened = create_for(db, subject, create, key, Channel(body.source))
    order = opened.order
    if opened.event is None:
        response.status_code = 200
    else:
        order.extra = {
            **(order.extra or {}),
            "lead": {
                "source": body.source,
                "external_id": body.external_id,
                "device": body.device,
                "rule": body.rule,
                "readings": body.readings,
            },
        }
    return present.detail(db, order, actor_for(db, subject, order))
