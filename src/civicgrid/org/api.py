"""JSON routes of the territory: the tree, grid boundaries, grid import, teams, point lookup."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, File, Query, UploadFile
from sqlalchemy import select

from civicgrid.auth import policy
from civicgrid.auth import roles as P
from civicgrid.auth.deps import CurrentSubject, require
from civicgrid.auth.subject import Subject
from civicgrid.errors import Invalid, TooLarge
from civicgrid.kit.i18n import _
from civicgrid.kit.web import DB
from civicgrid.models.org import GridMember, OrgLevel, OrgNode
from civicgrid.org import importer, locate, service, team
from civicgrid.org.formats import read_source
from civicgrid.org.schemas import (
    ImportReportRead,
    LocateRead,
    MemberCreate,
    MemberRead,
    NodeRead,
    PartyBranchSet,
    TeamRead,
    TreeNodeRead,
    TreeRead,
    WorkerSet,
)

router = APIRouter(prefix="/api/org", tags=["territory"])

MAX_UPLOAD = 50 * 1024 * 1024


def _node_read(node: OrgNode, counts: dict[str, int] | None = None) -> NodeRead:
    return NodeRead.model_validate(node).model_copy(update={"counts": counts or {}})


def _tree_read(item: service.TreeNode) -> TreeNodeRead:
    base = NodeRead.model_validate(item.node).model_dump()
    return TreeNodeRead(
        **{**base, "counts": item.counts}, children=[_tree_read(c) for c in item.children]
    )


def _scope_roots(db: DB, subject: Subject, root: int | None) -> list[OrgNode | None]:
    """``root`` if the subject may read it (404 otherwise), else the top nodes of its scope."""
    if root is not None:
        return [policy.access_node(db, subject, root)]
    return policy.scope_roots(db, subject, P.ORG_READ)


def _level_counts(db: DB, roots: list[OrgNode | None]) -> dict[str, int]:
    total: dict[str, int] = {}
    for r in roots:
        for level, n in service.level_counts(db, r).items():
            total[level] = total.get(level, 0) + n
    return total


@router.get("/summary")
def summary(db: DB, subject: CurrentSubject) -> dict[str, Any]:
    """Counts of nodes per level of the administrative tree (within my scope)."""
    return {"levels": _level_counts(db, _scope_roots(db, subject, None))}


@router.get("/tree", response_model=TreeRead)
def tree(
    db: DB,
    subject: CurrentSubject,
    root: int | None = Query(None, description="Root node id (default: my whole scope)."),
    depth: int = Query(2, ge=0, le=10, description="Levels below the root to list."),
) -> TreeRead:
    """The administrative tree, ``depth`` levels deep, with descendant counts per level."""
    roots = _scope_roots(db, subject, root)
    items = [i for r in roots for i in service.tree(db, root=r, depth=depth)]
    return TreeRead(levels=_level_counts(db, roots), nodes=[_tree_read(i) for i in items])


@router.get("/nodes/{node_id}", response_model=NodeRead)
def node(db: DB, node_id: int, subject: CurrentSubject) -> NodeRead:
    """One node with the number of its descendants per level."""
    found = policy.access_node(db, subject, node_id)
    return _node_read(found, service.descendant_counts(db, [found.id])[found.id])


@router.get("/nodes/{node_id}/children", response_model=list[NodeRead])
def children(db: DB, node_id: int, subject: CurrentSubject) -> list[NodeRead]:
    """The direct children of a node, each with its descendants per level."""
    parent = policy.access_node(db, subject, node_id)
    kids = service.children_of(db, parent)
    counts = service.descendant_counts(db, [k.id for k in kids])
    return [_node_read(k, counts[k.id]) for k in kids]


@router.get("/grids.geojson")
def grids_geojson(db: DB, subject: CurrentSubject) -> dict[str, Any]:
    """Every grid within my scope as a GeoJSON FeatureCollection (for the map)."""
    stmt = select(OrgNode.id, OrgNode.name, OrgNode.code, OrgNode.parent_id, OrgNode.geometry)
    rows = db.execute(
        policy.readable(stmt, subject, OrgNode).where(
            OrgNode.level == OrgLevel.GRID, OrgNode.geometry.is_not(None)
        )
    ).all()
    features = [
        {
            "type": "Feature",
            "id": r.id,
            "properties": {"id": r.id, "name": r.name, "code": r.code, "parent_id": r.parent_id},
            "geometry": r.geometry,
        }
        for r in rows
        if r.geometry  # a JSON null passes IS NOT NULL
    ]
    return {"type": "FeatureCollection", "features": features}


@router.post("/grids/import", response_model=ImportReportRead)
def import_grids(
    db: DB,
    subject: Subject = require(P.ORG_WRITE),
    file: UploadFile = File(..., description="GeoJSON, KML/KMZ or a zipped Shapefile."),
    parent: str | None = Query(None, description="Code of the parent node of every feature."),
    level: str = Query(OrgLevel.GRID, description="Level of the imported nodes."),
    name_prop: str | None = Query(None, description="Property holding the name."),
    code_prop: str | None = Query(None, description="Property holding the code."),
    parent_prop: str | None = Query(
        None, description="Property holding the parent's code or name (dotted path allowed)."
    ),
    dry_run: bool = Query(False, description="Check and report without writing."),
) -> ImportReportRead:
    """Import grid boundaries; the report lists rejected and repaired features, overlaps and
    gaps. 422 with the per-feature reasons when no feature is valid."""
    data = file.file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise TooLarge(_("文件超过 {n} MB").format(n=MAX_UPLOAD // 1024 // 1024))
    if not data:
        raise Invalid(_("文件为空"))
    parent_node = service.get_node_by_code(db, parent) if parent else None
    if (parent and parent_node is None) or not policy.covers_node(
        db, subject, parent_node.id if parent_node else None, P.ORG_WRITE
    ):
        raise policy.not_found(OrgNode)  # unknown and out-of-scope parents look the same
    report = importer.import_grids(
        db,
        source=read_source(data, file.filename or ""),
        parent=parent_node,
        level=level,
        name_prop=name_prop,
        code_prop=code_prop,
        parent_prop=parent_prop,
        dry_run=dry_run,
    )
    body = report.to_dict()
    if report.imported == 0:
        raise Invalid(
            _("没有可导入的要素"),
            rejected=body["rejected"],
            features=report.features,
        )
    return ImportReportRead.model_validate(body)


@router.get("/locate", response_model=LocateRead)
def locate_point(
    db: DB,
    subject: CurrentSubject,
    lon: float = Query(..., ge=-180, le=180),
    lat: float = Query(..., ge=-90, le=90),
) -> LocateRead:
    """The grid containing a point (null outside every grid of my scope)."""
    grid_id = locate.assign_grid(db, lon, lat)
    if grid_id is None or not policy.can(db, subject, OrgNode, grid_id):
        return LocateRead(grid_id=None)
    return LocateRead(grid_id=grid_id, grid=_node_read(service.get_node_or_raise(db, grid_id)))


def _team_read(t: team.Team) -> TeamRead:
    def members(items: list[GridMember]) -> list[MemberRead]:
        return [MemberRead.model_validate(m) for m in items]

    return TeamRead(
        grid_id=t.grid.id,
        grid_name=t.grid.name,
        party_branch=t.party_branch,
        worker=MemberRead.model_validate(t.worker) if t.worker else None,
        liaisons=members(t.liaisons),
        volunteers=members(t.volunteers),
        stewards=members(t.stewards),
    )


def _grid(db: DB, subject: Subject, grid_id: int, *, for_write: bool = False) -> OrgNode:
    return policy.access_node(db, subject, grid_id, for_write=for_write)


@router.get("/grids/{grid_id}/team", response_model=TeamRead)
def get_team(db: DB, grid_id: int, subject: CurrentSubject) -> TeamRead:
    """The 1+X+N team of a grid and its party branch."""
    return _team_read(team.list_team(db, grid=_grid(db, subject, grid_id)))


@router.put("/grids/{grid_id}/team/worker", response_model=MemberRead)
def put_worker(db: DB, grid_id: int, body: WorkerSet, subject: CurrentSubject) -> MemberRead:
    """Set the grid's one full-time worker (replaces the current one)."""
    member = team.set_worker(
        db,
        grid=_grid(db, subject, grid_id, for_write=True),
        name=body.name,
        user_id=body.user_id,
        department=body.department,
    )
    return MemberRead.model_validate(member)


