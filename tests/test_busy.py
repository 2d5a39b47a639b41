"""An overloaded SQLite writer answers 503 with Retry-After, never a 500."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from fastapi.testclient import TestClient

from civicgrid.app import create_app
from civicgrid.config import Settings
from civicgrid.kit import migrate
from civicgrid.kit.db import make_engine


def test_locked_database_is_503(tmp_path: Path) -> None:
    path = tmp_path / "busy.db"
    migrate.upgrade(make_engine(f"sqlite:///{path}"))
    engine = make_engine(f"sqlite:///{path}", connect_args={"timeout": 0.2})
    app = create_app(Settings(), engine=engine)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            r = client.post("/api/auth/login", json={"username": "x", "password": "y" * 12})
        assert r.status_code == 503
        assert r.headers["retry-after"] == "5"
        assert r.json()["error"]["code"] == "busy"
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
