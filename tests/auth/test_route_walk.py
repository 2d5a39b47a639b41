"""Walk EVERY route of the app (read from its route table, so routes added later are covered).

1. Without a session, every route outside ``PUBLIC`` answers 401 (JSON API) or redirects to
   ``/login`` (HTML pages).
2. Logged in as each seed account, nothing of the records outside the account's scope shows up:
   - routes with path parameters are called with the ids of records in the *other* street (and of
     the neighbouring grid, for grid workers): the answer must be exactly the answer for an id that
     does not exist (404, or 403 when the account lacks the permission altogether), and no write
     may succeed;
   - list and export routes (and their ``node_id``/``grid_id`` filters set to the other street)
     must not contain any marker of an out-of-scope record (names, ID numbers, phones, addresses,
     codes — masked or not), CSV and Excel included.

A new path parameter is resolved by its name (``ID_PARAMS``) or, for ``<table>_id``, by looking
for a row of that table in the other street through its ``node_id`` (directly or one foreign key
away). A route whose parameters cannot be resolved fails the test with a message saying what to add.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from civicgrid.auth import tokens
from civicgrid.models import Base
from civicgrid.models.auth import RoleAssignment, User
from civicgrid.models.evaluation import EvaluationRun
from civicgrid.models.org import GridMember, OrgNode, subtree_of
from tests.auth.conftest import People, Planted
from tests.conftest import login
from tests.fixtures.accounts import ACCOUNTS, SEED_ACCOUNTS
from tests.fixtures.world import World

# Routes anyone may call. Keep this list short and explicit; a route here is reviewed as public.
PUBLIC: list[tuple[str, str]] = [
    ("GET", r"/health"),
    ("GET", r"/api/openapi\.json"),
    ("GET", r"/api/docs"),
    ("GET", r"/docs/oauth2-redirect"),
    ("GET", r"/api/docs/oauth2-redirect"),
    ("GET", r"/login"),
    ("POST", r"/login"),
    ("POST", r"/logout"),  # ends the session if there is one, then redirects to /login
    ("POST", r"/prefs"),  # language and large-text cookies only (web/pages/prefs.py)
    ("POST", r"/api/auth/login"),
    ("POST", r"/api/auth/register/code"),
    ("POST", r"/api/auth/register"),
    # The tamper-evident ledger is public by design: tree heads, proofs and leaves carry no
    # personal data (see ledger/api.py); outsiders verify without an account.
    ("GET", r"/api/ledger/sth"),
    ("GET", r"/api/ledger/public-key"),
    ("GET", r"/api/ledger/entries/\{index\}"),
    ("GET", r"/api/ledger/consistency"),
    # Open311 GeoReport v2 is a public protocol: reads carry no personal data (see
    # workorders/open311.py; the conformance suite checks it); POST authenticates by api_key.
    ("GET", r"/open311/v2/.*"),
    ("POST", r"/open311/v2/requests\.\{fmt\}"),
]

MISSING_ID = 987_654_321

# Routes that may show the territory's grid outlines and names (never records) beyond the
# caller's scope: a reporter may pin a problem anywhere (web/pages/resident.py). Records of
# people, orders, entities … are still looked for in them.
REPORT_GEOGRAPHY: list[tuple[str, str]] = [("GET", r"/m/report/area\.geojson")]

# Path parameters that name shared configuration, not records of a place (nothing to guess),
# with the value used: "name" is an indicator system (evaluation configuration).
GLOBAL_PARAMS: dict[str, str] = {"name": "grid_worker"}
# Path parameters that are not ids: filled with a fixed, valid value.
FIXED_PARAMS: dict[str, str] = {"fmt": "csv", "action": "accept", "step": "report"}


def is_public(method: str, path: str) -> bool:
    return any(m == method and re.fullmatch(p, path) for m, p in PUBLIC)


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    route: APIRoute

    @property
    def params(self) -> list[str]:
        return re.findall(r"{(\w+)(?::\w+)?}", self.path)

    @property
    def query_names(self) -> set[str]:
        return {p.name for p in self.route.dependant.query_params}

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/")


def endpoints(app: FastAPI) -> list[Endpoint]:
    out = []
    for rc in iter_route_contexts(app.routes):
        route = rc.original_route
        if not isinstance(route, APIRoute):
            continue  # static files mount, the docs pages (public)
        for method in sorted(rc.methods or ()):
            if method not in ("HEAD", "OPTIONS"):
                out.append(Endpoint(method, rc.path or route.path, route))
    return out


# --- ids of records in a given place ------------------------------------------------------------


@dataclass
class Place:
    """Ids of records that live in one grid (for guessing) and the markers of that grid."""

    ids: dict[str, int]
    grid: OrgNode
    planted: Planted


def _extras(db: Session, world: World, grid_key: str, user: User) -> dict[str, int]:
    grid = world.grids[grid_key]
    member = GridMember(node_id=grid.id, role="volunteer", name=f"志愿者{grid_key}")
    db.add(member)
    token, _raw = tokens.create_token(db, user=user, name="walk", permissions=["org:read"])
    assignment = db.scalars(select(RoleAssignment).where(RoleAssignment.user_id == user.id)).one()
    street = next(s for s in world.streets.values() if grid.path.startswith(s.path))
    run = EvaluationRun(
        system_name="grid_worker",
        system_title=f"{street.name}网格员考核",
        level="worker",
        period_start=date(2025, 3, 1),
        period_end=date(2025, 3, 31),
        scope_code=street.code,
        method="weighted_sum",
        result={
            "system_name": "grid_worker",
            "system_title": f"{street.name}网格员考核",
            "level": "worker",
            "level_label": "网格员",
            "period_start": "2025-03-01",
            "period_end": "2025-03-31",
            "scope": street.code,
            "method": "weighted_sum",
            "weighting": "expert",
            "computed_at": "2025-04-01T00:00:00+00:00",
            "indicators": [],
            "entities": [],
        },
    )
    db.add(run)
    db.flush()
    return {
        "member_id": member.id,
        "token_id": token.id,
        "user_id": user.id,
        "assignment_id": assignment.id,
        "run_id": run.id,
    }


def place_of(db: Session, world: World, people: People, grid_key: str, owner: str) -> Place:
    planted = people[grid_key]
    grid = world.grids[grid_key]
    user = db.scalars(select(User).where(User.username == owner)).one()
    ids = {
        "person_id": planted.person.id,
        "household_id": planted.household.id,
        "entity_id": planted.entity.id,
        "place_id": planted.place.id,
        "workorder_id": planted.workorder.id,
        "work_order_id": planted.workorder.id,
        "order_id": planted.workorder.id,
        "node_id": grid.id,
        "grid_id": grid.id,
        "community_id": grid.parent_id or 0,
        **_extras(db, world, grid_key, user),
    }
    ids.update(_workorder_extras(db, planted.workorder.id))
    return Place(ids=ids, grid=grid, planted=planted)


def _workorder_extras(db: Session, work_order_id: int) -> dict[str, int]:
    """A photo and a joint-handling part on the planted order, so their routes are walked."""
    from civicgrid.kit.timeutil import utcnow
    from civicgrid.models.workorder import Attachment, WorkOrderPart

    part = WorkOrderPart(work_order_id=work_order_id, department=f"walk-{work_order_id}")
    photo = Attachment(
        work_order_id=work_order_id,
        filename="p.jpg",
        content_type="image/jpeg",
        size=1,
        sha256="0" * 64,
        path="missing.jpg",
        created_at=utcnow(),
    )
    db.add_all([part, photo])
    db.flush()
    return {"work_order_part_id": part.id, "attachment_id": photo.id}


def _table_for(param: str) -> Table | None:
    stem = param.removesuffix("_id")
    tables = Base.metadata.tables
    for name in (stem, f"{stem}s", stem.replace("_", "")):
        if name in tables:
            return tables[name]
    candidates = [t for n, t in tables.items() if n.endswith(stem) or n.startswith(stem)]
    return candidates[0] if len(candidates) == 1 else None


def resolve(db: Session, param: str, place: Place) -> int | None:
    """An id for ``param`` of a record under ``place.grid``'s street (or exactly it)."""
    if param in place.ids:
        return place.ids[param]
    table = _table_for(param)
    if table is None:
        return None
    street_path = "/".join(place.grid.path.split("/")[:3]) + "/"
    in_street = select(OrgNode.id).where(subtree_of(OrgNode.path, street_path))
    if "node_id" in table.c:
        row = db.execute(select(table.c.id).where(table.c.node_id.in_(in_street)).limit(1)).first()
        return int(row[0]) if row else None
    for fk in table.foreign_keys:
        parent = fk.column.table
        if "node_id" in parent.c:
            row = db.execute(
                select(table.c.id)
                .join(parent, fk.parent == fk.column)
                .where(parent.c.node_id.in_(in_street))
                .limit(1)
            ).first()
            if row:
                return int(row[0])
    return None


