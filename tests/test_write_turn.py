"""Concurrent write requests on SQLite take turns in the event loop (``kit.web.write_turn``).

Without the turn, requests waiting for SQLite's write lock sit in the driver's busy handler on
worker threads; once they hold every thread, the request that has the lock cannot get one to
finish, and all of them fail after the busy timeout. Here more requests than worker threads
create orders at once through the real request plumbing (no test override of the session)."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import anyio.to_thread
import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicgrid.app import create_app
from civicgrid.auth import service as auth
from civicgrid.auth import tokens
from civicgrid.config import Settings
from civicgrid.kit import migrate
from civicgrid.kit.db import make_engine
from civicgrid.ledger import service as ledger
from civicgrid.models.workorder import WorkOrder
from civicgrid.workorders import responsibility as rl
from tests.fixtures.accounts import build_accounts
from tests.fixtures.world import build_world, centre

REQUESTS = 12
THREADS = 3


def test_more_writers_than_threads_all_succeed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'turns.db'}"
    migrate.upgrade(make_engine(url))
    engine = make_engine(url, connect_args={"timeout": 3})
    with Session(engine) as s:
        build_world(s)
        build_accounts(s)
        rl.import_rows(
            s, rows=[(2, {"分类编码": "HJ01", "分类名称": "垃圾清运", "责任部门": "城管"})]
        )
        user = auth.get_user_or_raise(s, "dh-hotline")
        _t, raw = tokens.create_token(s, user=user, name="t", permissions=["workorder:create"])
        s.commit()
    app = create_app(Settings(), engine=engine)
    lon, lat = centre(0)
    body = {"title": "路灯不亮", "lat": lat, "lon": lon, "category": "HJ01"}

    async def run() -> list[int]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = THREADS
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {raw}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            answers = await asyncio.gather(
                *(
                    client.post("/api/workorders", json=body, headers=headers)
                    for _ in range(REQUESTS)
                )
            )
        return [a.status_code for a in answers]

    started = time.perf_counter()
    # A thread of its own: a session-wide Playwright loop may already run in this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        statuses = pool.submit(asyncio.run, run()).result()
    assert statuses == [201] * REQUESTS
    assert time.perf_counter() - started < 30  # no request waited out the busy timeout
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(WorkOrder)) == REQUESTS
        assert ledger.verify_log(s).ok
    engine.dispose()


def test_write_requests_begin_as_writers_and_reads_do_not(tmp_path: Path) -> None:
    """The session's transaction begins with the request's first statement: BEGIN IMMEDIATE for
    a write request (whichever worker thread runs it), a plain BEGIN for a read."""
    from fastapi.testclient import TestClient
    from sqlalchemy import event

    url = f"sqlite:///{tmp_path / 'begin.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    with Session(engine) as s:
        build_world(s)
        build_accounts(s)
        row = {"分类编码": "HJ01", "分类名称": "垃圾清运", "责任部门": "城管"}
        rl.import_rows(s, rows=[(2, row)])
        user = auth.get_user_or_raise(s, "dh-hotline")
        permissions = ["workorder:create", "workorder:read"]
        _t, raw = tokens.create_token(s, user=user, name="t", permissions=permissions)
        s.commit()
    begins: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _seen(_c, _cur, statement, _p, _ctx, _many):  # type: ignore[no-untyped-def]
        if statement.startswith("BEGIN"):
            begins.append(statement)

    lon, lat = centre(0)
    headers = {"Authorization": f"Bearer {raw}"}
    with TestClient(create_app(Settings(), engine=engine)) as client:
        body = {"title": "路灯不亮", "lat": lat, "lon": lon, "category": "HJ01"}
        assert client.post("/api/workorders", json=body, headers=headers).status_code == 201
        assert begins == ["BEGIN IMMEDIATE"]
        begins.clear()
        assert client.get("/api/workorders", headers=headers).status_code == 200
        assert begins == ["BEGIN"]
    engine.dispose()
