"""首页 — the territory on a map with counts per level."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from civicgrid.kit.web import DB
from civicgrid.org import service
from civicgrid.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, db: DB) -> HTMLResponse:
    return render(request, "home.html", {"levels": service.level_counts(db)})