def url_for(endpoint: Endpoint, values: dict[str, Any]) -> str:
    path = endpoint.path
    for name in endpoint.params:
        path = re.sub(r"{" + name + r"(?::\w+)?}", str(values[name]), path)
    return path


# --- response inspection -------------------------------------------------------------------------


def text_of(response: Response) -> str:
    """Everything a person could read in the response, XLSX unpacked."""
    content_type = response.headers.get("content-type", "")
    body = response.content
    if "spreadsheetml" in content_type or body[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(body)) as zf:
            return "\n".join(zf.read(n).decode("utf-8", "replace") for n in zf.namelist())
    return body.decode("utf-8", "replace")


def leaks(response: Response, markers: list[str]) -> list[str]:
    text = text_of(response)
    return [m for m in markers if m and m in text]


def out_of_scope(account_node: str | None, world: World, people: People) -> list[Planted]:
    if account_node is None:
        return []
    scope = next(n for n in [*world.streets.values(), *world.grids.values()]
                 if n.name == account_node)  # fmt: skip
    return [p for p in people.all() if not world.grids[p.grid].path.startswith(scope.path)]


def record_markers(account_node: str, world: World, people: People) -> list[str]:
    return [m for p in out_of_scope(account_node, world, people) for m in p.markers]


def other_street_markers(account_node: str, world: World, people: People) -> list[str]:
    markers = record_markers(account_node, world, people)
    street = next(s for s in world.streets.values() if account_node in (s.name,) or any(
        g.name == account_node and g.path.startswith(s.path) for g in world.grids.values()
    ))  # fmt: skip
    for node in [*world.streets.values(), *world.communities.values(), *world.grids.values()]:
        if not (node.path.startswith(street.path) or street.path.startswith(node.path)):
            markers += [node.name, node.code]
    return markers


