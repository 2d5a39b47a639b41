"""FastAPI dependencies: who is asking (``CurrentSubject``), ``require(permission)``, rate limits.

Usage in a route::

    @router.get("/api/things/{thing_id}")
    def read_thing(thing_id: int, db: DB, subject: CurrentSubject) -> ThingRead:
        thing = policy.access(db, subject, Thing, thing_id)   # 404 outside scope
        ...

    @router.post("/api/things", dependencies=[require(P.THING_WRITE)])

    @router.post("/api/reports", dependencies=[rate_limit("report", "rate_report")])

A request is authenticated by ``Authorization: Bearer cg_<id>_<secret>`` (API token; the session
cookie is then ignored) or by the ``cg_session`` cookie. Without either: 401 (``Unauthenticated``),
which HTML pages turn into a redirect to ``/login``.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select

from civicgrid.auth import policy, sessions, tokens
from civicgrid.auth.ratelimit import Limiter, MemoryLimiter, parse_rate
from civicgrid.auth.service import load_subject
from civicgrid.auth.subject import Subject
from civicgrid.config import Settings, get_settings
from civicgrid.errors import NotFound, PermissionDenied, RateLimited, Unauthenticated
from civicgrid.kit.i18n import _
from civicgrid.kit.web import DB
from civicgrid.models.auth import AuthSession, UserKind
from civicgrid.models.org import OrgNode


def settings_of(request: Request) -> Settings:
    settings = getattr(request.app.state, "settings", None)
    return settings if isinstance(settings, Settings) else get_settings()


def client_ip(request: Request) -> str:
    """The client address; ``X-Forwarded-For`` only when the proxy in front is trusted."""
    if settings_of(request).trust_forwarded_for:
        forwarded = request.headers.get("x-forwarded-for", "")
        first = forwarded.split(",")[0].strip()
        if first:
            return first[:45]
    return (request.client.host if request.client else "")[:45] or "unknown"


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise Unauthenticated(_("无效的认证信息"))
    return value.strip()


def get_optional_subject(request: Request, db: DB) -> Subject | None:
    """The subject of this request, or None when nobody is logged in."""
    ip = client_ip(request)
    settings = settings_of(request)
    raw_token = _bearer(request)
    if raw_token is not None:
        found = tokens.resolve_subject(db, raw_token, ip=ip)
        if found is None:
            raise Unauthenticated(_("令牌无效、已过期或已被撤销"))
        subject = found
    else:
        live = sessions.resolve_session(
            db, request.cookies.get(sessions.SESSION_COOKIE), settings=settings
        )
        if live is None:
            return None
        auth_session, user = live
        request.state.auth_session = auth_session
        subject = load_subject(db, user, auth_session=auth_session, ip=ip, settings=settings)
    request.state.subject = subject
    return subject


async def get_subject(
    subject: Annotated[Subject | None, Depends(get_optional_subject)],
) -> Subject:  # async: no I/O, so no trip to the thread pool
    if subject is None:
        raise Unauthenticated(_("请先登录"))
    return subject


CurrentSubject = Annotated[Subject, Depends(get_subject)]
OptionalSubject = Annotated[Subject | None, Depends(get_optional_subject)]


def current_auth_session(request: Request) -> AuthSession | None:
    """The web session behind this request (after ``CurrentSubject`` ran), if any."""
    value = getattr(request.state, "auth_session", None)
    return value if isinstance(value, AuthSession) else None


def require(*permissions: str) -> Any:
    """A dependency: the subject, who must hold every one of ``permissions`` (403 otherwise)."""

    def _check(subject: CurrentSubject) -> Subject:
        _check_permissions(subject, permissions)
        return subject

    return Depends(_check)


def _check_permissions(subject: Subject, permissions: tuple[str, ...]) -> None:
    if subject.totp_enrolment_required:
        raise PermissionDenied(
            _("此账号须先绑定并使用动态口令（TOTP）登录"), reason="totp_required"
        )
    for permission in permissions:
        if not subject.has(permission):
            raise PermissionDenied(_("没有权限执行此操作"), permission=permission)


def guard(read: str, write: str | None = None) -> Any:
    """A router-wide dependency: a subject holding ``read`` for GET/HEAD, ``write`` (default
    ``read``) for every other method. For ``include_router(..., dependencies=[guard(...)])`` so a
    whole domain's routes are born needing a session; scope is still each handler's business
    (``policy.readable`` / ``policy.access``)."""

    def _check(request: Request, db: DB, subject: CurrentSubject) -> Subject:
        permission = read if request.method in ("GET", "HEAD") else (write or read)
        _check_permissions(subject, (permission,))
        _check_scope_param(request, db, subject, permission)
        _check_id_params(request, db, subject)
        return subject

    return Depends(_check)


def _check_id_params(request: Request, db: DB, subject: Subject) -> None:
    """Path parameters naming a registered resource (``run_id``, ``person_id`` …) must point at
    a record the subject may see (write, for unsafe methods): 404 otherwise."""
    for name, value in request.path_params.items():
        resource = policy.resource_for_param(name)
        if resource is None or not str(value).isdigit():
            continue
        for_write = request.method not in ("GET", "HEAD")
        policy.access(db, subject, resource.model, int(value), for_write=for_write)


def _check_scope_param(request: Request, db: DB, subject: Subject, permission: str) -> None:
    """Routes with a ``scope`` query parameter (a node code: "evaluate/analyse this area"): the
    node must lie in the subject's scope (404 otherwise, as for an unknown code). Left out, it
    means the whole system for a global grant, and the subject's own territory when that is one
    node (the parameter is filled in); with several nodes the caller must choose (403)."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None or not any(p.name == "scope" for p in dependant.query_params):
        return
    code = request.query_params.get("scope")
    if code:
        node = db.scalars(select(OrgNode).where(OrgNode.code == code)).first()
        if node is None or not policy.covers_node(db, subject, node.id, permission):
            raise NotFound(_("节点不存在"))
        return
    roots = policy.scope_roots(db, subject, permission)
    if roots == [None]:
        return
    if len(roots) != 1 or roots[0] is None:
        raise PermissionDenied(_("请指定范围（scope）：只能查看自己管辖范围内的数据"))
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "scope"]
    request.scope["query_string"] = urlencode([*params, ("scope", roots[0].code)]).encode()
    if hasattr(request, "_query_params"):
        del request._query_params  # re-read from the rewritten query string


