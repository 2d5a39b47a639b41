"""``civicgrid users`` / ``tokens`` / ``keys`` — accounts, API tokens and field-key rotation."""

from __future__ import annotations

import secrets
from pathlib import Path

import typer
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import select

from civicgrid.auth import fields, keys, service, tokens
from civicgrid.auth.roles import ROLE_LABELS, Role
from civicgrid.cli.common import console, err_console, session_scope
from civicgrid.errors import CivicgridError
from civicgrid.kit.crypto import generate_key
from civicgrid.kit.tabular import write_table
from civicgrid.models import Base
from civicgrid.models.auth import ApiToken, User
from civicgrid.models.org import OrgNode
from civicgrid.org.service import get_node_by_code

app = typer.Typer(help="账号 User accounts and their roles.", no_args_is_help=True)
tokens_app = typer.Typer(help="API 令牌 Machine tokens (Bearer cg_…).", no_args_is_help=True)
keys_app = typer.Typer(help="字段加密密钥 Field encryption keys.", no_args_is_help=True)

DB_OPTION = typer.Option(None, "--db", help="SQLite file to use instead of the configured URL.")
ROLES = ", ".join(r.value for r in Role)


def _fail(message: str) -> typer.Exit:
    err_console.print(f"[red]{message}[/red]")
    return typer.Exit(code=1)


def _node(session: object, code: str | None) -> OrgNode | None:
    if not code:
        return None
    node = get_node_by_code(session, code)  # type: ignore[arg-type]
    if node is None:
        raise _fail(f"节点编码 {code} 不存在")
    return node


@app.command("create")
def create(
    username: str = typer.Argument(..., help="Login name (lower-case letters, digits, _ . -)."),
    role: str = typer.Option(..., "--role", help=f"One of: {ROLES}."),
    node: str | None = typer.Option(None, "--node", help="Code of the scope node (subtree)."),
    department: str | None = typer.Option(None, "--department", help="Department scope."),
    display_name: str = typer.Option("", "--display-name", help="Name shown in the interface."),
    password: str | None = typer.Option(
        None, "--password", help="Password (prompted for, hidden, when omitted)."
    ),
    generate: bool = typer.Option(False, "--generate", help="Generate and print a password."),
    db: str | None = DB_OPTION,
) -> None:
    """Create an account with one role over a scope (more with ``users grant``)."""
    if generate:
        password = secrets.token_urlsafe(12)
    elif password is None:
        password = typer.prompt("密码 Password", hide_input=True, confirmation_prompt=True)
    try:
        with session_scope(db) as session:
            user = service.create_user(
                session, username=username, password=password, display_name=display_name
            )
            service.assign_role(
                session, user=user, role=role, node=_node(session, node), department=department
            )
            needs_totp = role in service.totp_required_roles()
    except CivicgridError as exc:
        raise _fail(exc.message) from None
    console.print(f"[green]created {username} ({role})[/green]")
    if generate:
        console.print(f"password: {password}")
    if needs_totp:
        console.print("this role must enrol TOTP at first login (POST /api/auth/totp/setup)")


@app.command("grant")
def grant(
    username: str = typer.Argument(...),
    role: str = typer.Option(..., "--role", help=f"One of: {ROLES}."),
    node: str | None = typer.Option(None, "--node", help="Code of the scope node."),
    department: str | None = typer.Option(None, "--department", help="Department scope."),
    db: str | None = DB_OPTION,
) -> None:
    """Give an existing account another role over a scope."""
    try:
        with session_scope(db) as session:
            user = service.get_user_or_raise(session, username)
            service.assign_role(
                session, user=user, role=role, node=_node(session, node), department=department
            )
    except CivicgridError as exc:
        raise _fail(exc.message) from None
    console.print(f"[green]{username}: + {role}[/green]")


@app.command("list")
def list_users(
    output: Path | None = typer.Option(None, "--output", "-o", help="Write a .csv or .xlsx file."),
    db: str | None = DB_OPTION,
) -> None:
    """Every account with its roles and scopes."""
    header = ["username", "display_name", "kind", "active", "totp", "roles", "last_login"]
    rows: list[list[object]] = []
    with session_scope(db) as session:
        for user in service.list_users(session):
            roles = []
            for a, n in service.assignments_of(session, user):
                scope = " / ".join(x for x in (n.name if n else None, a.department) if x)
                roles.append(f"{a.role}@{scope or '全局'}" if a.role != "resident" else a.role)
            rows.append(
                [
                    user.username,
                    user.display_name,
                    user.kind,
                    "yes" if user.is_active else "no",
                    "yes" if user.totp_enabled_at else "no",
                    "; ".join(roles),
                    user.last_login_at.isoformat(timespec="minutes") if user.last_login_at else "",
                ]
            )
    if output is not None:
        write_table(output, header, rows)
        console.print(f"{len(rows)} users written to {output}")
        return
    table = Table(*header)
    for col in table.columns:
        col.overflow = "fold"
    for row in rows:
        table.add_row(*(str(v) for v in row))
    console.print(table)


