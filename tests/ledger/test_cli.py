"""`civicgrid ledger …` against a real database (the configured URL), and offline checks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from civicgrid.cli.main import app
from civicgrid.config import get_settings
from civicgrid.ledger import service
from civicgrid.ledger.records import EventRecord
from tests.ledger import tamper

runner = CliRunner()


@pytest.fixture
def cli_db(
    fresh_engine: Engine, fresh_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Engine]:
    """The CLI's configured database is the fresh one; it holds a small committed log."""
    monkeypatch.setenv("CIVICGRID_DATABASE_URL", fresh_url)
    get_settings.cache_clear()
    with Session(fresh_engine) as session:
        service.append_many(session, [{"i": i} for i in range(10)])
        service.record_many(
            session,
            [EventRecord(704, "asset_txn", k, {"fen": 100 * k}, 1) for k in range(1, 4)],
        )
        session.commit()
    yield fresh_engine
    get_settings.cache_clear()


def _ok(*args: str) -> str:
    result = runner.invoke(app, ["ledger", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_proofs_round_trip_through_files(cli_db: Engine, tmp_path: Path) -> None:
    key, old, bundle = tmp_path / "key.json", tmp_path / "old.json", tmp_path / "entry.json"
    _ok("public-key", "-o", str(key))
    _ok("sth", "-o", str(old))
    assert json.loads(old.read_text())["tree_size"] == 13
    assert json.loads(_ok("sth")) == json.loads(old.read_text())  # unchanged log, same head
    _ok("proof", "--index", "11", "-o", str(bundle))
    result = runner.invoke(app, ["ledger", "verify-proof", str(bundle), "--public-key", str(key)])
    assert result.exit_code == 0 and "entry 11 is in the log" in result.output
    result = runner.invoke(app, ["ledger", "verify-proof", str(old), "--public-key", str(key)])
    assert result.exit_code == 0 and "size 13" in result.output

    forged = json.loads(bundle.read_text())
    forged["entry"]["leaf_input"] = forged["entry"]["leaf_input"][:-4] + "AAA="
    bad = tmp_path / "forged.json"
    bad.write_text(json.dumps(forged))
    result = runner.invoke(app, ["ledger", "verify-proof", str(bad), "--public-key", str(key)])
    assert result.exit_code == 1 and "NOT VERIFIED" in result.output

    with Session(cli_db) as session:
        service.append_many(session, [{"later": i} for i in range(6)])
        session.commit()
    proof = tmp_path / "consistency.json"
    _ok("consistency", "--old-size", "13", "-o", str(proof))
    assert json.loads(proof.read_text())["second"] == 19
    args = ["ledger", "verify-proof", str(proof), "--public-key", str(key)]
    result = runner.invoke(app, [*args, "--old-sth", str(old)])
    assert result.exit_code == 0 and "prefix" in result.output
    assert runner.invoke(app, args).exit_code == 2  # needs the old head
    bare_key = tmp_path / "key.b64"
    bare_key.write_text(json.loads(key.read_text())["public_key"])
    verify_old = ["ledger", "verify-proof", str(old), "--public-key", str(bare_key)]
    assert runner.invoke(app, verify_old).exit_code == 0
    older = json.loads(_ok("proof", "--index", "2", "--tree-size", "13"))
    assert older["sth"] == json.loads(old.read_text())


def test_verify_names_the_first_bad_entry(cli_db: Engine, tmp_path: Path) -> None:
    _ok("sth")
    result = runner.invoke(app, ["ledger", "verify"])
    assert result.exit_code == 0, result.output
    assert "ledger verified: 13 entries" in result.output
    with cli_db.begin() as conn:
        tamper.flip_byte(conn, 5, "leaf", 3)
        tamper.swap(conn, 8, 9)
    result = runner.invoke(app, ["ledger", "verify"])
    assert result.exit_code == 1
    assert "first bad entry: 5" in result.output
    report_file = tmp_path / "problems.csv"
    result = runner.invoke(app, ["ledger", "verify", "--json", "--report", str(report_file)])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["first_bad"] == 5 and report["ok"] is False
    assert {p["index"] for p in report["problems"] if p["kind"] in ("leaf_hash", "seq")} == {
        5,
        8,
        9,
    }
    lines = report_file.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "kind,index,end,message" and len(lines) == 1 + len(report["problems"])
    xlsx = tmp_path / "problems.xlsx"
    assert runner.invoke(app, ["ledger", "verify", "--report", str(xlsx)]).exit_code == 1
    assert xlsx.stat().st_size > 0


def test_deleted_row_is_named(cli_db: Engine) -> None:
    with cli_db.begin() as conn:
        tamper.drop(conn, 7)
    result = runner.invoke(app, ["ledger", "verify"])
    assert result.exit_code == 1 and "first bad entry: 7" in result.output


def test_wrong_requests_exit_2(cli_db: Engine, tmp_path: Path) -> None:
    result = runner.invoke(app, ["ledger", "proof", "--index", "99"])
    assert result.exit_code == 2 and "账本条目不存在" in result.output
    assert runner.invoke(app, ["ledger", "consistency", "--old-size", "50"]).exit_code == 2
    junk = tmp_path / "junk.json"
    junk.write_text("{not json")
    result = runner.invoke(app, ["ledger", "verify-proof", str(junk), "--public-key", str(junk)])
    assert result.exit_code == 2


@pytest.mark.parametrize(
    "command", ["sth", "public-key", "proof", "consistency", "verify", "verify-proof"]
)
def test_every_command_has_help(command: str) -> None:
    result = runner.invoke(app, ["ledger", command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output
