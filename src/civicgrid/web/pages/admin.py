"""系统管理 — administrators' pages: hierarchy and grids, users and roles, the responsibility list,
registry uploads. Every page needs ``user:manage`` (the administrator role) and each action its
own permission; the work is done by the domain services (org importer, auth service, workorders
responsibility, registry importer), whose per-feature / per-row reports are shown as tables.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select

from civicgrid.auth import policy
from civicgrid.auth import roles as P
from civicgrid.auth import service as auth_service
from civicgrid.auth.deps import CurrentSubject, settings_of
from civicgrid.auth.roles import ROLE_LABELS, Role
from civicgrid.auth.subject import Subject
from civicgrid.errors import CivicgridError, Invalid, NotFound, TooLarge
from civicgrid.kit.i18n import _
from civicgrid.kit.tabular import open_table, write_xlsx
from civicgrid.kit.web import DB
from civicgrid.models.auth import RoleAssignment, User
from civicgrid.models.org import OrgLevel, OrgNode
from civicgrid.models.registry import Person
from civicgrid.org import importer as grid_importer
from civicgrid.org.formats import read_source
from civicgrid.registry import service as registry_service
from civicgrid.registry.importer import ImportOptions
from civicgrid.web.dashboard_service import level_label
from civicgrid.web.labels import N_
from civicgrid.web.templating import render
from civicgrid.workorders import responsibility as rl

router = APIRouter(prefix="/admin", include_in_schema=False)

MAX_UPLOAD = 20 * 1024 * 1024
TREE_LEVELS = (OrgLevel.CITY, OrgLevel.DISTRICT, OrgLevel.STREET, OrgLevel.COMMUNITY, OrgLevel.GRID)
REGISTRY_KINDS = {"people": N_("人口"), "entities": N_("法人/单位"), "places": N_("地点/部件")}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def admin_only(subject: Subject) -> None:
    policy.require_permission(subject, P.USER_MANAGE)


def read_upload(file: UploadFile) -> bytes:
    data = file.file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise TooLarge(_("文件超过 {n} MB").format(n=MAX_UPLOAD // 1024 // 1024))
    if not data:
        raise Invalid(_("文件为空"))
    return data


def saved_upload(file: UploadFile, data: bytes) -> Path:
    """The upload in a temporary file keeping its suffix (the table reader goes by it)."""
    suffix = Path(file.filename or "").suffix.lower()[:8]
    with tempfile.NamedTemporaryFile(suffix=suffix, delete=False) as out:
        out.write(data)
    return Path(out.name)


def page(request: Request, subject: Subject, name: str, tab: str, **context: Any) -> HTMLResponse:
    status = int(context.pop("status_code", 200))
    return render(request, name, {"subject": subject, "tab": tab, **context}, status_code=status)


@router.get("", response_class=HTMLResponse)
def admin_home(subject: CurrentSubject) -> RedirectResponse:
    admin_only(subject)
    return RedirectResponse("/admin/org", status_code=303)


# --- hierarchy and grids -------------------------------------------------------------------


def org_tree(db: DB) -> list[dict[str, Any]]:
    """Nodes down to grids, each with its number of grids and registered people below it."""
    rows = db.execute(
        select(
            OrgNode.id, OrgNode.parent_id, OrgNode.level, OrgNode.name, OrgNode.code, OrgNode.path
        ).order_by(OrgNode.path)
    ).all()
    people = dict(db.execute(select(Person.node_id, func.count()).group_by(Person.node_id)).all())
    grids: dict[int, int] = defaultdict(int)
    persons: dict[int, int] = defaultdict(int)
    for r in rows:
        ancestors = [int(p) for p in r.path.strip("/").split("/") if p]
        for a in ancestors:
            if r.level == OrgLevel.GRID:
                grids[a] += 1
            persons[a] += int(people.get(r.id, 0))
    nodes: dict[int, dict[str, Any]] = {}
    roots: list[dict[str, Any]] = []
    for r in rows:
        if r.level not in TREE_LEVELS:
            continue
        item = {
            "id": r.id,
            "name": r.name,
            "code": r.code,
            "level": level_label(r.level),
            "grids": grids[r.id],
            "people": persons[r.id],
            "children": [],
        }
        nodes[r.id] = item
        parent = nodes.get(r.parent_id) if r.parent_id is not None else None
        (parent["children"] if parent else roots).append(item)
    return roots


@router.get("/org", response_class=HTMLResponse)
def org_page(request: Request, db: DB, subject: CurrentSubject) -> HTMLResponse:
    admin_only(subject)
    return page(request, subject, "admin/org.html", "org", tree=org_tree(db))


@router.post("/org/import", response_class=HTMLResponse)
def org_import(
    request: Request,
    db: DB,
    subject: CurrentSubject,
    file: Annotated[UploadFile, File()],
    parent: Annotated[str, Form()] = "",
    dry_run: Annotated[str | None, Form()] = None,
) -> HTMLResponse:
    admin_only(subject)
    policy.require_permission(subject, P.ORG_WRITE)
    form = {"parent": parent, "dry_run": bool(dry_run)}
    try:
        data = read_upload(file)
        parent_node = None
        if parent.strip():
            parent_node = db.scalars(select(OrgNode).where(OrgNode.code == parent.strip())).first()
            if parent_node is None:
                raise NotFound(_("上级节点编码 {c} 不存在").format(c=parent.strip()))
        with db.begin_nested():
            report = grid_importer.import_grids(
                db,
                source=read_source(data, file.filename or ""),
                parent=parent_node,
                dry_run=bool(dry_run),
            )
    except CivicgridError as exc:
        return page(
            request,
            subject,
            "admin/org.html",
            "org",
            tree=org_tree(db),
            form=form,
            error=exc.message,
            status_code=exc.status_code,
        )
    return page(
        request,
        subject,
        "admin/org.html",
        "org",
        tree=org_tree(db),
        form=form,
        report=report,
        rows=report.rows(),
    )


# --- users and roles -----------------------------------------------------------------------


def users_context(db: DB) -> dict[str, Any]:
    users = auth_service.list_users(db)
    assignments: dict[int, list[str]] = defaultdict(list)
    rows = db.execute(
        select(RoleAssignment, OrgNode.name)
        .outerjoin(OrgNode, OrgNode.id == RoleAssignment.node_id)
        .order_by(RoleAssignment.id)
    ).all()
    for a, node_name in rows:
        label = _(ROLE_LABELS[Role(a.role)]) if a.role in ROLE_LABELS else a.role
        scope = " · ".join(x for x in (node_name, a.department) if x) or _("全系统")
        assignments[a.user_id].append(f"{label}（{scope}）")
    roles = [(str(r), _(label)) for r, label in ROLE_LABELS.items()]
    return {"users": users, "assignments": assignments, "roles": roles}


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, db: DB, subject: CurrentSubject) -> HTMLResponse:
    admin_only(subject)
    return page(request, subject, "admin/users.html", "users", form={}, **users_context(db))


@router.post("/users", response_class=HTMLResponse)
def create_user(
    request: Request,
    db: DB,
    subject: CurrentSubject,
    username: Annotated[str, Form()] = "",
    display_name: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    node_code: Annotated[str, Form()] = "",
    department: Annotated[str, Form()] = "",
) -> Response:
    admin_only(subject)
    form = {
        "username": username,
        "display_name": display_name,
        "role": role,
        "node_code": node_code,
        "department": department,
    }
    try:
        if role not in ROLE_LABELS:
            raise Invalid(_("请选择角色"), field="role")
        node = None
        if node_code.strip():
            node = db.scalars(select(OrgNode).where(OrgNode.code == node_code.strip())).first()
            if node is None:
                raise Invalid(_("管辖节点编码 {c} 不存在").format(c=node_code.strip()))
        with db.begin_nested():
            user = auth_service.create_user(
                db,
                username=username,
                password=password or None,
                display_name=display_name,
                kind="resident" if role == Role.RESIDENT else "staff",
                settings=settings_of(request),
            )
            by = db.get(User, subject.user_id)
            auth_service.assign_role(
                db, user=user, role=role, node=node, department=department, by=by
            )
    except CivicgridError as exc:
        return page(
            request,
            subject,
            "admin/users.html",
            "users",
            form=form,
            error=exc.message,
            status_code=exc.status_code,
            **users_context(db),
        )
    return RedirectResponse(f"/admin/users?created={quote(user.username)}", status_code=303)


@router.post("/users/disable")
def disable_user(
    db: DB, subject: CurrentSubject, user_id: Annotated[int, Form()]
) -> RedirectResponse:
    admin_only(subject)
    user = policy.access_user(db, subject, user_id, for_write=True)
    if user.id == subject.user_id:
        raise Invalid(_("不能停用自己的账号"))
    auth_service.disable_user(db, user=user)
    return RedirectResponse("/admin/users", status_code=303)


# --- responsibility list -------------------------------------------------------------------


def responsibility_context(db: DB) -> dict[str, Any]:
    version = rl.version_in_force(db)
    rows = rl.export_rows(db, version) if version is not None else []
    return {"version": version, "items": rows, "header": list(rows[0]) if rows else []}


@router.get("/responsibility", response_class=HTMLResponse)
def responsibility_page(request: Request, db: DB, subject: CurrentSubject) -> HTMLResponse:
    admin_only(subject)
    return page(
        request,
        subject,
        "admin/responsibility.html",
        "responsibility",
        **responsibility_context(db),
    )


@router.post("/responsibility", response_class=HTMLResponse)
def responsibility_upload(
    request: Request,
    db: DB,
    subject: CurrentSubject,
    file: Annotated[UploadFile, File()],
    note: Annotated[str, Form()] = "",
) -> HTMLResponse:
    admin_only(subject)
    try:
        path = saved_upload(file, read_upload(file))
        try:
            with open_table(path) as table, db.begin_nested():
                version = rl.import_rows(
                    db, rows=table.rows(), note=note.strip() or None, by=subject.user_id
                )
        finally:
            path.unlink(missing_ok=True)
    except CivicgridError as exc:
        rows = exc.details.get("rows", []) if isinstance(exc, Invalid) else []
        return page(
            request,
            subject,
            "admin/responsibility.html",
            "responsibility",
            error=exc.message,
            row_errors=rows,
            note=note,
            status_code=exc.status_code,
            **responsibility_context(db),
        )
    return page(
        request,
        subject,
        "admin/responsibility.html",
        "responsibility",
        published=version.number,
        **responsibility_context(db),
    )


@router.get("/responsibility.xlsx")
def responsibility_download(db: DB, subject: CurrentSubject) -> Response:
    admin_only(subject)
    version = rl.version_in_force(db)
    if version is None:
        raise NotFound(_("尚未发布权责清单"))
    rows = rl.export_rows(db, version)
    header = list(rows[0]) if rows else []
    with tempfile.TemporaryDirectory() as tmp:
        path = write_xlsx(Path(tmp) / "list.xlsx", header, [list(r.values()) for r in rows])
        body = path.read_bytes()
    name = quote(f"权责清单-v{version.number}.xlsx")
    return Response(
        body,
        media_type=XLSX,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"},
    )


# --- registries ----------------------------------------------------------------------------


def registry_kinds() -> list[tuple[str, str]]:
    return [(k, _(v)) for k, v in REGISTRY_KINDS.items()]


@router.get("/registry", response_class=HTMLResponse)
def registry_page(request: Request, subject: CurrentSubject) -> HTMLResponse:
    admin_only(subject)
    return page(
        request, subject, "admin/registry.html", "registry", kinds=registry_kinds(), form={}
    )


@router.post("/registry", response_class=HTMLResponse)
def registry_upload(
    request: Request,
    db: DB,
    subject: CurrentSubject,
    file: Annotated[UploadFile, File()],
    kind: Annotated[str, Form()] = "people",
    dry_run: Annotated[str | None, Form()] = None,
) -> HTMLResponse:
    admin_only(subject)
    policy.require_permission(subject, P.REGISTRY_IMPORT)
    form = {"kind": kind, "dry_run": bool(dry_run)}
    try:
        if kind not in REGISTRY_KINDS:
            raise Invalid(_("请选择导入类型"), field="kind")
        settings = settings_of(request)
        cipher = registry_service.field_cipher(settings.field_keys, settings.secret_key)
        path = saved_upload(file, read_upload(file))
        try:
            result = registry_service.import_file(
                db,
                kind=kind,
                path=path,
                cipher=cipher,
                options=ImportOptions(
                    dry_run=bool(dry_run),
                    threaded=False,
                    crypto_process_rows=None,
                    created_by=subject.user_id,
                ),
            )
        finally:
            path.unlink(missing_ok=True)
    except CivicgridError as exc:
        return page(
            request,
            subject,
            "admin/registry.html",
            "registry",
            kinds=registry_kinds(),
            form=form,
            error=exc.message,
            status_code=exc.status_code,
        )
    return page(
        request,
        subject,
        "admin/registry.html",
        "registry",
        kinds=registry_kinds(),
        form=form,
        result=result,
    )
