"""Rate limits: both limiters for real (Redis at 127.0.0.1:6379), and 429 + Retry-After via HTTP."""

from __future__ import annotations

import os
import uuid

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from civicgrid.auth.ratelimit import MemoryLimiter, RedisLimiter, limiter_from_url, parse_rate
from tests.auth.conftest import make_app
from tests.conftest import IN_CI, login
from tests.fixtures.world import World

REDIS_URL = os.environ.get("CIVICGRID_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_url() -> str:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        if IN_CI:
            pytest.fail(f"Redis unreachable under CI at {REDIS_URL}: {exc}")
        pytest.skip(f"Redis unreachable at {REDIS_URL}: {exc}")
    return REDIS_URL


def test_parse_rate() -> None:
    assert parse_rate("10/minute") == (10, 60)
    assert parse_rate("5 / hour") == (5, 3600)
    assert parse_rate("100/5minutes") == (100, 300)
    with pytest.raises(ValueError):
        parse_rate("ten per minute")


def test_memory_limiter_counts_per_key_and_window() -> None:
    now = [1000.0]
    limiter = MemoryLimiter(clock=lambda: now[0])
    decisions = [limiter.hit("a", 3, 60) for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert decisions[-1].retry_after == 60
    assert limiter.hit("b", 3, 60).allowed  # another key is independent
    now[0] += 45
    assert limiter.hit("a", 3, 60).retry_after == 15
    now[0] += 16
    assert limiter.hit("a", 3, 60).allowed  # new window


def test_redis_limiter_shares_counts_between_instances(redis_url: str) -> None:
    key = f"test:{uuid.uuid4().hex}"
    one, two = RedisLimiter(redis_url), RedisLimiter(redis_url)  # two web processes
    assert one.hit(key, 2, 30).allowed
    assert two.hit(key, 2, 30).allowed
    refused = one.hit(key, 2, 30)
    assert not refused.allowed and 1 <= refused.retry_after <= 30
    ttl = redis.Redis.from_url(redis_url).ttl("civicgrid:rl:" + key)
    assert 0 < ttl <= 30  # the window expires by itself
    one.reset(key)
    assert two.hit(key, 2, 30).allowed


def test_redis_limiter_falls_back_when_redis_is_down() -> None:
    limiter = RedisLimiter("redis://127.0.0.1:1/0")  # nothing listens there
    assert [limiter.hit("k", 1, 60).allowed for _ in range(2)] == [True, False]


def test_limiter_choice_follows_settings(redis_url: str) -> None:
    assert isinstance(limiter_from_url(""), MemoryLimiter)
    assert isinstance(limiter_from_url(redis_url), RedisLimiter)


def _hammer_login(client: TestClient, n: int) -> list[int]:
    return [
        client.post("/api/auth/login", json={"username": f"u{i}", "password": "x"}).status_code
        for i in range(n)
    ]


def test_login_is_rate_limited_in_process(engine, db: Session) -> None:  # type: ignore[no-untyped-def]
    app = make_app(engine, db, rate_login="3/minute", login_ip_lock_after=1000)
    with TestClient(app) as client:
        codes = _hammer_login(client, 4)
        assert codes == [401, 401, 401, 429]
        refused = client.post("/api/auth/login", json={"username": "u", "password": "x"})
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert "请求过于频繁" in refused.json()["error"]["message"]


def test_login_is_rate_limited_through_redis(engine, db: Session, redis_url: str) -> None:  # type: ignore[no-untyped-def]
    app = make_app(engine, db, redis_url=redis_url, rate_login="2/minute", login_ip_lock_after=1000)
    assert isinstance(app.state.limiter, RedisLimiter)
    app.state.limiter = RedisLimiter(redis_url, prefix=f"civicgrid:test:{uuid.uuid4().hex}:")
    with TestClient(app) as client:
        assert _hammer_login(client, 3) == [401, 401, 429]
    second_process = make_app(engine, db, redis_url=redis_url, rate_login="2/minute")
    second_process.state.limiter = RedisLimiter(redis_url, prefix=app.state.limiter._prefix)
    with TestClient(second_process) as client:
        assert _hammer_login(client, 1) == [429]  # the count is shared


def test_registration_is_rate_limited(engine, db: Session) -> None:  # type: ignore[no-untyped-def]
    app = make_app(engine, db, rate_register="2/hour")
    with TestClient(app) as client:
        codes = [
            client.post("/api/auth/register/code", json={"phone": f"1390000000{i}"}).status_code
            for i in range(3)
        ]
        assert codes == [202, 202, 429]
        assert (
            int(
                client.post("/api/auth/register/code", json={"phone": "13900000009"}).headers[
                    "Retry-After"
                ]
            )
            > 60
        )


def test_resident_reports_are_limited_per_account_staff_are_not(
    engine,
    db: Session,
    world: World,  # type: ignore[no-untyped-def]
) -> None:
    app = make_app(engine, db, rate_report="2/hour")
    body = {"title": "路灯不亮", "node_id": world.grids["D1-1"].id}
    with TestClient(app) as resident:
        login(resident, "resident")
        codes = [resident.post("/api/workorders", json=body).status_code for _ in range(3)]
        assert 429 not in codes[:2] and codes[2] == 429
    with TestClient(app) as hotline:
        login(hotline, "dh-hotline")
        assert 429 not in [hotline.post("/api/workorders", json=body).status_code for _ in range(3)]
