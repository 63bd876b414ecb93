"""Batched inserts that skip rows already present, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignoring_duplicates(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    unique_columns: Sequence[str],
    returning: Sequence[str] = (),
) -> list[tuple[Any, ...]]:
    """INSERT ... ON CONFLICT DO NOTHING for all rows in one statement batch.

    Returns the `returning` columns of the rows actually inserted (none for skipped ones).
    """
    if not rows:
        return []
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement: Any = insert(table).on_conflict_do_nothing(index_elements=list(unique_columns))
    if returning:
        statement = statement.returning(*(table.c[name] for name in returning))
        return [tuple(row) for row in session.execute(statement, list(rows))]
    session.execute(statement, list(rows))
    return []
