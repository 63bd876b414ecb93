"""The store on real SQLite and real PostgreSQL: migrations, constraints, time zones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import SQLModel

from signals.store import models as db
from signals.store import schema
from signals.store.engine import database_url, make_engine


def test_migrations_create_exactly_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert differences == []
    assert schema.current_revision(engine) == schema.head_revision()
    tables = set(inspect(engine).get_table_names())
    assert {"sources", "posts", "signals", "contacts", "identities", "accounts"} <= tables
    assert {"activities", "alembic_version"} <= tables


def test_upgrade_is_idempotent(engine: Engine) -> None:
    assert schema.upgrade(engine) is False


def _source(session: Session, name: str = "feed") -> int:
    row = db.Source(name=name, kind="rss", settings={"url": "https://example.com/feed"})
    session.add(row)
    session.flush()
    assert row.id is not None
    return row.id


def test_a_post_is_stored_once_per_source_and_external_id(engine: Engine) -> None:
    with Session(engine) as session:
        source_id = _source(session)
        session.add(db.Post(source_id=source_id, external_id="a", text="one"))
        session.commit()
        session.add(db.Post(source_id=source_id, external_id="a", text="again"))
        with pytest.raises(IntegrityError):
            session.commit()


def test_an_identity_is_unique_per_platform_and_handle(engine: Engine) -> None:
    with Session(engine) as session:
        contact = db.Contact(display_name="ann")
        session.add(contact)
        session.flush()
        assert contact.id is not None
        session.add(db.Identity(contact_id=contact.id, platform="reddit", handle="ann"))
        session.add(db.Identity(contact_id=contact.id, platform="hackernews", handle="ann"))
        session.commit()
        session.add(db.Identity(contact_id=contact.id, platform="reddit", handle="ann"))
        with pytest.raises(IntegrityError):
            session.commit()


def test_times_come_back_timezone_aware_utc(engine: Engine) -> None:
    published = datetime(2024, 3, 1, 12, 30, tzinfo=timezone(timedelta(hours=2)))
    with Session(engine) as session:
        source_id = _source(session)
        post = db.Post(source_id=source_id, external_id="t", text="x", published_at=published)
        session.add(post)
        session.commit()
        post_id = post.id
    with Session(engine) as session:
        stored = session.get_one(db.Post, post_id)
        assert stored.published_at == datetime(2024, 3, 1, 10, 30, tzinfo=UTC)
        assert stored.published_at is not None
        assert stored.published_at.tzinfo is UTC


def test_naive_datetimes_are_refused(engine: Engine) -> None:
    with Session(engine) as session:
        source_id = _source(session)
        session.add(
            db.Post(
                source_id=source_id, external_id="n", text="x", published_at=datetime(2024, 1, 1)
            )
        )
        with pytest.raises(Exception, match="naive datetime"):
            session.commit()


def test_deleting_a_source_deletes_its_posts(engine: Engine) -> None:
    with Session(engine) as session:
        source_id = _source(session)
        session.add(db.Post(source_id=source_id, external_id="p", text="x"))
        session.commit()
        session.execute(text("DELETE FROM sources WHERE id = :id"), {"id": source_id})
        session.commit()
        assert session.execute(text("SELECT count(*) FROM posts")).scalar_one() == 0


def test_sqlite_runs_with_wal_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 30000
    engine.dispose()


def test_database_option_accepts_a_path_or_a_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SIGNALS_DATABASE_URL", raising=False)
    assert database_url(str(tmp_path / "a.db")) == f"sqlite:///{tmp_path / 'a.db'}"
    assert database_url("postgresql://u@h/db") == "postgresql://u@h/db"
    monkeypatch.setenv("SIGNALS_DATABASE_URL", "sqlite:///from-env.db")
    assert database_url(None) == "sqlite:///from-env.db"
    monkeypatch.delenv("SIGNALS_DATABASE_URL")
    assert database_url(None).endswith("signals.db")


def test_unsupported_database_url_is_a_clear_error() -> None:
    from signals.errors import ConfigError

    with pytest.raises(ConfigError, match="unsupported database 'mysql'"):
        make_engine("mysql://root@localhost/x")
