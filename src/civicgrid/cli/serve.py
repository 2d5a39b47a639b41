"""``civicgrid serve`` — run the web application."""

from __future__ import annotations

import typer

from civicgrid.cli.common import console


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="TCP port."),
    workers: int = typer.Option(1, help="Worker processes (the app is stateless)."),
) -> None:
    """Serve the web interface and the JSON API."""
    import uvicorn

    console.print(f"civicgrid on http://{host}:{port}")
    uvicorn.run(
        "civicgrid.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
    )
