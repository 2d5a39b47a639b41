"""``deps.guard``: a router-wide guard — session, permission, ``scope`` codes and id parameters."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from civicgrid.auth import roles as P
from civicgrid.auth.deps import guard
from tests.auth.conftest import People, make_app
from tests.conftest import login
from tests.fixtures.world import World

router = APIRouter(prefix="/api/guarded")


@router.get("/area")
def area(scope: str | None = None) -> dict[str, str | None]:
    return {"scope": scope}


@router.get("/people/{person_id}")
def person(person_id: int) -> dict[str, int]:  # forgets to check: the guard does
    return {"id": person_id}


@router.post("/people/{person_id}/note")
def note(person_id: int) -> dict[str, int]:
    return {"id": person_id}


def _client(engine, db: Session) -> TestClient:  # type: ignore[no-untyped-def]
    app = make_app(engine, db)
    app.include_router(router, dependencies=[guard(P.REGISTRY_READ, P.REGISTRY_WRITE)])
    return TestClient(app)


def test_guard_needs_a_session_and_the_permission(engine, db: Session) -> None:  # type: ignore[no-untyped-def]
    client = _client(engine, db)
    assert client.get("/api/guarded/area").status_code == 401
    login(client, "dh-hotline")  # no registry permission
    assert client.get("/api/guarded/area").status_code == 403


def test_scope_parameter_is_checked_and_defaulted(
    engine,
    db: Session,
    world: World,  # type: ignore[no-untyped-def]
) -> None:
    client = _client(engine, db)
    login(client, "dh-leader")
    own, other = world.streets["东湖街道"].code, world.streets["西山街道"].code
    assert client.get("/api/guarded/area", params={"scope": own}).json() == {"scope": own}
    community = world.communities["东湖一社区"].code
    assert client.get("/api/guarded/area", params={"scope": community}).status_code == 200
    assert client.get("/api/guarded/area", params={"scope": other}).status_code == 404
    assert client.get("/api/guarded/area", params={"scope": "nope"}).status_code == 404
    # Left out: the leader's one street is filled in, never the whole district.
    assert client.get("/api/guarded/area").json() == {"scope": own}
    client.cookies.clear()
    login(client, "admin")
    assert client.get("/api/guarded/area").json() == {"scope": None}


def test_id_parameters_of_registered_resources_are_scoped(
    engine,
    db: Session,
    people: People,  # type: ignore[no-untyped-def]
) -> None:
    client = _client(engine, db)
    login(client, "dh-worker")
    mine, theirs = people["D1-1"].person.id, people["X1-1"].person.id
    assert client.get(f"/api/guarded/people/{mine}").status_code == 200
    assert client.get(f"/api/guarded/people/{theirs}").status_code == 404
    assert client.get("/api/guarded/people/987654321").status_code == 404
    assert client.post(f"/api/guarded/people/{mine}/note").status_code == 200
    assert client.post(f"/api/guarded/people/{theirs}/note").status_code == 404
    client.cookies.clear()
    login(client, "dh-leader")  # reads, may not write
    assert client.get(f"/api/guarded/people/{mine}").status_code == 200
    assert client.post(f"/api/guarded/people/{mine}/note").status_code == 403
