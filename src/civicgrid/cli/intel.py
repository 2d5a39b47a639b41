"""``civicgrid intel`` — 智能分析: text routing, duplicates, reply quality (and forecasting).

The classifier commands (``train``, ``predict``, ``evaluate``) are defined here.

FORECAST / HOTSPOTS / RISK COMMANDS: the forecasting helper mounts its commands
(``forecast``, ``forecast-eval``, ``hotspots``, ``risk``) on this same Typer ``app`` by adding,
right below the marker line ``# --- mounted command groups ---`` at the end of this file::

    from civicgrid.intel import cli_forecast  # noqa: E402
    cli_forecast.register(app)

where ``civicgrid.intel.cli_forecast.register(app: typer.Typer) -> None`` calls
``app.command(...)`` for each of its commands.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    help="智能分析 Intelligence: message classification, duplicates, reply quality, forecasting.",
    no_args_is_help=True,
)

# --- mounted command groups ---

from civicgrid.intel import cli_forecast  # noqa: E402

cli_forecast.register(app)
