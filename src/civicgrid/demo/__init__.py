"""演示城市 — the deterministic demo-city generator and the ``civicgrid demo`` command's work."""
