"""行政区划与网格 — the territory: administrative tree, grids, teams, point → grid assignment."""