def limiter_of(request: Request) -> Limiter:
    limiter = getattr(request.app.state, "limiter", None)
    if limiter is None:
        limiter = MemoryLimiter()
        request.app.state.limiter = limiter
    return limiter


def hit_rate_limit(request: Request, bucket: str, rate: str, key: str | None = None) -> None:
    """Count one request against ``bucket`` (per client IP, or ``key``); 429 when over."""
    limit, window = parse_rate(rate)
    decision = limiter_of(request).hit(f"{bucket}:{key or client_ip(request)}", limit, window)
    if not decision.allowed:
        raise RateLimited(
            _("请求过于频繁，请 {n} 秒后再试").format(n=decision.retry_after),
            retry_after=decision.retry_after,
        )


def rate_limit(bucket: str, setting: str, *, residents_only: bool = False) -> Any:
    """A dependency limiting requests to the rate in settings field ``setting`` (e.g.
    ``rate_limit("report", "rate_report")`` reads ``CIVICGRID_RATE_REPORT``): per client IP, or
    per account when someone is logged in. ``residents_only``: staff (a hotline operator entering
    calls all day) are not limited — for endpoints residents and staff share."""

    async def _limit(request: Request, subject: OptionalSubject) -> None:
        # async, so that exempt requests skip the thread pool; the limiter may do blocking I/O
        # (Redis), so counting a hit still runs there.
        if residents_only and subject is not None and subject.kind != UserKind.RESIDENT:
            return
        key = f"user:{subject.user_id}" if subject is not None else None
        rate = str(getattr(settings_of(request), setting))
        await run_in_threadpool(hit_rate_limit, request, bucket, rate, key)

    return Depends(_limit)
