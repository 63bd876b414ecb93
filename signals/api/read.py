"""The read API (FastAPI): contacts, accounts, signals and a cursor-paginated activity feed.

Mount it on any FastAPI app that has a store:

    app.state.engine = engine            # a migrated signals store
    app.state.api_tokens = {"s3cret"}    # optional; else SIGNALS_API_TOKENS or api.toml
    app.include_router(read.router)

Every request needs `Authorization: Bearer TOKEN` with one of the configured tokens. Lists are
cursor-paginated: pass the `next_cursor` of one page as `cursor` to get the next; a cursor is
the last id seen, so new rows never shift a page and the feed can be followed forever.
"""

from __future__ import annotations

import base64
import hmac
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Generic, TypeVar

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlmodel import col

from signals.config import read_toml
from signals.errors import ConfigError
from signals.people import api as people
from signals.store import models as db

TOKENS_ENV = "SIGNALS_API_TOKENS"
TOKENS_FILE = "api.toml"
MAX_LIMIT = 500
T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list; `next_cursor` is null on the last page."""

    items: list[T]
    next_cursor: str | None


class ContactOut(BaseModel):
    id: int
    display_name: str
    email: str | None
    title: str | None
    account_id: int | None
    account_name: str | None
    fit_grade: str
    band: int
    cell: str
    score: float
    lifecycle_stage: str
    buyer_stage: str | None
    identities: list[dict[str, Any]]
    inferred: list[dict[str, Any]]
    owner: str | None = None
    committee_role: str | None = None
    category_scores: dict[str, float] | None = None


class AccountOut(BaseModel):
    id: int
    name: str
    domain: str | None
    score: float
    band: int
    buyer_stage: str | None
    contacts: list[dict[str, Any]]


class SignalOut(BaseModel):
    id: int
    post_id: int
    url: str | None
    author: str | None
    title: str | None
    published: datetime | None
    confidence: float
    stage: str | None
    intents: list[str]
    products: list[str]
    evidence: list[dict[str, Any]]
    model_version: str


class ActivityOut(BaseModel):
    id: int
    contact_id: int
    kind: str
    stage: str | None
    intents: list[str]
    weight: float
    occurred_at: datetime
    post_id: int
    signal_id: int | None
    url: str | None


def configured_tokens(config_dir: Path | None = None) -> frozenset[str]:
    """Tokens from SIGNALS_API_TOKENS (comma-separated), else `tokens` in api.toml."""
    if os.environ.get(TOKENS_ENV):
        return frozenset(t.strip() for t in os.environ[TOKENS_ENV].split(",") if t.strip())
    if config_dir is not None and (config_dir / TOKENS_FILE).is_file():
        path = config_dir / TOKENS_FILE
        tokens = read_toml(path).get("tokens", [])
        if not isinstance(tokens, list) or not all(isinstance(t, str) and t for t in tokens):
            raise ConfigError(f"{path}: tokens must be a list of non-empty strings")
        return frozenset(tokens)
    return frozenset()


_bearer = HTTPBearer(auto_error=False)


def _authorised(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    tokens = getattr(request.app.state, "api_tokens", None)
    if tokens is None:
        tokens = configured_tokens(getattr(request.app.state, "config_dir", None))
    if not tokens:
        raise HTTPException(503, f"no API token configured; set {TOKENS_ENV} or api.toml tokens")
    given = credentials.credentials if credentials else ""
    # Constant-time comparison against each token: no timing hint about a near miss.
    if not any(hmac.compare_digest(given.encode(), t.encode()) for t in tokens):
        raise HTTPException(401, "missing or wrong bearer token", {"WWW-Authenticate": "Bearer"})


def _session(request: Request) -> Iterator[Session]:
    engine: Engine | None = getattr(request.app.state, "engine", None)
    if engine is None:
        raise HTTPException(500, "the app has no store: set app.state.engine")
    with Session(engine) as session:
        yield session


router = APIRouter(prefix="/api", tags=["read"], dependencies=[Depends(_authorised)])
SessionDep = Annotated[Session, Depends(_session)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[str | None, Query(description="next_cursor of the previous page")]


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The last id of the previous page (0 for the first page); 400 for a forged cursor."""
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = raw.partition(":")
        if kind != "id" or not value.isdigit():
            raise ValueError(raw)
        return int(value)
    except (ValueError, UnicodeDecodeError):
        raise HTTPException(400, "bad cursor; pass next_cursor from the previous page") from None


def _page(items: list[Any], ids: list[int], limit: int) -> dict[str, Any]:
    more = len(items) > limit
    return {
        "items": items[:limit],
        "next_cursor": encode_cursor(ids[limit - 1]) if more else None,
    }


@router.get("/contacts", response_model=Page[ContactOut])
def list_contacts(session: SessionDep, limit: Limit = 50, cursor: Cursor = None) -> Any:
    """Live contacts by id, with their score now, matrix cell and stages."""
    statement = (
        select(col(db.Contact.id))
        .where(col(db.Contact.merged_into_id).is_(None))
        .where(col(db.Contact.id) > decode_cursor(cursor))
        .order_by(col(db.Contact.id))
        .limit(limit + 1)
    )
    ids = [i for i in session.scalars(statement) if i is not None]
    cards = [people.contact_card(session, i) for i in ids]
    return _page([c.to_dict() for c in cards if c], ids, limit)


