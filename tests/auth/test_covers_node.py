"""``policy.covers_node`` decides from the node's path in Python: the same answer as the SQL
scope filter (``policy.can``) for every seed account, node and permission."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth import policy
from civicgrid.auth import roles as P
from civicgrid.auth.service import get_user_or_raise, load_subject
from civicgrid.auth.subject import Grant, Subject
from civicgrid.models.auth import AuthSession
from civicgrid.models.org import OrgNode
from tests.fixtures.accounts import SEED_ACCOUNTS

PERMISSIONS = (P.WORKORDER_CREATE, P.WORKORDER_READ, P.REGISTRY_WRITE, P.ORG_READ, P.USER_MANAGE)


def test_same_answer_as_the_sql_filter(db: Session) -> None:
    nodes = list(db.scalars(select(OrgNode.id)))
    subjects = [
        load_subject(db, get_user_or_raise(db, a.username), auth_session=AuthSession(mfa_ok=True))
        for a in SEED_ACCOUNTS
    ]
    street = db.scalars(select(OrgNode).where(OrgNode.name == "东湖街道")).one()
    # department-only and department-inside-a-street grants, and a grant on a missing node
    everything = frozenset(PERMISSIONS)
    dept = Grant("department_handler", everything, None, None, "城管")
    dept_in_street = Grant("dispatcher", everything, street.id, street.path, "城管")
    subjects += [
        Subject(user_id=0, username="dept", grants=(dept,)),
        Subject(user_id=0, username="dept-in-street", grants=(dept_in_street,)),
    ]
    checked = 0
    for subject in subjects:
        for permission in PERMISSIONS:
            for node_id in [*nodes, 10**9]:
                expected = policy.can(db, subject, OrgNode, node_id, permission=permission)
                got = policy.covers_node(db, subject, node_id, permission)
                assert got == expected, (subject.username, permission, node_id)
                checked += expected
    assert checked > 0
