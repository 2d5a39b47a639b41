"""The request path's token lookup (``tokens.resolve_subject``): one query, the same subject as
``resolve_token`` + ``load_subject``, and nothing cached — every change takes effect at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth import service, tokens
from civicgrid.auth.roles import Role
from civicgrid.kit.timeutil import utcnow
from civicgrid.models.auth import ApiToken, RoleAssignment
from civicgrid.models.org import OrgNode

ALL_KINDS = [
    "workorder:create",
    "workorder:read",
    "workorder:dispatch",
    "registry:read",
    "org:read",
]


def _token(db: Session, username: str, permissions: list[str]) -> tuple[ApiToken, str]:
    user = service.get_user_or_raise(db, username)
    return tokens.create_token(db, user=user, name="t", permissions=permissions)


@pytest.mark.parametrize("username", ["dh-hotline", "dh-dept", "dh-worker", "admin", "resident"])
def test_same_subject_as_the_orm_path(db: Session, username: str) -> None:
    user = service.get_user_or_raise(db, username)
    # a second grant, so that several rows come back and their order matters
    street = db.scalars(select(OrgNode).where(OrgNode.name == "西山街道")).one()
    service.assign_role(db, user=user, role=Role.LEADER, node=street)
    _token_row, raw = _token(db, username, ALL_KINDS)
    fast = tokens.resolve_subject(db, raw, ip="10.0.0.1")
    found = tokens.resolve_token(db, raw)
    assert fast is not None and found is not None
    slow = service.load_subject(db, found[1], token=found[0], ip="10.0.0.1")
    assert fast == slow
    assert fast.grants == slow.grants and fast.ip == "10.0.0.1"
    assert fast.permissions <= frozenset(ALL_KINDS)


def test_every_change_takes_effect_on_the_next_lookup(db: Session) -> None:
    token, raw = _token(db, "dh-hotline", ["workorder:create", "workorder:read"])
    subject = tokens.resolve_subject(db, raw)
    assert subject is not None and subject.has("workorder:create")

    # a role revoked: the token carries no grant from it any more
    assignment = db.scalars(
        select(RoleAssignment).where(RoleAssignment.user_id == token.user_id)
    ).one()
    service.revoke_role(db, assignment=assignment)
    subject = tokens.resolve_subject(db, raw)
    assert subject is not None and not subject.has("workorder:create")

    # the owner disabled: no subject at all
    user = service.get_user_or_raise(db, "dh-hotline")
    service.disable_user(db, user=user)
    assert tokens.resolve_subject(db, raw) is None
    service.enable_user(db, user=user)
    assert tokens.resolve_subject(db, raw) is None  # disabling revoked the token for good

    # a fresh token, then revoked, then one that has expired
    other, raw_other = _token(db, "dh-dispatcher", ["workorder:read"])
    assert tokens.resolve_subject(db, raw_other) is not None
    tokens.revoke_token(db, token=other)
    assert tokens.resolve_subject(db, raw_other) is None
    expired, raw_expired = _token(db, "dh-leader", ["org:read"])
    expired.expires_at = utcnow() - timedelta(seconds=1)
    db.flush()
    assert tokens.resolve_subject(db, raw_expired) is None


def test_wrong_secret_unknown_id_and_malformed_are_refused(db: Session) -> None:
    token, raw = _token(db, "dh-leader", ["org:read"])
    wrong = raw[:-4] + ("AAAA" if not raw.endswith("AAAA") else "BBBB")
    assert tokens.resolve_subject(db, wrong) is None
    assert tokens.resolve_subject(db, raw.replace(f"cg_{token.id}_", "cg_999999999_")) is None
    assert tokens.resolve_subject(db, "cg_1_short") is None
    assert tokens.resolve_subject(db, "not a token") is None


def test_last_use_is_noted_at_most_once_a_minute(db: Session) -> None:
    token, raw = _token(db, "dh-leader", ["org:read"])
    assert token.last_used_at is None
    assert tokens.resolve_subject(db, raw) is not None
    db.refresh(token)
    first = token.last_used_at
    assert first is not None
    assert tokens.resolve_subject(db, raw) is not None
    db.refresh(token)
    assert token.last_used_at == first
    token.last_used_at = first - timedelta(minutes=2)
    db.flush()
    assert tokens.resolve_subject(db, raw) is not None
    db.refresh(token)
    assert token.last_used_at is not None and token.last_used_at > first - timedelta(minutes=2)
