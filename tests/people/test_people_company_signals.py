"""A signal with no author that is posted on a known company's site counts for the account."""

from __future__ import annotations

import json
from xml.sax.saxutils import escape

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlmodel import col

from signals import pipeline
from signals.classifier import load_classifier
from signals.config import Settings, load_settings
from signals.demo import DEMO_DATA
from signals.people import api, clock
from signals.replay import ReplayServer, Route
from signals.store import models as db
from signals.store.models_people import AccountActivity
from sources import HttpClient
from tests.people.conftest import NOW, Invoke, run_pipeline
from tests.people.test_people_worked_example import CSV


def _authorless_feed(post: dict[str, str], link: str) -> bytes:
    """One real post (title and text unchanged) as an RSS item with no author."""
    return (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>company blog</title>"
        f"<item><guid isPermaLink='false'>{escape(post['id'])}</guid>"
        f"<title>{escape(post['title'])}</title><link>{escape(link)}</link>"
        "<pubDate>Mon, 12 Aug 2013 16:00:00 GMT</pubDate>"
        f"<description>{escape(post['text'])}</description></item></channel></rss>"
    ).encode()


def test_authorless_signal_on_a_company_site_stays_on_its_account(
    engine: Engine, settings: Settings, served: ReplayServer, cli: Invoke
) -> None:
    run_pipeline(engine, settings)
    assert cli("contacts", "import", str(CSV)).exit_code == 0
    with clock.fixed(NOW), Session(engine) as session:
        account_id = session.scalars(
            select(col(db.Account.id)).where(col(db.Account.domain) == "fabrikam.example")
        ).one()
        assert account_id is not None
        before = api.account_card(session, account_id)
    assert before is not None
    posts = [json.loads(line) for line in (DEMO_DATA / "posts.jsonl").read_text().splitlines()]
    post = next(p for p in posts if p["author"] == "northnodes")  # a real evaluation post
    served.routes["/company.rss"] = Route(
        body=_authorless_feed(post, "https://blog.fabrikam.example/2013/08/card-readers"),
        content_type="application/rss+xml",
    )
    config = settings.directory / "signals.toml"
    config.write_text(
        config.read_text()
        + f'\n[[sources]]\nname = "company"\nkind = "rss"\nurl = "{served.url("/company.rss")}"\n'
    )
    changed = load_settings(settings.directory)
    pipeline.sync_sources(engine, changed.sources)
    with clock.fixed(NOW), HttpClient(changed.http) as http:
        pipeline.run(engine, http, load_classifier(changed.directory), names=["company"])
    with clock.fixed(NOW), Session(engine) as session:
        (activity,) = session.scalars(select(AccountActivity))
        assert (activity.account_id, activity.reason) == (account_id, "posted on fabrikam.example")
        assert activity.kind == "alternative_seeking"
        after = api.account_card(session, account_id)
        assert after is not None
        assert after.score > before.score
        assert after.buyer_stage == "evaluate"
        # No person was made up for it.
        authors = session.scalars(
            select(db.Activity).where(col(db.Activity.post_id) == activity.post_id)
        )
        assert list(authors) == []
