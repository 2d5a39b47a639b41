"""Orders created per second through the HTTP API vs a bare FastAPI endpoint, same server setup.

    .venv/bin/python bench/bench_workorder_api.py [--seconds 10] [--clients 8]
        [--db sqlite|postgresql] [--workers 1]

Both apps are served by uvicorn (same flags, same ``--workers``) on 127.0.0.1 in this run:
- civicgrid: POST /api/workorders with a hotline operator's bearer token — request validation,
  authentication, scope check, point → grid assignment, persistence (order + timeline row) and the
  ledger append, one transaction per request, on a migrated SQLite file or on a fresh PostgreSQL
  database (``--db postgresql``: created on ``--pg-url``'s server and dropped afterwards);
- bare: a FastAPI app whose POST endpoint returns a constant.
Throughput at saturation (closed loop, N client threads with keep-alive), the ratio civicgrid/bare
(goal >= 0.3), then p50/p99 latency of civicgrid at a fixed open-loop rate (half its saturation;
requests share one keep-alive connection pool, so the client's own set-up is not timed). The
machine's load average is printed before and after. Requests go only to 127.0.0.1 and stop after
the given time.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]

BARE_APP = """
from fastapi import FastAPI
app = FastAPI()

@app.post("/api/workorders", status_code=201)
def create() -> dict[str, int]:
    return {"id": 1}
"""

SETUP = """
import sys
from sqlalchemy.orm import Session
from civicgrid.kit import migrate
from civicgrid.kit.db import make_engine
from civicgrid.auth import tokens, service as auth
from civicgrid.workorders import responsibility as rl
sys.path.insert(0, {root!r})
from tests.fixtures.world import build_world
from tests.fixtures.accounts import build_accounts
engine = make_engine({url!r})
migrate.upgrade(engine)
with Session(engine) as s:
    build_world(s)
    build_accounts(s)
    row = {{"分类编码": "HJ01", "分类名称": "垃圾清运", "责任部门": "城管"}}
    rl.import_rows(s, rows=[(2, row)])
    user = auth.get_user_or_raise(s, "dh-hotline")
    perms = ["workorder:create", "workorder:read"]
    _t, raw = tokens.create_token(s, user=user, name="bench", permissions=perms)
    s.commit()
print(raw)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(
    target: str, env: dict[str, str], cwd: Path, workers: int
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            *target.split(),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=cwd,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(base + "/docs", timeout=0.5)
            time.sleep(0.5 * workers)  # every worker process up, not just the first
            return proc, base
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"server {target} did not start")


@contextmanager
def database(kind: str, tmp: str, pg_url: str) -> Iterator[str]:
    """A database URL for this run: a SQLite file in ``tmp``, or a new PostgreSQL database."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp}/bench.db"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"cg_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def saturate(
    base: str, headers: dict[str, str], body: dict[str, object], seconds: float, clients: int
) -> tuple[int, int]:
    done = [0] * clients
    errors = [0] * clients
    stop = time.perf_counter() + seconds

    def worker(i: int) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=30) as c:
            while time.perf_counter() < stop:
                r = c.post("/api/workorders", json=body)
                if r.status_code == 201:
                    done[i] += 1
                else:
                    errors[i] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done), sum(errors)


def fixed_rate(
    base: str, headers: dict[str, str], body: dict[str, object], rate: float, seconds: float
) -> list[float]:
    latencies: list[float] = []
    lock = threading.Lock()
    start = time.perf_counter()
    n = int(rate * seconds)
    threads = []
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    client = httpx.Client(base_url=base, headers=headers, timeout=30, limits=limits)

    def one(at: float) -> None:
        delay = at - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        t0 = time.perf_counter()
        client.post("/api/workorders", json=body)
        with lock:
            latencies.append(time.perf_counter() - t0)

    try:
        for i in range(n):
            th = threading.Thread(target=one, args=(start + i / rate,))
            th.start()
            threads.append(th)
            while len([t for t in threads if t.is_alive()]) > 64:
                time.sleep(0.005)
        for th in threads:
            th.join()
    finally:
        client.close()
    return latencies


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers, both apps")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(
            "CIVICGRID_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
        help="a PostgreSQL server (any database on it) where a scratch database may be created",
    )
    args = parser.parse_args()
    before = load()
    with tempfile.TemporaryDirectory() as tmp, database(args.db, tmp, args.pg_url) as url:
        env = {
            **os.environ,
            "CIVICGRID_DATABASE_URL": url,
            "CIVICGRID_DATA_DIR": tmp,
            "CIVICGRID_SECRET_KEY": "bench-secret",
            "PYTHONPATH": str(ROOT),
            "CIVICGRID_FIELD_KEYS": "k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
        }
        token = (
            subprocess.run(
                [sys.executable, "-c", SETUP.format(root=str(ROOT), url=url)],
                env=env,
                check=True,
                capture_output=True,
                text=True,
                cwd=ROOT,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        (Path(tmp) / "bare_app.py").write_text(BARE_APP)
        headers = {"Authorization": f"Bearer {token}"}
        sys.path.insert(0, str(ROOT))
        from tests.fixtures.world import centre

        lon, lat = centre(0)
        body = {
            "title": "小区门口垃圾没人清运",
            "description": "三天了",
            "lat": lat,
            "lon": lon,
            "category": "HJ01",
        }
        ours, ours_url = serve("--factory civicgrid.app:create_app", env, ROOT, args.workers)
        bare, bare_url = serve("bare_app:app", env, Path(tmp), args.workers)
        try:
            saturate(ours_url, headers, body, 2, args.clients)  # warm-up
            saturate(bare_url, headers, body, 2, args.clients)
            n_ours, err_ours = saturate(ours_url, headers, body, args.seconds, args.clients)
            n_bare, err_bare = saturate(bare_url, headers, body, args.seconds, args.clients)
            rps_ours, rps_bare = n_ours / args.seconds, n_bare / args.seconds
            rate = max(1.0, rps_ours / 2)
            lat_s = sorted(fixed_rate(ours_url, headers, body, rate, args.seconds))
        finally:
            ours.terminate()
            bare.terminate()
            ours.wait()
            bare.wait()
    p50 = statistics.median(lat_s) * 1000
    p99 = lat_s[min(len(lat_s) - 1, int(0.99 * len(lat_s)))] * 1000
    print(
        f"db: {args.db}, uvicorn workers: {args.workers}, clients: {args.clients}, "
        f"seconds per phase: {args.seconds}, cpus: {os.cpu_count()}"
    )
    print(f"{load()} at the end ({before} at the start)")
    print(f"civicgrid POST /api/workorders: {rps_ours:,.0f} orders/s ({err_ours} non-201)")
    print(f"bare FastAPI constant endpoint: {rps_bare:,.0f} requests/s ({err_bare} non-201)")
    print(f"ratio civicgrid / bare: {rps_ours / rps_bare:.3f}")
    print(
        f"fixed rate {rate:,.0f}/s for {args.seconds:.0f} s: p50 {p50:.1f} ms, p99 {p99:.1f} ms "
        f"({len(lat_s)} requests)"
    )


if __name__ == "__main__":
    main()
