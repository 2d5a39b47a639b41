from __future__ import annotations

from pathlib import Path

from civicgrid.workorders.states import mermaid


def test_workorder_diagram_matches_transition_table() -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs/domains/workorders.md").read_text("utf-8")
    assert mermaid() in doc
