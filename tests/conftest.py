"""Test configuration: every database test runs on SQLite AND on PostgreSQL.

- ``engine`` is parametrised over the backends; PostgreSQL is the server at 127.0.0.1:5432
  (``CIVICGRID_TEST_PG_URL`` overrides). Without CI it is skipped when unreachable; under
  ``CI=true`` an unreachable PostgreSQL fails the run.
- The schema comes from the Alembic migrations (never ``create_all``), so migrations are tested.
- The seed world is committed once per backend; each test runs inside a transaction that is rolled
  back at teardown (services' commits become savepoint releases).
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from civicgrid.kit import migrate
from civicgrid.kit.db import make_engine
from tests.fixtures.accounts import build_accounts
from tests.fixtures.world import World, build_world

os.environ.setdefault("CIVICGRID_SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("CIVICGRID_FIELD_KEYS", "k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
# Uploads, keys and demo files of tests go to a temporary folder, never ./data.
os.environ.setdefault("CIVICGRID_DATA_DIR", tempfile.mkdtemp(prefix="civicgrid-test-"))
# A fixed test signing key, so no test writes a generated key under ./data.
os.environ.setdefault(
    "CIVICGRID_LEDGER_SIGNING_KEY", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
)
# Cheap Argon2id parameters for test speed (production defaults: 3 passes, 64 MiB, 4 lanes).
os.environ.setdefault("CIVICGRID_PASSWORD_TIME_COST", "1")
os.environ.setdefault("CIVICGRID_PASSWORD_MEMORY_KIB", "8192")
os.environ.setdefault("CIVICGRID_PASSWORD_PARALLELISM", "1")
# Hot issues and warnings inside the request: no thread outlives a test's database.
os.environ.setdefault("CIVICGRID_DASHBOARD_INTEL_BACKGROUND", "false")
# No SLA thread in the apps the tests start (tests/workorders/test_sla_job.py runs it on purpose).
os.environ.setdefault("CIVICGRID_SLA_CHECK_MINUTES", "0")

IN_CI = os.environ.get("CI", "").lower() == "true"
PG_URL = os.environ.get(
    "CIVICGRID_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
BACKENDS = [
    b for b in os.environ.get("CIVICGRID_TEST_BACKENDS", "sqlite,postgresql").split(",") if b
]


def shared_data(*parts: str) -> Path:
    """Path into ../shared/data; skips the test when absent, except under CI=true."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        if IN_CI:
            pytest.fail(f"shared data missing under CI: {path}")
        pytest.skip(f"shared data not available: {path}")
    return path


def _pg_engine(tmp_schema: str) -> Engine:
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{tmp_schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{tmp_schema}"'))
    except Exception as exc:
        if IN_CI:
            pytest.fail(f"PostgreSQL unreachable under CI at {PG_URL}: {exc}")
        pytest.skip(f"PostgreSQL unreachable at {PG_URL}: {exc}")
    finally:
        admin.dispose()
    return make_engine(PG_URL, connect_args={"options": f"-csearch_path={tmp_schema}"})


def _drop_pg_schema(tmp_schema: str) -> None:
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{tmp_schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def engine(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A migrated database with the seed world committed, one per backend per test run."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    schema = f"t_{worker}_{uuid.uuid4().hex[:8]}"
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("db") / "test.db"
        eng = make_engine(f"sqlite:///{path}")
    else:
        eng = _pg_engine(schema)
    migrate.upgrade(eng)
    with Session(eng) as session:
        build_world(session)
        build_accounts(session)
        session.commit()
    yield eng
    eng.dispose()
    if backend == "postgresql":
        _drop_pg_schema(schema)


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test."""
    connection = engine.connect()
    outer = connection.begin()
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield session
    finally:
        session.close()
        if outer.is_active:
            outer.rollback()
        connection.close()


@pytest.fixture
def world(db: Session) -> World:
    """The seed world, re-read through this test's session."""
    from sqlalchemy import select

    from civicgrid.models.org import OrgLevel, OrgNode

    nodes = {n.name: n for n in db.scalars(select(OrgNode))}
    w = World(district=next(n for n in nodes.values() if n.level == OrgLevel.DISTRICT))
    for node in nodes.values():
        if node.level == OrgLevel.STREET:
            w.streets[node.name] = node
        elif node.level == OrgLevel.COMMUNITY:
            w.communities[node.name] = node
        elif node.level == OrgLevel.GRID:
            key = node.name.removesuffix("网格")
            w.grids[key] = node
    order = sorted(w.grids, key=lambda k: w.grids[k].id)
    w.grid_cols = {k: i for i, k in enumerate(order)}
    return w


@pytest.fixture
def app(engine: Engine, db: Session):  # type: ignore[no-untyped-def]
    """The FastAPI app whose requests run in the test's rolled-back transaction."""
    from civicgrid.app import create_app
    from civicgrid.config import Settings
    from civicgrid.kit.web import get_db

    application = create_app(Settings(), engine=engine)

    def _test_db() -> Iterator[Session]:
        # Each request in its own SAVEPOINT, as each request is its own transaction in
        # production: a failed request undoes its own writes, not those of earlier requests.
        request_tx = db.begin_nested()
        try:
            yield db
            db.flush()
            request_tx.commit()
        except BaseException:
            request_tx.rollback()
            raise

    application.dependency_overrides[get_db] = _test_db
    return application


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    with TestClient(app) as c:
        yield c


def login(client, username: str, password: str | None = None, *, totp: str | None = None):  # type: ignore[no-untyped-def]
    """Log ``client`` in as a seed account (see tests/fixtures/accounts.py); returns /me.

    The session cookie stays in the client; the CSRF header is set for later unsafe requests.
    The admin's TOTP code is computed from its known secret (one 30 s step further per login on
    the same client, since a code is never accepted twice).
    """
    from datetime import timedelta

    from civicgrid.auth.totp import code_at
    from civicgrid.kit.timeutil import utcnow
    from tests.fixtures.accounts import ADMIN_TOTP_SECRET, PASSWORD

    if totp is None and username == "admin":
        step = getattr(client, "_cg_totp_logins", 0)
        client._cg_totp_logins = step + 1
        totp = code_at(ADMIN_TOTP_SECRET, utcnow() + timedelta(seconds=30 * step))
    body = {"username": username, "password": password or PASSWORD, "totp": totp}
    response = client.post("/api/auth/login", json=body)
    assert response.status_code == 200, response.text
    client.headers["X-CSRF-Token"] = client.cookies.get("cg_csrf") or ""
    return response.json()
