"""``civicgrid db`` — schema migrations."""

from __future__ import annotations

import typer

from civicgrid.cli.common import console, engine_from_settings
from civicgrid.kit import migrate

app = typer.Typer(help="数据库迁移 Database schema migrations.", no_args_is_help=True)


@app.command("upgrade")
def upgrade(
    revision: str = typer.Option("heads", help="Target revision (default: newest)."),
    db: str | None = typer.Option(None, help="SQLite file to use instead of the configured URL."),
) -> None:
    """Apply every pending Alembic migration."""
    engine = engine_from_settings(db)
    migrate.upgrade(engine, revision)
    engine.dispose()
    console.print(f"[green]database at {revision}[/green]")