# --- the tests -----------------------------------------------------------------------------------


def test_public_list_only_names_existing_routes(app: FastAPI) -> None:
    listed = {(m, p) for m, p in PUBLIC}
    present = {(e.method, e.path) for e in endpoints(app)}
    present |= {("GET", r.path) for r in app.routes if hasattr(r, "path")}
    stale = [
        (m, p) for m, p in listed if not any(m == pm and re.fullmatch(p, pp) for pm, pp in present)
    ]
    assert (
        not stale
        or stale == [("GET", r"/api/docs/oauth2-redirect")]
        or stale == [("GET", r"/docs/oauth2-redirect")]
    ), f"public entries matching no route: {stale}"


def test_every_non_public_route_requires_a_session(
    client: TestClient, app: FastAPI, db: Session, world: World, people: People
) -> None:
    place = place_of(db, world, people, "X1-1", "xs-worker")
    client.get("/login")  # a CSRF cookie, so that CSRF never masks the answer
    client.headers["X-CSRF-Token"] = client.cookies.get("cg_csrf") or ""
    checked, wrong = 0, []
    for ep in endpoints(app):
        if is_public(ep.method, ep.path):
            continue
        values = {n: resolve(db, n, place) or 1 for n in ep.params}
        response = client.request(ep.method, url_for(ep, values), json={}, follow_redirects=False)
        hops = 0
        while (
            not ep.is_api
            and response.status_code in (302, 303, 307, 308)
            and not response.headers.get("location", "").startswith(("/login", "http"))
            and hops < 3
        ):  # an alias (/m/tasks → /m/worker) is fine when where it leads is protected
            response = client.get(response.headers["location"], follow_redirects=False)
            hops += 1
        checked += 1
        if ep.is_api:
            if response.status_code != 401:
                wrong.append(f"{ep.method} {ep.path}: {response.status_code} (want 401)")
        elif response.status_code not in (302, 303, 307) or not response.headers.get(
            "location", ""
        ).startswith("/login"):
            wrong.append(f"{ep.method} {ep.path}: {response.status_code} (want redirect to /login)")
    assert checked >= 10
    assert not wrong, "routes reachable without a session:\n" + "\n".join(wrong)


SCOPED = [a.username for a in SEED_ACCOUNTS if a.node is not None]


