"""演示账号 — the demo's post-generation step: one account per role, passwords printed.

Registered in ``civicgrid.demo.steps.STEPS`` (kind ``"start"``, so the list is printed at every
demo start). Demo only: the passwords are known and the administrator's TOTP secret is fixed.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session

from civicgrid.auth.roles import ROLE_LABELS, Role
from civicgrid.auth.service import DEMO_ADMIN_TOTP_SECRET, create_demo_accounts
from civicgrid.auth.totp import provisioning_uri


class HasMessages(Protocol):
    messages: list[str]


def demo_accounts_step(session: Session, summary: HasMessages) -> None:
    """Create (or reuse) the demo accounts and list them in the demo's start-up summary."""
    accounts = create_demo_accounts(session)
    summary.messages.append("演示账号 Demo accounts (demo only — known passwords):")
    for username, role, password in accounts:
        summary.messages.append(f"  {username:<18} {password:<30} {ROLE_LABELS[Role(role)]}")
    summary.messages.append(
        f"  demo-admin TOTP secret {DEMO_ADMIN_TOTP_SECRET} "
        f"({provisioning_uri(DEMO_ADMIN_TOTP_SECRET, 'demo-admin')})"
    )
