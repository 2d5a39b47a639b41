"""限流 — fixed-window rate limits: in-process by default, Redis-backed when configured.

``limiter_from_settings`` picks ``RedisLimiter`` when ``CIVICGRID_REDIS_URL`` is set (so several
web processes share the counts) and ``MemoryLimiter`` otherwise. If Redis stops answering, the
Redis limiter falls back to an in-process one and logs it, rather than refusing every request or
letting everything through.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import redis

log = logging.getLogger(__name__)

PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*(second|minute|hour|day)s?\s*$")


def parse_rate(text: str) -> tuple[int, int]:
    """``"10/minute"`` → (10, 60); ``"100/5minutes"`` → (100, 300)."""
    match = _RATE.match(text.lower())
    if match is None:
        raise ValueError(f"bad rate {text!r}: expected N/second|minute|hour|day")
    count, mult, period = match.groups()
    return int(count), (int(mult) if mult else 1) * PERIODS[period]


@dataclass(frozen=True)
class Decision:
    allowed: bool
    remaining: int
    retry_after: int  # seconds until the window resets (0 when allowed)


class Limiter(Protocol):
    def hit(self, key: str, limit: int, window: int) -> Decision: ...

    def reset(self, key: str) -> None: ...


class MemoryLimiter:
    """Per-process fixed windows; thread-safe; forgets expired windows as it goes."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}

    def hit(self, key: str, limit: int, window: int) -> Decision:
        now = self._clock()
        with self._lock:
            if len(self._windows) > 10_000:
                self._windows = {k: v for k, v in self._windows.items() if v[0] > now}
            reset_at, count = self._windows.get(key, (0.0, 0))
            if reset_at <= now:
                reset_at, count = now + window, 0
            count += 1
            self._windows[key] = (reset_at, count)
        if count > limit:
            return Decision(False, 0, max(1, math.ceil(reset_at - now)))
        return Decision(True, limit - count, 0)

    def reset(self, key: str) -> None:
        with self._lock:
            self._windows.pop(key, None)


class RedisLimiter:
    """Fixed windows in Redis: ``INCR`` + ``EXPIRE NX`` in one round trip; TTL gives Retry-After."""

    def __init__(self, url: str, prefix: str = "civicgrid:rl:") -> None:
        self._redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._prefix = prefix
        self._fallback = MemoryLimiter()

    def hit(self, key: str, limit: int, window: int) -> Decision:
        name = self._prefix + key
        try:
            pipe = self._redis.pipeline(transaction=True)
            pipe.incr(name)
            pipe.expire(name, window, nx=True)
            pipe.ttl(name)
            count, _set, ttl = pipe.execute()
        except redis.RedisError as exc:
            log.warning("rate limiter: Redis unavailable (%s); limiting in-process", exc)
            return self._fallback.hit(key, limit, window)
        count = int(count)
        ttl = int(ttl)
        if ttl < 0:  # a key left without expiry (should not happen): give it one
            self._redis.expire(name, window)
            ttl = window
        if count > limit:
            return Decision(False, 0, max(1, ttl))
        return Decision(True, limit - count, 0)

    def reset(self, key: str) -> None:
        try:
            self._redis.delete(self._prefix + key)
        except redis.RedisError:
            self._fallback.reset(key)


def limiter_from_url(redis_url: str) -> Limiter:
    return RedisLimiter(redis_url) if redis_url else MemoryLimiter()