@pytest.mark.parametrize("username", SCOPED)
def test_each_role_sees_only_its_scope(
    username: str, client: TestClient, app: FastAPI, db: Session, world: World, people: People
) -> None:
    account = ACCOUNTS[username]
    assert account.node is not None
    if account.node.endswith("网格"):
        mine_grid = account.node.removesuffix("网格")
    else:
        mine_grid = "D1-1" if account.street == "东湖街道" else "X1-1"
    # Guess with ids from the nearest foreign grid of the same street (grid roles) and from one
    # grid of the other street; leaks are looked for among ALL out-of-scope records.
    outside = [p.grid for p in out_of_scope(account.node, world, people)]
    foreign = [g for g in outside if g[0] == mine_grid[0]][:1] + [
        g for g in outside if g[0] != mine_grid[0]
    ][:1]
    other_owner = "xs-worker" if account.street == "东湖街道" else "dh-worker"
    places = [place_of(db, world, people, g, other_owner) for g in foreign]
    cache: dict[tuple[str, int], int | None] = {}

    def resolved(name: str, place: Place) -> int | None:
        key = (name, place.grid.id if place is not mine else -place.grid.id)
        if key not in cache:
            cache[key] = resolve(db, name, place)
        return cache[key]

    mine = place_of(db, world, people, mine_grid, username)
    markers = other_street_markers(account.node, world, people)
    records_only = record_markers(account.node, world, people)
    login(client, username)

    problems: list[str] = []
    positive = 0
    unresolved: set[str] = set()
    for ep in endpoints(app):
        if is_public(ep.method, ep.path) or ep.path == "/api/auth/logout":
            continue
        id_params = [n for n in ep.params if n not in FIXED_PARAMS and n not in GLOBAL_PARAMS]
        if not id_params:
            if ep.method != "GET":
                continue  # nothing to guess: creating things is not reading the other street
            queries: list[dict[str, Any]] = [{}]
            for name in ("node_id", "grid_id"):
                if name in ep.query_names:
                    queries += [{name: place.grid.id} for place in places]
            geography = any(
                m == ep.method and re.fullmatch(p, ep.path) for m, p in REPORT_GEOGRAPHY
            )
            for query in queries:
                response = client.get(url_for(ep, {**FIXED_PARAMS, **GLOBAL_PARAMS}), params=query)
                found = leaks(response, records_only if geography else markers)
                if found:
                    problems.append(f"GET {ep.path} {query}: shows {found[:3]}")
            continue
        values_missing = {**FIXED_PARAMS, **GLOBAL_PARAMS, **dict.fromkeys(id_params, MISSING_ID)}
        baseline = client.request(ep.method, url_for(ep, values_missing), json={})
        for place in places:
            values: dict[str, Any] = {**FIXED_PARAMS, **GLOBAL_PARAMS}
            for name in id_params:
                value = resolved(name, place)
                if value is None:
                    unresolved.add(f"{ep.path}: {{{name}}}")
                    break
                values[name] = value
            else:
                response = client.request(ep.method, url_for(ep, values), json={})
                if response.status_code != baseline.status_code:
                    problems.append(
                        f"{ep.method} {ep.path} with {place.grid.name} ids: "
                        f"{response.status_code}, a missing id gives {baseline.status_code}"
                    )
                elif response.status_code < 400 and ep.method != "GET":
                    problems.append(f"{ep.method} {ep.path}: write accepted on {place.grid.name}")
                found = leaks(response, markers)
                if found:
                    problems.append(f"{ep.method} {ep.path}: shows {found[:3]}")
        if ep.method == "GET" and all(resolved(n, mine) is not None for n in id_params):
            own = client.get(
                url_for(
                    ep,
                    {**FIXED_PARAMS, **GLOBAL_PARAMS, **{n: resolved(n, mine) for n in id_params}},
                )
            )
            positive += own.status_code == 200
    assert not unresolved, (
        "path parameters the walk cannot fill with an out-of-scope id — add them to "
        "tests/auth/test_route_walk.py (place_of / resolve):\n" + "\n".join(sorted(unresolved))
    )
    assert not problems, f"{username} sees outside its scope:\n" + "\n".join(problems)
    if username in ("dh-worker", "dh-leader", "xs-worker"):
        assert positive >= 1, "the walk never read an in-scope record: it proves nothing"
