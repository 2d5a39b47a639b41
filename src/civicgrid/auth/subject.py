"""The subject of a request: who is acting, with which grants (pure data, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field

from civicgrid.auth.roles import ScopeKind, scope_kind_of


@dataclass(frozen=True)
class Grant:
    """One role assignment as seen by the policy: permissions over a scope.

    ``node_path`` is the materialised path of the scope node ("/1/4/"), None when the assignment
    has no node; ``department`` likewise. Both None on an ASSIGNED role means the whole system.
    """

    role: str
    permissions: frozenset[str]
    node_id: int | None = None
    node_path: str | None = None
    department: str | None = None

    @property
    def scope_kind(self) -> ScopeKind:
        return scope_kind_of(self.role)

    @property
    def is_global(self) -> bool:
        return (
            self.scope_kind is ScopeKind.ASSIGNED
            and self.node_path is None
            and self.department is None
        )


@dataclass(frozen=True)
class Subject:
    """An authenticated user, as the policy needs them.

    When authenticated by an API token, every grant's permissions are already intersected with the
    token's. When a second factor is still owed (an administrator who has not enrolled TOTP), the
    grants carry no permission at all until enrolment is done.
    """

    user_id: int
    username: str
    display_name: str = ""
    kind: str = "staff"
    person_id: int | None = None
    grants: tuple[Grant, ...] = ()
    token_id: int | None = None
    session_id: int | None = None
    totp_enrolment_required: bool = False
    ip: str | None = field(default=None, compare=False)

    @property
    def permissions(self) -> frozenset[str]:
        return frozenset().union(*(g.permissions for g in self.grants))

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(g.role for g in self.grants)

    def has(self, permission: str) -> bool:
        """Holds ``permission`` somewhere (the scope is the policy's business)."""
        return any(permission in g.permissions for g in self.grants)

    def grants_for(self, permission: str) -> tuple[Grant, ...]:
        return tuple(g for g in self.grants if permission in g.permissions)
