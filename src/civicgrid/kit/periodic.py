"""A job that runs every few minutes inside the web process (a daemon thread).

The embedded default needs no cron and no task queue: ``create_app`` starts the SLA job with this
on startup and stops it on shutdown. A failing run is logged and the next one runs on time; the
job is never run twice at once. A production deployment can switch it off
(``CIVICGRID_SLA_CHECK_MINUTES=0``) and run the same work from cron or a task queue.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Periodic:
    """Call ``job()`` every ``interval`` seconds (first after ``first_delay``) until ``stop()``."""

    def __init__(
        self, name: str, interval: float, job: Callable[[], object], *, first_delay: float = 0.0
    ) -> None:
        if interval <= 0:
            raise ValueError("interval must be positive")
        self.name = name
        self.interval = interval
        self.first_delay = first_delay
        self.job = job
        self.runs = 0
        self.failures = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError(f"{self.name} already started")
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the loop to end and wait for a run in progress (at most ``timeout`` seconds)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        delay = self.first_delay
        while not self._stop.wait(delay):
            try:
                self.job()
            except Exception:
                self.failures += 1
                log.exception("periodic job %s failed", self.name)
            finally:
                self.runs += 1
            delay = self.interval
