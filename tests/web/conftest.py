"""Web app fixtures: a seeded store, the app served by a real uvicorn on 127.0.0.1, logins."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from webtools import LiveServer, Seeded, WebClient, login, seed

from signals.store import schema
from signals.store.engine import make_engine
from signals.web.settings import WebSettings, load_web_settings


@pytest.fixture
def web_settings() -> WebSettings:
    return load_web_settings(None)


@pytest.fixture(scope="session")
def _migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file at the newest schema, migrated once and copied for each test."""
    path = tmp_path_factory.mktemp("template") / "signals.db"
    engine = make_engine(f"sqlite:///{path}")
    schema.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture
def sqlite_engine(tmp_path: Path, _migrated_template: Path) -> Iterator[Engine]:
    """A migrated SQLite store (overrides the shared fixture: copying beats migrating)."""
    target = tmp_path / "signals.db"
    shutil.copyfile(_migrated_template, target)
    engine = make_engine(f"sqlite:///{target}")
    yield engine
    engine.dispose()


@pytest.fixture
def seeded(sqlite_engine: Engine) -> Seeded:
    return seed(sqlite_engine)


@pytest.fixture
def server(
    sqlite_engine: Engine, seeded: Seeded, web_settings: WebSettings
) -> Iterator[LiveServer]:
    with LiveServer(sqlite_engine, web_settings) as live:
        yield live


@pytest.fixture
def as_user(server: LiveServer) -> Iterator[Callable[[str], WebClient]]:
    clients: list[WebClient] = []

    def make(name: str) -> WebClient:
        client = login(server, name)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


CHROMIUM = Path("/usr/bin/chromium")
INSTALL_LOCK = Path(tempfile.gettempdir()) / "signals-tests-chromium-install.lock"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Install Debian's chromium when a browser test is collected and it is missing.

    Runs after collection, outside any test's timeout: a first install takes minutes. Only as
    root (CI runs as root); elsewhere the browser tests skip and say how to install it.
    """
    wanted = any("chromium" in getattr(item, "fixturenames", ()) for item in items)
    if not wanted or CHROMIUM.exists() or os.geteuid() != 0:
        return
    # Every pytest-xdist worker collects: one installs while the others wait, then find it.
    with open(INSTALL_LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if CHROMIUM.exists():
            return
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env, timeout=900)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "chromium"], check=False, env=env, timeout=1800
        )


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's chromium (installed at collection when missing and we are root)."""
    if not CHROMIUM.exists():
        if os.geteuid() == 0:
            pytest.fail("apt-get install -y chromium did not install /usr/bin/chromium")
        pytest.skip("needs Debian's chromium: run `apt-get install -y chromium` as root")
    return CHROMIUM
