"""Request plumbing shared by every JSON route: one database transaction per request."""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator, Iterator
from typing import Annotated

import anyio
from anyio.lowlevel import RunVar
from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from civicgrid.kit.db import begin_for_write

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


def get_db(
    request: Request, _turn: Annotated[None, Depends(write_turn, scope="function")]
) -> Iterator[Session]:
    """One transaction per request: services flush, this commits, or rolls back on any error.

    Used with ``scope="function"`` so the commit happens before the response is sent: a failed
    commit becomes an error response, never a success the client believes in.
    """
    session: Session = request.app.state.sessionmaker()
    if request.method not in READ_ONLY_METHODS:
        begin_for_write(session)  # SQLite takes the write lock first (see kit.db)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


DB = Annotated[Session, Depends(get_db, scope="function")]
