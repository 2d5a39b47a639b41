"""The ``civicgrid`` command: every batch job of the platform is a sub-command here."""

from __future__ import annotations

import typer

from civicgrid import __version__
from civicgrid.cli import db, demo, grids, intel, ledger, serve
from civicgrid.cli import evaluate as evaluate_cli
from civicgrid.cli import imports as imports_cli
from civicgrid.cli import users as users_cli
from civicgrid.cli import workorders as workorders_cli

app = typer.Typer(
    name="civicgrid",
    help="civicgrid 一网统管 — grassroots governance platform.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(db.app, name="db")
app.add_typer(evaluate_cli.app, name="evaluate")
app.add_typer(grids.app, name="grids")
app.add_typer(imports_cli.app, name="import")
app.add_typer(intel.app, name="intel")
app.add_typer(ledger.app, name="ledger")
app.add_typer(users_cli.app, name="users")
app.add_typer(users_cli.tokens_app, name="tokens")
app.add_typer(users_cli.keys_app, name="keys")
app.add_typer(workorders_cli.app, name="workorders")
app.command("serve")(serve.serve)
app.command("demo")(demo.demo)


@app.command("version")
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


if __name__ == "__main__":
    app()
