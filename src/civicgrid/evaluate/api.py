"""JSON routes of the evaluation engine; every handler parses, calls a service, returns.

The whole router needs ``evaluation:read`` (``evaluation:write`` to change anything) and a ``scope``
within the caller's territory: ``auth.deps.guard`` where it is included (web/routes.py). Saved runs
are scoped by ``auth.policy`` (resource ``evaluation_run``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from civicgrid.auth import policy
from civicgrid.auth.deps import CurrentSubject
from civicgrid.errors import TooLarge
from civicgrid.evaluate import localise, report, service
from civicgrid.evaluate.config import IndicatorSystem, parse_system
from civicgrid.evaluate.config_excel import write_excel
from civicgrid.evaluate.inputs import MAX_BYTES
from civicgrid.evaluate.metric_types import METRICS
from civicgrid.evaluate.periods import Step
from civicgrid.evaluate.schemas import (
    CopyRequest,
    EvaluationResult,
    Explanation,
    ImportReport,
    MetricInfo,
    RadarData,
    RankRow,
    RunRequest,
    SystemSummary,
    TrendResult,
)
from civicgrid.kit.i18n import _
from civicgrid.kit.web import DB
from civicgrid.models.evaluation import EvaluationRun

router = APIRouter(prefix="/api/evaluate", tags=["evaluation"])
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _system(db: DB, name: str, method: str | None = None) -> IndicatorSystem:
    system, _version = service.get_system(db, name)
    if method and method != system.method.value:
        system = parse_system({**system.to_data(), "method": method}, origin=system.name)
    return system


def _run(db: DB, request: RunRequest) -> EvaluationResult:
    """Evaluate (and store, when asked), then show the result in the reader's language."""
    return localise.result(
        service.evaluate(
            db,
            system=_system(db, request.system, request.method),
            level=request.level,
            period=request.period,
            scope=request.scope,
            save=request.save,
        )
    )


def _stored_run(db: DB, run_id: int) -> EvaluationResult:
    return localise.result(service.get_run(db, run_id))


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"}


@router.get("/metrics")
def metrics() -> list[MetricInfo]:
    """The metric library: what an indicator can point at."""
    return [
        MetricInfo(
            key=m.key,
            label=_(m.label),
            unit=m.unit.value,
            direction=m.direction.value,
            formula=_(m.formula),
            levels=sorted(m.levels),
            params=m.params,
            counts={k: _(v) for k, v in m.counts.items()},
            description=m.description,
        )
        for m in METRICS.values()
    ]


@router.get("/systems")
def list_systems(db: DB) -> list[SystemSummary]:
    """Built-in templates and stored indicator systems."""
    return [localise.summary(s) for s in service.list_systems(db)]


@router.get("/systems/{name}")
def get_system(db: DB, name: str) -> dict[str, Any]:
    """A system's definition (the YAML shape) and its computed weights."""
    system, version = service.get_system(db, name)
    return {
        "version": version,
        "definition": system.to_data(),
        "global_weights": system.global_weights(),
    }


@router.get("/systems/{name}/template.xlsx")
def system_excel(db: DB, name: str) -> Response:
    """The system in the Excel template, to edit offline."""
    system, _version = service.get_system(db, name)
    return Response(write_excel(system), media_type=XLSX_TYPE, headers=_attachment(f"{name}.xlsx"))


@router.post("/systems", status_code=201)
def copy_system(db: DB, body: CopyRequest) -> SystemSummary:
    """Copy a template (or a stored system) into a new editable system."""
    row = service.copy_template(db, source=body.source, name=body.name, title=body.title)
    return _stored_summary(db, row.name)


def _stored_summary(db: DB, name: str) -> SystemSummary:
    return next(s for s in service.list_systems(db) if s.name == name and not s.builtin)


@router.put("/systems/{name}")
def save_system(db: DB, name: str, definition: dict[str, Any]) -> SystemSummary:
    """Replace a stored system's definition (validated; every problem is listed on 422)."""
    service.save_system(db, name=name, definition=definition)
    return _stored_summary(db, name)


@router.delete("/systems/{name}", status_code=204)
def delete_system(db: DB, name: str) -> Response:
    service.delete_system(db, name=name)
    return Response(status_code=204)


@router.post("/run")
def run(db: DB, body: RunRequest) -> EvaluationResult:
    """Evaluate: scores, ranks and per-indicator values of every object (``save`` stores it)."""
    return _run(db, body)


