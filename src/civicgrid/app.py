"""The FastAPI application: routers from each domain, pages from web/, one error format."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.exc import DataError, OperationalError
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

from civicgrid import __version__
from civicgrid.config import Settings, get_settings
from civicgrid.errors import CivicgridError
from civicgrid.kit.db import make_engine, make_sessionmaker
from civicgrid.kit.i18n import _, current_locale, negotiate

log = logging.getLogger(__name__)


def _error_body(code: str, message: str, **details: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **details}, "detail": message}


def _describe_validation(exc: RequestValidationError) -> list[dict[str, Any]]:
    errors = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path"))
        errors.append({"field": loc, "message": err.get("msg", ""), "type": err.get("type", "")})
    return errors


ErrorRenderer = Callable[[Request, CivicgridError], Response | None]


def install_error_handlers(app: FastAPI) -> None:
    # Protocol adapters (e.g. Open311) append a renderer for errors under their own paths.
    app.state.error_renderers = []

    @app.exception_handler(CivicgridError)
    async def _domain_error(request: Request, exc: CivicgridError) -> Response:
        renderers: list[ErrorRenderer] = request.app.state.error_renderers
        for render in renderers:
            special = render(request, exc)
            if special is not None:
                return special
        return JSONResponse(
            _error_body(exc.code, exc.message, **exc.details), status_code=exc.status_code
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = _describe_validation(exc)
        message = (
            _("请求数据无效")
            + ": "
            + "; ".join(f"{f['field'] or '-'}: {f['message']}" for f in fields)
        )
        return JSONResponse(_error_body("invalid", message, fields=fields), status_code=422)

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def _out_of_range(_request: Request, exc: Exception) -> JSONResponse:
        # A number or text the database cannot hold (e.g. an id beyond 64 bits in the path):
        # bad input, not a server fault. The request's transaction is rolled back by get_db.
        log.info("value out of range: %s", exc)
        message = _("数值或文本超出允许范围")
        return JSONResponse(_error_body("out_of_range", message), status_code=422)

    @app.exception_handler(OperationalError)
    async def _busy(_request: Request, exc: OperationalError) -> JSONResponse:
        # SQLite's single writer stayed busy past the busy timeout (overload): a clear, retryable
        # 503, not a 500. Anything else the driver reports is a real fault and is re-raised.
        if "database is locked" not in str(exc.orig):
            raise exc
        log.warning("database busy: %s", exc.orig)
        message = _("系统繁忙，请稍后重试")
        return JSONResponse(
            _error_body("busy", message), status_code=503, headers={"Retry-After": "5"}
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return JSONResponse(
            _error_body("http_error", message), status_code=exc.status_code, headers=exc.headers
        )


class LocaleMiddleware:
    """The request's language (``lang`` cookie, else Accept-Language) for everything it calls.

    Plain ASGI rather than ``@app.middleware("http")``: Starlette's BaseHTTPMiddleware runs the
    rest of the app in a second task per request, which measurably slowed every API call.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        cookies = cookie_parser(headers.get("cookie", ""))
        token = current_locale.set(negotiate(headers.get("accept-language"), cookies.get("lang")))
        try:
            await self.app(scope, receive, send)
        finally:
            current_locale.reset(token)


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    settings = settings or get_settings()
    engine = engine or make_engine(settings.resolved_database_url())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The SLA job runs inside the web process by default (no cron needed on a small site).
        job = None
        if settings.sla_check_minutes > 0:
            from civicgrid.kit.periodic import Periodic
            from civicgrid.workorders.tasks import scheduled_sla_check

            job = Periodic(
                "sla-check",
                settings.sla_check_minutes * 60,
                partial(scheduled_sla_check, app.state.sessionmaker),
                first_delay=5.0,
            )
            job.start()
        app.state.sla_job = job
        yield
        if job is not None:
            job.stop()

    app = FastAPI(
        lifespan=lifespan,
        title="civicgrid",
        version=__version__,
        description="一网统管 grassroots governance platform — JSON API",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)

    install_error_handlers(app)

    from civicgrid.auth.middleware import install as install_security

    install_security(app, settings)
    app.add_middleware(LocaleMiddleware)  # outermost: even a CSRF refusal speaks the language

    @app.get("/health", tags=["system"])
    def health() -> dict[str, str]:
        """Liveness: the process answers and its database is reachable."""
        from sqlalchemy import text

        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"status": "ok", "version": __version__}

    from civicgrid.web.routes import include_routes

    include_routes(app)
    app.mount("/static", StaticFiles(packages=[("civicgrid.web", "static")]), name="static")
    return app
