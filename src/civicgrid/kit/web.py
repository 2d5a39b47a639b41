"""Request plumbing shared by every JSON route: one database transaction per request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from civicgrid.kit.db import begin_for_write

READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_db(request: Request) -> Iterator[Session]:
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
