"""Helpers for the web tests: seeding a store, serving the app with uvicorn, logging in."""

from __future__ import annotations

import functools
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import uvicorn
from sqlalchemy.engine import Engine
from sqlmodel import Session

from signals.store import models as db
from signals.store.models_web import User
from signals.web.app import create_app
from signals.web.passwords import hash_password
from signals.web.settings import WebSettings

PASSWORD = "correct horse battery"
USERS = {"mara": "marketer", "cora": "community-manager", "ada": "admin"}
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Seeded:
    """Ids of what seed() stored."""

    source_ids: dict[str, int] = field(default_factory=dict)
    post_ids: list[int] = field(default_factory=list)
    signal_ids: list[int] = field(default_factory=list)
    user_ids: dict[str, int] = field(default_factory=dict)


def add_signal(
    session: Session,
    source_id: int,
    external_id: str,
    text: str,
    *,
    title: str | None = None,
    author: str | None = "ann",
    url: str | None = None,
    community: str | None = "r/sysadmin",
    published: datetime | None = None,
    confidence: float = 0.8,
    stage: str | None = "evaluate",
    intents: list[str] | None = None,
    products: list[str] | None = None,
    evidence: list[dict[str, Any]] | None = None,
    parent_id: int | None = None,
    created: datetime | None = None,
) -> tuple[int, int]:
    """A post and its signal; returns (post id, signal id)."""
    post = db.Post(
        source_id=source_id,
        external_id=external_id,
        url=url if url is not None else f"https://www.reddit.com/r/sysadmin/{external_id}",
        author=author,
        title=title,
        text=text,
        community=community,
        published_at=published or datetime.now(UTC) - timedelta(minutes=30),
        parent_id=parent_id,
    )
    session.add(post)
    session.flush()
    assert post.id is not None
    signal = db.Signal(
        post_id=post.id,
        is_signal=True,
        confidence=confidence,
        stage=stage,
        intents=intents if intents is not None else ["alternative_seeking"],
        products=products or [],
        evidence=evidence or [],
        model_version="test-1",
    )
    if created is not None:
        signal.created_at = created
    session.add(signal)
    session.flush()
    assert signal.id is not None
    return post.id, signal.id


@functools.cache
def password_hash() -> str:
    """One argon2 hash of PASSWORD for every seeded user (hashing is slow on purpose)."""
    return hash_password(PASSWORD)


def seed(engine: Engine, signals: int = 6) -> Seeded:
    """Users of every role, two sources, and signals with evidence on real-looking posts."""
    seeded = Seeded()
    with Session(engine) as session:
        for name, role in USERS.items():
            user = User(name=name, role=role, password_hash=password_hash())
            session.add(user)
            session.flush()
            assert user.id is not None
            seeded.user_ids[name] = user.id
        for name in ("r/sysadmin", "hn"):
            source = db.Source(name=name, kind="rss", settings={"url": f"https://x.test/{name}"})
            session.add(source)
            session.flush()
            assert source.id is not None
            seeded.source_ids[name] = source.id
        # Seconds apart, so every seeded signal falls on one UTC day (the dashboard counts days).
        base = datetime.now(UTC) - timedelta(seconds=30)
        for i in range(signals):
            text = f"We are looking for an alternative to Jira number {i} for a 20-person team."
            start = text.index("alternative to Jira")
            post_id, signal_id = add_signal(
                session,
                seeded.source_ids["r/sysadmin" if i % 2 == 0 else "hn"],
                f"p{i}",
                text,
                title=f"Thread {i}",
                author=f"user{i}",
                community="r/sysadmin" if i % 2 == 0 else "Hacker News",
                confidence=0.5 + i / 20,
                intents=["alternative_seeking"] if i % 3 else ["comparison"],
                evidence=[
                    {
                        "start": start,
                        "end": start + 19,
                        "text": "alternative to Jira",
                        "rule": "alt",
                    }
                ],
                created=base + timedelta(seconds=i),
            )
            seeded.post_ids.append(post_id)
            seeded.signal_ids.append(signal_id)
        session.commit()
    return seeded


class LiveServer:
    """The app served by uvicorn from a thread on 127.0.0.1 (a real socket, real HTTP)."""

    def __init__(self, engine: Engine, settings: WebSettings) -> None:
        self.app = create_app(engine, settings)
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def __enter__(self) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()


def csrf_from(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no CSRF field in the page"
    return found.group(1)


class WebClient(httpx.Client):
    """An HTTP client with a login: csrf is its session's CSRF token."""

    csrf: str = ""


def login(server: LiveServer, name: str, password: str = PASSWORD) -> WebClient:
    """A client logged in as name, with the session's CSRF token in client.csrf."""
    client = WebClient(base_url=server.url, follow_redirects=False, timeout=10)
    page = client.get("/login")
    response = client.post(
        "/login", data={"name": name, "password": password, "csrf_token": csrf_from(page.text)}
    )
    assert response.status_code == 303, response.text
    client.csrf = csrf_from(client.get("/dashboard").text)
    return client
