"""Every router of the app, in one list: domain JSON APIs first, then pages."""

from __future__ import annotations

from fastapi import FastAPI


def include_routes(app: FastAPI) -> None:
    from civicgrid.auth import roles as P
    from civicgrid.auth.api import router as auth_router
    from civicgrid.auth.deps import guard
    from civicgrid.evaluate.api import router as evaluate_router
    from civicgrid.ledger.api import router as ledger_router
    from civicgrid.org.api import router as org_router
    from civicgrid.registry.api import router as people_router
    from civicgrid.web.pages.admin import router as admin_router
    from civicgrid.web.pages.dashboard import api as dashboard_api
    from civicgrid.web.pages.dashboard import router as dashboard_router
    from civicgrid.web.pages.evaluation import router as evaluation_router
    from civicgrid.web.pages.login import router as login_router
    from civicgrid.web.pages.prefs import router as prefs_router
    from civicgrid.web.pages.resident import router as resident_router
    from civicgrid.web.pages.workbench import router as workbench_router
    from civicgrid.web.pages.worker import router as worker_router
    from civicgrid.workorders import open311
    from civicgrid.workorders.api import router as workorders_router
    from civicgrid.workorders.leads import router as leads_router
    from civicgrid.workorders.merge import router as merge_router

    app.include_router(auth_router)
    # Evaluation handlers do not check permissions themselves yet: the whole router needs a
    # session with evaluation:read (evaluation:write to change anything).
    app.include_router(evaluate_router, dependencies=[guard(P.EVALUATION_READ, P.EVALUATION_WRITE)])
    app.include_router(ledger_router)
    app.include_router(org_router)
    app.include_router(people_router)
    app.include_router(workorders_router)
    app.include_router(merge_router)
    app.include_router(leads_router)
    open311.install(app)
    app.include_router(dashboard_api)
    app.include_router(dashboard_router)
    app.include_router(admin_router)
    app.include_router(evaluation_router)
    app.include_router(prefs_router)
    app.include_router(login_router)
    app.include_router(workbench_router)
    app.include_router(resident_router)
    app.include_router(worker_router)