@router.get("/contacts/{contact_id}", response_model=ContactOut)
def get_contact(contact_id: int, session: SessionDep) -> Any:
    """One contact (the one it was merged into, if merged)."""
    card = people.contact_card(session, contact_id)
    if card is None:
        raise HTTPException(404, f"no contact {contact_id}")
    return card.to_dict()


@router.get("/contacts/{contact_id}/explain")
def explain_contact(
    contact_id: int, session: SessionDep, as_of: datetime | None = None
) -> dict[str, Any]:
    """The activities and fit rules behind a contact's score (optionally as of a date)."""
    if session.get(db.Contact, contact_id) is None:
        raise HTTPException(404, f"no contact {contact_id}")
    if as_of is not None and as_of.tzinfo is None:
        raise HTTPException(400, "as_of needs a time zone, e.g. 2026-11-01T00:00:00Z")
    return people.explain_contact(session, contact_id, as_of).to_dict()


@router.get("/contacts/{contact_id}/stages")
def contact_stages(contact_id: int, session: SessionDep) -> list[dict[str, Any]]:
    """Every lifecycle and buyer-stage change of a contact, oldest first."""
    return [c.to_dict() for c in people.stage_history(session, contact_id)]


@router.get("/accounts", response_model=Page[AccountOut])
def list_accounts(session: SessionDep, limit: Limit = 50, cursor: Cursor = None) -> Any:
    """Accounts by id, with their score now, band, buyer stage and people."""
    statement = (
        select(col(db.Account.id))
        .where(col(db.Account.id) > decode_cursor(cursor))
        .order_by(col(db.Account.id))
        .limit(limit + 1)
    )
    ids = [i for i in session.scalars(statement) if i is not None]
    cards = [people.account_card(session, i) for i in ids]
    return _page([c.to_dict() for c in cards if c], ids, limit)


@router.get("/accounts/{account_id}", response_model=AccountOut)
def get_account(account_id: int, session: SessionDep) -> Any:
    """One account."""
    card = people.account_card(session, account_id)
    if card is None:
        raise HTTPException(404, f"no account {account_id}")
    return card.to_dict()


@router.get("/signals", response_model=Page[SignalOut])
def list_signals(
    session: SessionDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    intent: str | None = None,
    stage: str | None = None,
) -> Any:
    """Buying signals by id, oldest first, optionally of one intent or stage."""
    statement = (
        select(db.Signal, db.Post)
        .join(db.Post, col(db.Post.id) == col(db.Signal.post_id))
        .where(col(db.Signal.id) > decode_cursor(cursor))
        .order_by(col(db.Signal.id))
    )
    if stage:
        statement = statement.where(col(db.Signal.stage) == stage)
    rows = []
    for signal, post in session.execute(statement):
        if intent and intent not in signal.intents:
            continue  # JSON lists filter the same way on SQLite and PostgreSQL in Python
        rows.append((signal, post))
        if len(rows) > limit:
            break
    items = [
        SignalOut(
            id=s.id or 0,
            post_id=s.post_id,
            url=p.url,
            author=p.author,
            title=p.title,
            published=p.published_at,
            confidence=s.confidence,
            stage=s.stage,
            intents=s.intents,
            products=s.products,
            evidence=s.evidence,
            model_version=s.model_version,
        )
        for s, p in rows
    ]
    return _page(items, [s.id or 0 for s, _ in rows], limit)


@router.get("/activities", response_model=Page[ActivityOut])
def activity_feed(
    session: SessionDep,
    limit: Limit = 100,
    cursor: Cursor = None,
    contact_id: int | None = None,
) -> Any:
    """The activity feed in the order it was recorded: follow it with next_cursor."""
    statement = (
        select(db.Activity, col(db.Post.url))
        .join(db.Post, col(db.Post.id) == col(db.Activity.post_id))
        .where(col(db.Activity.id) > decode_cursor(cursor))
        .order_by(col(db.Activity.id))
        .limit(limit + 1)
    )
    if contact_id is not None:
        statement = statement.where(col(db.Activity.contact_id) == contact_id)
    rows = list(session.execute(statement))
    items = [
        ActivityOut(
            id=a.id or 0,
            contact_id=a.contact_id,
            kind=a.kind,
            stage=a.stage,
            intents=a.intents,
            weight=a.weight,
            occurred_at=a.occurred_at,
            post_id=a.post_id,
            signal_id=a.signal_id,
            url=url,
        )
        for a, url in rows
    ]
    return _page(items, [a.id or 0 for a, _ in rows], limit)


def create_app(
    engine: Engine, tokens: frozenset[str] | None = None, config_dir: Path | None = None
) -> FastAPI:
    """An app serving only the read API, docs at /docs (`signals serve` mounts the router)."""
    app = FastAPI(title="buying-signals read API", version="1")
    app.state.engine = engine
    app.state.config_dir = config_dir
    if tokens is not None:
        app.state.api_tokens = tokens
    app.include_router(router)
    return app
