"""考核评价 — the evaluation results page for leaders and evaluators.

The page is a form (system, level, period) and a shell: the ranking, radar, trend and drill-down
come from the evaluation JSON API (``/api/evaluate/...``, scoped by its router guard), the Excel
and printable report links point at the same API.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from civicgrid.auth import policy
from civicgrid.auth import roles as P
from civicgrid.auth.deps import CurrentSubject
from civicgrid.evaluate import localise, service
from civicgrid.evaluate.dataset import LEVEL_LABELS
from civicgrid.kit.i18n import _
from civicgrid.kit.web import DB
from civicgrid.web.templating import render

router = APIRouter(include_in_schema=False)


def default_period(today: date) -> str:
    """The last full month, e.g. "2026-10"."""
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year}-{month:02d}"


@router.get("/evaluation", response_class=HTMLResponse)
def evaluation_page(request: Request, db: DB, subject: CurrentSubject) -> HTMLResponse:
    policy.require_permission(subject, P.EVALUATION_READ)
    systems = [localise.summary(s) for s in service.list_systems(db)]
    levels = {str(k): _(v) for k, v in LEVEL_LABELS.items()}
    context = {
        "subject": subject,
        "systems": systems,
        "levels": levels,
        "period": default_period(date.today()),
    }
    return render(request, "evaluation.html", context)
