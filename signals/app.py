"""What every command needs, built lazily from the global options: settings, store, HTTP, model."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from classifiers import Classifier
    from signals.config import Settings
    from sources import HttpClient


@dataclass
class AppContext:
    """Global options, and the objects made from them on first use."""

    db_option: str | None = None
    config_option: Path | None = None
    extra_allow_hosts: tuple[str, ...] = field(default=())

    @cached_property
    def settings(self) -> Settings:
        from signals.config import config_directory, load_settings

        return load_settings(config_directory(self.config_option))

    @cached_property
    def database_url(self) -> str:
        from signals.store.engine import database_url

        return database_url(self.db_option)

    @cached_property
    def engine(self) -> Engine:
        """The store, migrated to the newest schema."""
        from sqlalchemy.exc import OperationalError

        from signals.errors import StoreError
        from signals.store import schema
        from signals.store.engine import make_engine

        engine = make_engine(self.database_url)
        try:
            schema.upgrade(engine)
        except OperationalError as exc:
            raise StoreError(
                f"cannot open the database {engine.url.render_as_string(hide_password=True)}: "
                f"{exc.orig}; check --db / SIGNALS_DATABASE_URL"
            ) from None
        return engine

    def http(self, allow_hosts: Iterable[str] = ()) -> HttpClient:
        from sources import HttpClient

        settings = self.settings.http
        allowed = settings.allow_hosts | {
            h.lower() for h in (*self.extra_allow_hosts, *allow_hosts)
        }
        return HttpClient(replace(settings, allow_hosts=frozenset(allowed)))

    @cached_property
    def classifier(self) -> Classifier:
        from signals.classifier import load_classifier

        return load_classifier(self.settings.directory)
