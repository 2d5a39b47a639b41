"""``civicgrid demo`` through Typer's CliRunner (SQLite files under tmp_path, no server)."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from civicgrid.cli.main import app
from civicgrid.config import get_settings
from civicgrid.demo import steps
from civicgrid.demo.generator import CitySummary
from civicgrid.kit import migrate
from civicgrid.kit.db import make_engine
from civicgrid.models.org import OrgNode
from civicgrid.models.workorder import WorkOrder
from tests.fixtures.world import build_world

VARS = (
    "CIVICGRID_DATABASE_URL",
    "CIVICGRID_DEMO",
    "CIVICGRID_SECRET_KEY",
    "CIVICGRID_FIELD_KEYS",
    "CIVICGRID_DATA_DIR",
)
runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The demo sets CIVICGRID_* variables for the app it serves: restore them afterwards."""
    for var in VARS:
        present = var in os.environ
        monkeypatch.setenv(var, os.environ.get(var, ""))  # records the original state
        if not present:
            monkeypatch.delenv(var)
    monkeypatch.setenv("CIVICGRID_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()


def _demo(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["demo", "--size", "small", "--no-serve", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def _count(path: Path, model: type[OrgNode] | type[WorkOrder]) -> int:
    engine = make_engine(f"sqlite:///{path}")
    with Session(engine) as session:
        n = session.execute(select(func.count()).select_from(model)).scalar_one()
    engine.dispose()
    return int(n)


def test_builds_reuses_and_rebuilds(data_dir: Path, tmp_path: Path) -> None:
    db = tmp_path / "city.db"
    code, out = _demo("--db", str(db))
    assert code == 0, out
    assert "演示城市已生成" in out and "3,000" in out
    assert _count(db, WorkOrder) == 3000
    assert os.environ["CIVICGRID_DATABASE_URL"] == f"sqlite:///{db.resolve().as_posix()}"
    assert os.environ["CIVICGRID_DEMO"] == "true"

    code, out = _demo("--db", str(db))
    assert code == 0 and "沿用" in out, out

    code, out = _demo("--db", str(db), "--seed", "99")
    assert code == 0 and "重新生成" in out and "seed" in out, out
    assert _count(db, WorkOrder) == 3000


def test_default_path_and_generated_keys(data_dir: Path) -> None:
    os.environ.pop("CIVICGRID_SECRET_KEY", None)
    os.environ.pop("CIVICGRID_FIELD_KEYS", None)
    get_settings.cache_clear()
    code, out = _demo()
    assert code == 0, out
    env_file = data_dir / "demo.env"
    assert (data_dir / "demo.db").exists()
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    first = env_file.read_text()
    assert "CIVICGRID_FIELD_KEYS=demo1:" in first
    # A second start reuses the keys (and therefore the city).
    os.environ.pop("CIVICGRID_SECRET_KEY", None)
    os.environ.pop("CIVICGRID_FIELD_KEYS", None)
    get_settings.cache_clear()
    code, out = _demo()
    assert code == 0 and "沿用" in out, out
    assert env_file.read_text() == first


def test_refuses_to_overwrite_other_data(data_dir: Path, tmp_path: Path) -> None:
    foreign = tmp_path / "notes.db"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
        conn.execute("INSERT INTO notes VALUES ('keep me')")
    code, out = _demo("--db", str(foreign))
    assert code == 1 and "拒绝覆盖" in out
    with sqlite3.connect(foreign) as conn:
        assert conn.execute("SELECT body FROM notes").fetchall() == [("keep me",)]

    real = tmp_path / "real.db"
    engine = make_engine(f"sqlite:///{real}")
    migrate.upgrade(engine)
    with Session(engine) as session:
        build_world(session)
        session.commit()
    engine.dispose()
    code, out = _demo("--db", str(real), "--fresh")
    assert code == 1 and "拒绝覆盖" in out
    assert _count(real, OrgNode) == 13


def test_bad_date_is_refused(data_dir: Path, tmp_path: Path) -> None:
    code, out = _demo("--db", str(tmp_path / "x.db"), "--as-of", "2026-13-01")
    assert code == 2 and "YYYY-MM-DD" in out


def test_steps_run_after_build_and_at_each_start(data_dir: Path, tmp_path: Path) -> None:
    calls: list[str] = []

    def on_build(session: Session, summary: CitySummary) -> None:
        calls.append("build")
        grids = session.execute(
            select(func.count()).select_from(OrgNode).where(OrgNode.level == "grid")
        ).scalar_one()
        summary.messages.append(f"built-step saw {grids} grids")

    def on_start(session: Session, summary: CitySummary) -> None:
        calls.append("start")
        summary.messages.append(f"start-step: {summary.size}/{summary.seed}")

    steps.register(steps.Step("test-build", on_build, "测试构建步骤"))
    steps.register(steps.Step("test-start", on_start, "测试启动步骤", when="start"))
    try:
        db = tmp_path / "steps.db"
        code, out = _demo("--db", str(db), "--seed", "5")
        assert code == 0, out
        assert "built-step saw 12 grids" in out and "start-step: small/5" in out
        code, out = _demo("--db", str(db), "--seed", "5")
        assert code == 0 and "built-step" not in out and "start-step: small/5" in out
        assert calls == ["build", "start", "start"]
    finally:
        steps.unregister("test-build")
        steps.unregister("test-start")


def test_help_documents_the_options() -> None:
    result = runner.invoke(app, ["demo", "--help"])
    assert result.exit_code == 0
    for option in ("--db", "--size", "--seed", "--no-serve", "--port", "--fresh", "--as-of"):
        assert option in result.output
