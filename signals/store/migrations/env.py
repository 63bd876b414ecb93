"""Alembic environment: runs on the connection the product hands it (see signals.store.schema)."""

from __future__ import annotations

from typing import Literal

from alembic import context
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

import signals.store.models  # noqa: F401  (registers the tables on SQLModel.metadata)


def render_item(type_: str, obj: object, autogen_context: object) -> str | Literal[False]:
    """Render SQLModel's AutoString as a plain String, so migrations need no SQLModel import."""
    if type_ == "type" and isinstance(obj, AutoString):
        return "sa.String()"
    return False


connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=True,
    compare_type=True,
    render_item=render_item,
)
with context.begin_transaction():
    context.run_migrations()