@router.post("/grids/{grid_id}/team/members", response_model=MemberRead, status_code=201)
def post_member(db: DB, grid_id: int, body: MemberCreate, subject: CurrentSubject) -> MemberRead:
    """Add a department liaison, a volunteer or a building steward."""
    member = team.add_member(
        db,
        grid=_grid(db, subject, grid_id, for_write=True),
        role=body.role,
        name=body.name,
        department=body.department,
        user_id=body.user_id,
    )
    return MemberRead.model_validate(member)


@router.delete("/grids/{grid_id}/team/members/{member_id}", status_code=204)
def delete_member(db: DB, grid_id: int, member_id: int, subject: CurrentSubject) -> None:
    """Remove a team member."""
    grid = _grid(db, subject, grid_id, for_write=True)
    team.remove_member(db, grid=grid, member_id=member_id)


@router.put("/grids/{grid_id}/party-branch", response_model=TeamRead)
def put_party_branch(
    db: DB, grid_id: int, body: PartyBranchSet, subject: CurrentSubject
) -> TeamRead:
    """Attach (or, with null, detach) a party branch to the grid."""
    grid = _grid(db, subject, grid_id, for_write=True)
    grid = team.set_party_branch(db, grid=grid, branch=body.party_branch)
    return _team_read(team.list_team(db, grid=grid))