@router.get("/ranking")
def ranking(
    db: DB,
    system: str,
    level: str,
    period: str,
    scope: str | None = None,
    method: str | None = None,
) -> list[RankRow]:
    """Ranking rows (score and first-level scores) for a table."""
    request = RunRequest(system=system, level=level, period=period, scope=scope, method=method)
    return service.ranking(_run(db, request))


@router.get("/radar")
def radar(
    db: DB,
    system: str,
    level: str,
    period: str,
    scope: str | None = None,
    keys: list[str] | None = Query(None, description="Entities to draw (default: top 5)."),
) -> RadarData:
    """First-level scores of some entities and the average, for a radar chart."""
    request = RunRequest(system=system, level=level, period=period, scope=scope)
    return service.radar(_run(db, request), keys)


@router.get("/explain")
def explain(
    db: DB,
    system: str,
    level: str,
    period: str,
    entity: str,
    scope: str | None = None,
    method: str | None = None,
) -> Explanation:
    """The drill-down of one entity's score, down to the raw counts."""
    request = RunRequest(system=system, level=level, period=period, scope=scope, method=method)
    return service.explain(_run(db, request), entity)


@router.get("/trend")
def trend(
    db: DB,
    system: str,
    level: str,
    period: str,
    step: Step = "month",
    scope: str | None = None,
) -> TrendResult:
    """Scores and ranks over consecutive periods (week, month, quarter, year)."""
    return service.trend(
        db, system=_system(db, system), level=level, period=period, step=step, scope=scope
    )


@router.get("/export.xlsx")
def export_excel(
    db: DB,
    system: str,
    level: str,
    period: str,
    scope: str | None = None,
    method: str | None = None,
) -> Response:
    """The Excel workbook: ranking, indicator scores, raw figures, weights."""
    request = RunRequest(system=system, level=level, period=period, scope=scope, method=method)
    result = _run(db, request)
    name = f"{result.system_title}-{result.level_label}-{period}.xlsx"
    return Response(report.excel_report(result), media_type=XLSX_TYPE, headers=_attachment(name))


@router.get("/report.html", response_class=HTMLResponse)
def report_html(
    db: DB,
    system: str,
    level: str,
    period: str,
    scope: str | None = None,
    method: str | None = None,
) -> HTMLResponse:
    """The printable report (no scripts)."""
    request = RunRequest(system=system, level=level, period=period, scope=scope, method=method)
    return HTMLResponse(report.html_report(_run(db, request)))


@router.get("/runs")
def list_runs(
    db: DB, subject: CurrentSubject, system: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """Saved evaluation runs within my scope, newest first."""
    mine = set(db.scalars(policy.readable(select(EvaluationRun.id), subject, EvaluationRun)))
    return [r for r in service.list_runs(db, system=system, limit=limit) if r["id"] in mine]


@router.get("/runs/{run_id}")
def get_run(db: DB, run_id: int, subject: CurrentSubject) -> EvaluationResult:
    policy.access(db, subject, EvaluationRun, run_id)  # 404 outside my scope
    return _stored_run(db, run_id)


@router.get("/runs/{run_id}/explain")
def explain_run(db: DB, run_id: int, entity: str, subject: CurrentSubject) -> Explanation:
    """The drill-down of one entity in a saved run."""
    policy.access(db, subject, EvaluationRun, run_id)
    return service.explain(_stored_run(db, run_id), entity)


@router.get("/runs/{run_id}/ranking")
def ranking_run(db: DB, run_id: int) -> list[RankRow]:
    return service.ranking(_stored_run(db, run_id))


@router.get("/runs/{run_id}/radar")
def radar_run(
    db: DB,
    run_id: int,
    keys: list[str] | None = Query(None, description="Entities to draw (default: top 5)."),
) -> RadarData:
    return service.radar(_stored_run(db, run_id), keys)


@router.post("/surveys")
async def import_survey(
    db: DB,
    file: UploadFile = File(..., description="CSV or XLSX: 对象编码, 指标, 值 (样本量)."),
    survey: str = Form(...),
    level: str = Form(...),
    period: str = Form(...),
    source: str = Form("survey"),
) -> ImportReport:
    """Import third-party survey results (or manual scores, ``source=manual``)."""
    content = await file.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        raise TooLarge(_("文件超过 {n} MB").format(n=MAX_BYTES // (1024 * 1024)))
    return service.import_inputs(
        db,
        content=content,
        filename=file.filename or "upload.csv",
        source=source,
        survey=survey,
        level=level,
        period=period,
    )
