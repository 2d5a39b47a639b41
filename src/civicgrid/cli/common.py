"""Shared CLI plumbing: settings, engine and a transaction per command."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from civicgrid.config import get_settings
from civicgrid.kit.db import make_engine, make_sessionmaker, transaction

console = Console()
err_console = Console(stderr=True)


def engine_from_settings(db: str | None = None) -> Engine:
    url = f"sqlite:///{db}" if db else get_settings().resolved_database_url()
    return make_engine(url)


@contextmanager
def session_scope(db: str | None = None) -> Iterator[Session]:
    """One transaction for the whole command: all or nothing."""
    engine = engine_from_settings(db)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            yield session
    finally:
        engine.dispose()
