"""The policy: roles × scopes → filters and yes/no, checked against the seed world."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth import policy
from civicgrid.auth import roles as P
from civicgrid.auth.roles import ROLE_PERMISSIONS, Role, validate_scope
from civicgrid.auth.service import get_user_or_raise, load_subject
from civicgrid.auth.subject import Grant, Subject
from civicgrid.errors import NotFound, PermissionDenied
from civicgrid.models.auth import AuthSession
from civicgrid.models.org import OrgNode
from civicgrid.models.registry import Person
from civicgrid.models.workorder import WorkOrder
from tests.auth.conftest import People
from tests.fixtures.world import World


def subject_of(db: Session, username: str) -> Subject:
    """The subject as after a login (the admin's with its second factor verified)."""
    return load_subject(db, get_user_or_raise(db, username), auth_session=AuthSession(mfa_ok=True))


def visible_people(db: Session, subject: Subject) -> set[str]:
    stmt = policy.readable(select(Person.name), subject, Person)
    return set(db.scalars(stmt))


def test_role_table_is_sane() -> None:
    assert set(ROLE_PERMISSIONS) == set(Role)
    evaluator = ROLE_PERMISSIONS[Role.EVALUATOR]
    assert all(p.endswith(":read") or p == P.TOKEN_CREATE for p in evaluator)  # read-only
    assert P.REGISTRY_UNMASK not in ROLE_PERMISSIONS[Role.ADMIN]
    assert P.USER_MANAGE in ROLE_PERMISSIONS[Role.ADMIN]
    assert P.REGISTRY_READ not in ROLE_PERMISSIONS[Role.DEPARTMENT_HANDLER]
    assert validate_scope("grid_worker", node_id=None, department=None)  # needs a scope
    assert validate_scope("department_handler", node_id=3, department=None)  # needs a dept
    assert validate_scope("resident", node_id=3, department=None)  # residents have no scope
    assert validate_scope("admin", node_id=None, department=None) is None  # global is fine
    assert validate_scope("wizard", node_id=None, department=None)


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("dh-worker", {"郑东湖"}),
        ("dh-worker2", {"钱二格"}),
        ("dh-dispatcher", {"郑东湖", "钱二格"}),
        ("dh-leader", {"郑东湖", "钱二格"}),
        ("xs-worker", {"孙西山"}),
        ("xs-leader", {"孙西山", "李远山"}),
        ("admin", {"郑东湖", "钱二格", "孙西山", "李远山"}),
    ],
)
def test_people_visible_by_scope(
    db: Session, people: People, username: str, expected: set[str]
) -> None:
    assert visible_people(db, subject_of(db, username)) == expected


def test_no_permission_is_403_not_an_empty_list(db: Session, people: People) -> None:
    for username in ("dh-dept", "dh-evaluator", "dh-hotline"):
        with pytest.raises(PermissionDenied):
            visible_people(db, subject_of(db, username))


def test_access_answers_404_for_missing_and_out_of_scope_alike(db: Session, people: People) -> None:
    worker = subject_of(db, "dh-worker")
    assert policy.access_person(db, worker, people["D1-1"].person.id).name == "郑东湖"
    messages = []
    for person_id in (people["X1-1"].person.id, people["D1-2"].person.id, 987654321):
        with pytest.raises(NotFound) as exc:
            policy.access_person(db, worker, person_id)
        messages.append(exc.value.message)
    assert len(set(messages)) == 1
    assert not policy.can(db, worker, Person, people["X1-1"].person.id)
    # Writes need the write permission: a leader reads but does not write the registry.
    leader = subject_of(db, "dh-leader")
    assert policy.can(db, leader, Person, people["D1-1"].person.id)
    with pytest.raises(PermissionDenied):
        policy.access_person(db, leader, people["D1-1"].person.id, for_write=True)


def test_department_scope_sees_its_department_in_its_street(db: Session, people: People) -> None:
    handler = subject_of(db, "dh-dept")
    stmt = policy.readable(select(WorkOrder.code), handler, WorkOrder)
    assert set(db.scalars(stmt)) == {"WO-D1-1-0001", "WO-D1-2-0001"}
    people["D1-2"].workorder.department = "水务"
    db.flush()
    assert set(db.scalars(stmt)) == {"WO-D1-1-0001"}
    # A department says nothing about territory-only resources.
    with pytest.raises(PermissionDenied):
        policy.readable(select(OrgNode.id), handler, OrgNode)


def test_residents_see_their_own_records(db: Session, people: People) -> None:
    resident = get_user_or_raise(db, "resident")
    assert visible_people(db, load_subject(db, resident)) == set()
    resident.person_id = people["X2-1"].person.id
    db.flush()
    subject = load_subject(db, resident)
    assert visible_people(db, subject) == {"李远山"}
    orders = set(db.scalars(policy.readable(select(WorkOrder.code), subject, WorkOrder)))
    assert orders == {"WO-X2-1-0001"}  # reported by their person


def test_several_assignments_add_up(db: Session, world: World, people: People) -> None:
    d11, xs = world.grids["D1-1"].path, world.streets["西山街道"].path
    subject = Subject(
        user_id=0,
        username="two-hats",
        grants=(
            Grant("grid_worker", ROLE_PERMISSIONS[Role.GRID_WORKER], node_path=d11),
            Grant("leader", ROLE_PERMISSIONS[Role.LEADER], node_path=xs),
        ),
    )
    assert visible_people(db, subject) == {"郑东湖", "孙西山", "李远山"}
    # The unmask permission only reaches as far as the grant that carries it.
    unmaskable = select(Person.name).where(
        policy.scope_filter(subject, Person, permission=P.REGISTRY_UNMASK)
    )
    assert set(db.scalars(unmaskable)) == {"郑东湖"}
    assert [n.name for n in policy.scope_roots(db, subject, P.ORG_READ)] == ["D1-1网格", "西山街道"]


def test_token_narrows_and_pending_totp_empties_permissions(db: Session) -> None:
    from civicgrid.models.auth import ApiToken

    user = get_user_or_raise(db, "dh-worker")
    token = ApiToken(user_id=user.id, name="t", secret_hash="x", permissions=["org:read"])
    narrowed = load_subject(db, user, token=token)
    assert narrowed.permissions == {"org:read"}
    admin = get_user_or_raise(db, "admin")
    assert load_subject(db, admin).permissions == frozenset()  # no session with a second factor
    assert load_subject(db, admin).totp_enrolment_required


def test_unregistered_model_is_refused_loudly() -> None:
    class Stranger:
        id = 1

    with pytest.raises(LookupError):
        policy.resource_for(Stranger)