@app.command("disable")
def disable(username: str = typer.Argument(...), db: str | None = DB_OPTION) -> None:
    """Disable an account: no logins; its sessions and tokens stop working at once."""
    try:
        with session_scope(db) as session:
            service.disable_user(session, user=service.get_user_or_raise(session, username))
    except CivicgridError as exc:
        raise _fail(exc.message) from None
    console.print(f"[yellow]{username} disabled[/yellow]")


@app.command("roles")
def roles() -> None:
    """The roles and what each may do."""
    from civicgrid.auth.roles import ROLE_PERMISSIONS

    for role, perms in ROLE_PERMISSIONS.items():
        console.print(f"[bold]{role.value}[/bold] {ROLE_LABELS[role]}: {', '.join(sorted(perms))}")


@tokens_app.command("create")
def create_token(
    username: str = typer.Argument(..., help="Owner of the token."),
    name: str = typer.Option(..., "--name", help="What the token is for."),
    permission: list[str] = typer.Option(
        ..., "--permission", "-p", help="A permission the token carries (repeat)."
    ),
    days: int = typer.Option(90, "--days", help="Lifetime in days."),
    db: str | None = DB_OPTION,
) -> None:
    """Create an API token; it is printed once (only its hash is stored)."""
    try:
        with session_scope(db) as session:
            user = service.get_user_or_raise(session, username)
            owner = service.load_subject(session, user, auth_session=None)
            missing = [p for p in permission if p not in owner.permissions]
            if missing and not owner.totp_enrolment_required:
                raise _fail(f"{username} 没有这些权限：{', '.join(missing)}")
            token, raw = tokens.create_token(
                session, user=user, name=name, permissions=permission, expires_in_days=days
            )
            token_id = token.id
    except CivicgridError as exc:
        raise _fail(exc.message) from None
    console.print(f"token {token_id} for {username}:")
    typer.echo(raw)


@tokens_app.command("revoke")
def revoke_token(token_id: int = typer.Argument(...), db: str | None = DB_OPTION) -> None:
    """Revoke a token: it stops working with the next request."""
    with session_scope(db) as session:
        token = session.get(ApiToken, token_id)
        if token is None:
            raise _fail(f"令牌 {token_id} 不存在")
        tokens.revoke_token(session, token=token)
    console.print(f"[yellow]token {token_id} revoked[/yellow]")


@tokens_app.command("list")
def list_tokens(username: str = typer.Argument(...), db: str | None = DB_OPTION) -> None:
    """A user's tokens (never their secrets)."""
    table = Table("id", "name", "permissions", "expires", "revoked", "last used")
    with session_scope(db) as session:
        user = session.scalars(select(User).where(User.username == username)).first()
        if user is None:
            raise _fail(f"用户 {username} 不存在")
        for t in tokens.tokens_of(session, user):
            table.add_row(
                str(t.id),
                t.name,
                ", ".join(t.permissions),
                str(t.expires_at or ""),
                str(t.revoked_at or ""),
                str(t.last_used_at or ""),
            )
    console.print(table)


@keys_app.command("rotate")
def rotate(
    batch: int = typer.Option(1000, "--batch", help="Rows per batch."),
    db: str | None = DB_OPTION,
) -> None:
    """Re-encrypt every encrypted field with the newest key (the first of CIVICGRID_FIELD_KEYS)."""
    cipher = fields.cipher()
    with session_scope(db) as session:
        total = keys.count_stale(session, Base.metadata, cipher)
        with Progress(console=console) as progress:
            task = progress.add_task(f"re-encrypting with key {cipher.current_key_id}", total=total)
            report = keys.rotate(
                session,
                Base.metadata,
                cipher,
                batch=batch,
                progress=lambda n: progress.advance(task, n),
            )
    for column, n in sorted(report.rotated.items()):
        console.print(f"{column}: {n} re-encrypted")
    for column, n in sorted(report.not_encrypted.items()):
        err_console.print(f"[red]{column}: {n} values are not ciphertext (left as they are)[/red]")
    console.print(f"[green]{report.total} values now under key {cipher.current_key_id}[/green]")


@keys_app.command("generate")
def generate(key_id: str = typer.Option("k2", "--id", help="Name of the new key.")) -> None:
    """Print a new random AES-256 key entry to put first in CIVICGRID_FIELD_KEYS."""
    if not key_id.isalnum():
        raise _fail("key id must be letters and digits")
    typer.echo(f"{key_id}:{generate_key()}")
