"""Who acts on an order: the subject's roles whose grants cover it, as ``auth.policy`` decides."""

from __future__ import annotations

import dataclasses

from sqlalchemy.orm import Session

from civicgrid.auth import policy
from civicgrid.auth import roles as P
from civicgrid.auth.subject import Subject
from civicgrid.models.workorder import WorkOrder
from civicgrid.workorders.service import Actor
from civicgrid.workorders.states import Role

# Accounts of machines act in the loop as the system (e.g. a sensor gateway opening an order).
MACHINE_ROLES = {P.Role.SENSOR_GATEWAY.value: Role.SYSTEM}
# The permission a role needs over an order to act on it through the transition table.
ACTING_PERMISSIONS = (P.WORKORDER_DISPATCH, P.WORKORDER_HANDLE, P.WORKORDER_RATE)


def actor_for(session: Session, subject: Subject, order: WorkOrder | None = None) -> Actor:
    """The roles of ``subject`` that may act on ``order`` (all its roles when order is None)."""
    roles: set[Role] = set()
    department: str | None = None
    for grant in subject.grants:
        try:
            role = MACHINE_ROLES.get(grant.role) or Role(grant.role)
        except ValueError:
            continue
        if order is None:
            roles.add(role)
            continue
        permission = next((p for p in ACTING_PERMISSIONS if p in grant.permissions), None)
        if permission is None:
            continue
        single = dataclasses.replace(subject, grants=(grant,))
        if policy.can(session, single, WorkOrder, order.id, permission=permission):
            roles.add(role)
            if grant.department and department is None:
                department = grant.department
    name = subject.display_name or subject.username
    return Actor(user_id=subject.user_id, name=name, roles=frozenset(roles), department=department)
