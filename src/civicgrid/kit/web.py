"""Request plumbing shared by every JSON route: one database transaction per request."""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator
from typing import Annotated

import anyio
import anyio.to_thread
from anyio.lowlevel import RunVar
from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from civicgrid.kit.db import WRITE_INTENT

READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# One lock per SQLite engine and event loop (a TestClient may run several loops one after another).
_WRITE_TURNS: RunVar[weakref.WeakKeyDictionary[Engine, anyio.Lock]] = RunVar("civicgrid_write")


def _turn_lock(engine: Engine) -> anyio.Lock:
    try:
        locks = _WRITE_TURNS.get()
    except LookupError:
        locks = weakref.WeakKeyDictionary()
        _WRITE_TURNS.set(locks)
    lock = locks.get(engine)
    if lock is None:
        lock = locks[engine] = anyio.Lock()
    return lock


async def write_turn(request: Request) -> AsyncIterator[None]:
    """On SQLite, this process's write requests wait for their turn here, in the event loop.

    SQLite has one writer and a write request holds its lock (``BEGIN IMMEDIATE``) from its first
    statement to its commit. Without this turn, every other write request would wait inside the
    driver's busy handler, asleep on a worker thread for up to 100 ms a try: the lock sits unused
    between tries, and once the waiters hold every worker thread the request holding the lock
    cannot get one to finish, so all of them wait for the busy timeout and fail (503). Waiting
    here holds no thread and hands the lock over at once. PostgreSQL needs no turn.
    """
    engine: Engine = request.app.state.engine
    if request.method in READ_ONLY_METHODS or engine.dialect.name != "sqlite":
        yield
        return
    async with _turn_lock(engine):
        yield


async def get_db(
    request: Request, _turn: Annotated[None, Depends(write_turn, scope="function")]
) -> AsyncIterator[Session]:
    """One transaction per request: services flush, this commits, or rolls back on any error.

    Used with ``scope="function"`` so the commit happens before the response is sent: a failed
    commit becomes an error response, never a success the client believes in.

    The session is made here, in the event loop (no I/O), and its transaction begins with the
    request's first statement, in whichever worker thread runs it: for a write request as a
    writer (``WRITE_INTENT``, set for the rest of the request; BEGIN IMMEDIATE on SQLite, see
    kit.db). Only the commit (or rollback) and close need a worker thread.
    """
    session: Session = request.app.state.sessionmaker()
    intent = WRITE_INTENT.set(True) if request.method not in READ_ONLY_METHODS else None
    try:
        yield session
    except BaseException:
        await _finish(session, commit=False)
        raise
    else:
        await _finish(session, commit=True)
    finally:
        if intent is not None:
            WRITE_INTENT.reset(intent)


async def _finish(session: Session, *, commit: bool) -> None:
    def finish() -> None:
        try:
            if commit:
                session.commit()
            else:
                session.rollback()
        except BaseException:
            if commit:
                session.rollback()
            raise
        finally:
            session.close()

    # Its own limiter, as FastAPI does for the exit of sync generator dependencies: a request
    # holding a connection must never wait for a worker thread held by a request waiting for one.
    with anyio.CancelScope(shield=True):
        await anyio.to_thread.run_sync(finish, limiter=anyio.CapacityLimiter(1))


DB = Annotated[Session, Depends(get_db, scope="function")]
