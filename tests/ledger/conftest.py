"""Ledger test plumbing: a known signing key, and fresh migrated databases for CLI and threads."""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text

from civicgrid.config import get_settings
from civicgrid.kit import migrate
from civicgrid.kit.db import make_engine
from civicgrid.ledger.signing import Signer
from tests.conftest import IN_CI, PG_URL

TEST_SEED = hashlib.sha256(b"civicgrid ledger tests").digest()
TEST_KEY_B64 = base64.b64encode(TEST_SEED).decode()


@pytest.fixture(autouse=True)
def ledger_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[Signer]:
    """Every ledger test signs with a known key (never a key file under ./data)."""
    monkeypatch.setenv("CIVICGRID_LEDGER_SIGNING_KEY", TEST_KEY_B64)
    get_settings.cache_clear()
    yield Signer.from_seed(TEST_SEED)
    get_settings.cache_clear()


@pytest.fixture
def signer(ledger_key: Signer) -> Signer:
    return ledger_key


def _pg_schema_url(schema: str) -> str:
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(scope="module")
def fresh_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database of its own (migrated, empty log) for tests that commit: CLI, threads."""
    schema = f"ledger_{uuid.uuid4().hex[:10]}"
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('ledger') / 'ledger.db'}"
    else:
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        except Exception as exc:
            if IN_CI:
                pytest.fail(f"PostgreSQL unreachable under CI: {exc}")
            pytest.skip(f"PostgreSQL unreachable: {exc}")
        finally:
            admin.dispose()
        url = _pg_schema_url(schema)
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield url
    if backend == "postgresql":
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def reset_ledger(engine: Engine) -> None:
    """Empty the log of a fresh database (between tests sharing it)."""
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM ledger_event"))
        conn.execute(text("DELETE FROM ledger_entry"))
        conn.execute(text("DELETE FROM ledger_sth"))
        conn.execute(
            text("UPDATE ledger_head SET tree_size = 0, root_hash = :r, frontier = :f"),
            {"r": hashlib.sha256(b"").digest(), "f": b""},
        )


@pytest.fixture
def fresh_engine(fresh_url: str) -> Iterator[Engine]:
    engine = make_engine(fresh_url)
    reset_ledger(engine)
    yield engine
    engine.dispose()
