"""Database URLs and engines: SQLite by default (WAL, foreign keys, busy timeout) or PostgreSQL."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError

from signals.errors import ConfigError

DATABASE_ENV = "SIGNALS_DATABASE_URL"
BUSY_TIMEOUT_MS = 30_000


def default_database_path() -> Path:
    """signals.db in the user's data directory."""
    from platformdirs import user_data_path

    return user_data_path("signals", appauthor=False) / "signals.db"


def database_url(option: str | None) -> str:
    """The database to use: --db, else SIGNALS_DATABASE_URL, else the default SQLite file.

    A value without "://" is taken as the path of a SQLite file.
    """
    value = option or os.environ.get(DATABASE_ENV) or str(default_database_path())
    if "://" not in value:
        return f"sqlite:///{Path(value).expanduser().resolve()}"
    return value


def make_engine(url: str) -> Engine:
    """An engine for url, with the per-dialect settings the product relies on."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(
            f"cannot read the database URL {url!r}; use a path to a SQLite file, "
            "sqlite:///PATH or postgresql://USER@HOST/DB"
        ) from exc
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    if parsed.get_backend_name() != "postgresql":
        raise ConfigError(
            f"unsupported database {parsed.get_backend_name()!r}; use SQLite or PostgreSQL"
        )
    return create_engine(parsed, pool_pre_ping=True)


def _sqlite_engine(url: Any) -> Engine:
    database = url.database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine
