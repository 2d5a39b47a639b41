"""``civicgrid users|tokens|keys`` through the real command line (Typer's CliRunner)."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from civicgrid.app import create_app
from civicgrid.auth import fields
from civicgrid.cli.main import app as cli
from civicgrid.config import Settings, get_settings
from civicgrid.kit.db import make_engine
from civicgrid.models.auth import User
from civicgrid.models.org import OrgNode
from civicgrid.models.registry import Person
from tests.auth.conftest import plant
from tests.fixtures.world import World, world_file

runner = CliRunner()
OLD_KEYS = "k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="


@pytest.fixture
def dbfile(tmp_path: Path) -> str:
    return str(world_file(tmp_path / "cli.db"))


def _run(*args: str, input: str | None = None) -> str:
    result = runner.invoke(cli, list(args), input=input)
    assert result.exit_code == 0, result.output
    return result.output


def test_users_create_list_disable(dbfile: str, tmp_path: Path) -> None:
    typed = "Camellia-Bridge-33\nCamellia-Bridge-33\n"  # prompted twice, hidden
    _run("users", "create", "wang.wei", "--role", "grid_worker", "--node", "43010000100101",
         "--display-name", "王伟", "--db", dbfile, input=typed)  # fmt: skip
    out = _run("users", "create", "lead", "--role", "leader", "--node", "430100001",
               "--generate", "--db", dbfile)  # fmt: skip
    assert "password:" in out
    weak = runner.invoke(cli, ["users", "create", "x.y", "--role", "leader", "--node", "430100001",
                               "--password", "password123", "--db", dbfile])  # fmt: skip
    assert weak.exit_code == 1 and "常见" in weak.output
    orphan = runner.invoke(cli, ["users", "create", "z.z", "--role", "grid_worker",
                                 "--password", "Camellia-Bridge-33", "--db", dbfile])  # fmt: skip
    assert orphan.exit_code == 1  # a grid worker needs a scope; nothing was created
    listing = tmp_path / "users.csv"
    _run("users", "list", "--output", str(listing), "--db", dbfile)
    text = listing.read_text(encoding="utf-8-sig")
    assert "wang.wei" in text and "grid_worker@D1-1网格" in text and "z.z" not in text
    xlsx = tmp_path / "users.xlsx"
    _run("users", "list", "--output", str(xlsx), "--db", dbfile)
    sheet = load_workbook(xlsx, read_only=True).active
    assert sheet is not None
    assert [r[0] for r in sheet.iter_rows(values_only=True)] == ["username", "lead", "wang.wei"]
    _run("users", "disable", "wang.wei", "--db", dbfile)
    assert "wang.wei" in _run("users", "list", "--db", dbfile)
    engine = make_engine(f"sqlite:///{dbfile}")
    with Session(engine) as session:
        user = session.scalars(select(User).where(User.username == "wang.wei")).one()
        assert user.is_active is False and user.password_hash.startswith("$argon2id$")
    engine.dispose()


def test_tokens_create_and_revoke(dbfile: str) -> None:
    _run("users", "create", "sync", "--role", "leader", "--node", "430100001",
         "--password", "Camellia-Bridge-33", "--db", dbfile)  # fmt: skip
    refused = runner.invoke(cli, ["tokens", "create", "sync", "--name", "x", "-p", "user:manage",
                                  "--db", dbfile])  # fmt: skip
    assert refused.exit_code == 1
    out = _run("tokens", "create", "sync", "--name", "报表同步", "-p", "org:read", "--db", dbfile)
    raw = out.strip().splitlines()[-1]
    assert raw.startswith("cg_")
    token_id = raw.split("_")[1]
    engine = make_engine(f"sqlite:///{dbfile}")
    app = create_app(Settings(), engine=engine)
    with TestClient(app) as client:
        headers = {"Authorization": f"Bearer {raw}"}
        assert client.get("/api/org/summary", headers=headers).json()["levels"]["grid"] == 3
        _run("tokens", "revoke", token_id, "--db", dbfile)
        assert client.get("/api/org/summary", headers=headers).status_code == 401
    assert "报表同步" in _run("tokens", "list", "sync", "--db", dbfile)
    engine.dispose()


def test_keys_rotate_reencrypts_every_encrypted_field(
    dbfile: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(f"sqlite:///{dbfile}")
    with Session(engine, expire_on_commit=False) as session:
        nodes = {n.name: n for n in session.scalars(select(OrgNode))}
        world = World(district=nodes["示范区"])
        for key in ("D1-1", "D1-2", "X1-1", "X2-1"):
            world.grids[key] = nodes[f"{key}网格"]
        people = plant(session, world)
        user = User(username="r1", kind="resident", phone_enc=fields.encrypt("13700000000"))
        session.add(user)
        session.commit()
    new_key = base64.b64encode(b"n" * 32).decode()
    monkeypatch.setenv("CIVICGRID_FIELD_KEYS", f"k2:{new_key},{OLD_KEYS}")
    get_settings.cache_clear()
    try:
        out = _run("keys", "rotate", "--batch", "3", "--db", dbfile)
        assert "person.id_number_enc: 4 re-encrypted" in out
        assert "auth_user.phone_enc: 1 re-encrypted" in out
        assert "work_order.reporter_phone_enc: 4 re-encrypted" in out
        assert "0 values" not in out
        again = _run("keys", "rotate", "--db", dbfile)
        assert "0 values now under key k2" in again
        with Session(engine) as session:
            stored = session.scalars(select(Person).order_by(Person.id)).all()
            assert all(p.id_number_enc and p.id_number_enc.startswith("v1.k2.") for p in stored)
            decrypted = sorted(fields.decrypt(p.id_number_enc) or "" for p in stored)
            assert decrypted == sorted(p.id_number for p in people.all())
        # The old key can go now: everything still decrypts with the new one alone.
        monkeypatch.setenv("CIVICGRID_FIELD_KEYS", f"k2:{new_key}")
        get_settings.cache_clear()
        with Session(engine) as session:
            user_row = session.scalars(select(User).where(User.username == "r1")).one()
            assert fields.decrypt(user_row.phone_enc) == "13700000000"
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
        engine.dispose()


def test_keys_generate_prints_a_usable_entry() -> None:
    line = _run("keys", "generate", "--id", "k9").strip()
    key_id, _sep, b64 = line.partition(":")
    assert key_id == "k9" and len(base64.b64decode(b64)) == 32
