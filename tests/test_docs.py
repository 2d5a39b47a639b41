"""Docs that stay honest: every setting and every CLI command is documented."""

from __future__ import annotations

from pathlib import Path

import typer

from civicgrid.cli.main import app
from civicgrid.config import Settings

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _commands(group: typer.Typer, prefix: str = "") -> list[str]:
    names: list[str] = []
    for cmd in group.registered_commands:
        name = cmd.name or (cmd.callback.__name__.replace("_", "-") if cmd.callback else "")
        names.append(f"{prefix}{name}")
    for sub in group.registered_groups:
        assert sub.typer_instance is not None
        names.extend(_commands(sub.typer_instance, f"{prefix}{sub.name} "))
    return names


def test_every_setting_is_documented() -> None:
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    missing = [
        f"CIVICGRID_{name.upper()}"
        for name in Settings.model_fields
        if f"CIVICGRID_{name.upper()}" not in text
    ]
    assert not missing, f"undocumented settings in docs/configuration.md: {missing}"


def test_every_cli_command_is_documented() -> None:
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    missing = [c for c in _commands(app) if f"civicgrid {c}" not in text]
    assert not missing, f"undocumented commands in docs/cli.md: {missing}"
