"""首页 — the territory on a map with counts per level (within the viewer's scope)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select

from civicgrid.auth import policy
from civicgrid.auth import roles as P
from civicgrid.auth.deps import CurrentSubject
from civicgrid.kit.web import DB
from civicgrid.models.org import OrgNode
from civicgrid.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, db: DB, subject: CurrentSubject) -> HTMLResponse:
    levels: dict[str, int] = {}
    if subject.has(P.ORG_READ):
        stmt = policy.readable(
            select(OrgNode.level, func.count()).group_by(OrgNode.level), subject, OrgNode
        )
        levels = {level: int(n) for level, n in db.execute(stmt).all()}
    return render(request, "home.html", {"levels": levels, "subject": subject})
