"""The pipeline's merge step: signals become typed activities, hints, scores, stages and tasks."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from signals.identity import Author, resolve_identities
from signals.people import (
    account_scores,
    clock,
    erasure,
    identities,
    incremental,
    plays,
    publish,
    segment,
)
from signals.people import config as people_config
from signals.store import models as db
from signals.store.bulk import insert_ignoring_duplicates
from signals.store.columns import utcnow
from signals.store.models import table
from signals.store.models_people import AccountActivity, ContactScore, InferredAttribute

if TYPE_CHECKING:
    from classifiers import Classification
    from classifiers.org_hints import OrgHintExtractor


def activity_kind(
    classification: Classification,
    post: db.Post,
    config: people_config.ScoringConfig,
    replies_to_us: bool = False,
) -> str:
    """The strongest by configured weight of the signal's intents and, for an answer to one of
    our own accounts, reply_to_us; else comment (a reply) or post."""
    kinds = [i for i in classification.intents if i in config.activity]
    if replies_to_us and "reply_to_us" in config.activity:
        kinds.append("reply_to_us")
    if kinds:
        return max(kinds, key=lambda k: config.activity[k].weight)
    return "comment" if post.parent_external_id else "post"


def _replies_to_us(
    session: Session, posts: Sequence[db.Post], config: people_config.ScoringConfig
) -> set[int]:
    """Ids of the posts that answer a post written by one of our own accounts."""
    from signals.identity import normalise_handle, platform_for

    parent_ids = {p.parent_id for p in posts if p.parent_id}
    if not config.our_handles or not parent_ids:
        return set()
    kinds: dict[int | None, str] = {}
    for source_id, kind in session.execute(select(col(db.Source.id), col(db.Source.kind))):
        kinds[source_id] = kind
    ours = set()
    statement = select(db.Post).where(col(db.Post.id).in_(parent_ids))
    for parent in session.scalars(statement):
        if parent.author:
            platform = platform_for(
                parent.url or parent.thread_url, kinds.get(parent.source_id, "")
            )
            if f"{platform}:{normalise_handle(platform, parent.author)}" in config.our_handles:
                ours.add(parent.id)
    return {p.id for p in posts if p.id and p.parent_id in ours}


@lru_cache(maxsize=1)
def _extractor(tools: tuple[str, ...]) -> OrgHintExtractor:
    from classifiers.org_hints import OrgHintExtractor

    return OrgHintExtractor(tools)


def merge_signals(
    session: Session,
    authored: Sequence[tuple[db.Post, Classification, Author]],
    signal_ids: dict[int, int],
    unauthored: Sequence[tuple[db.Post, Classification]] = (),
) -> int:
    """Activities for new signals on their authors' contacts, then hints, scores, plays, events.

    Authors on the forget list get nothing. A signal with no author that is posted on, or
    names, a known account's domain becomes an activity of that account. The batch is read
    and written in bulk and folded in post order (`incremental.apply_activities`): the
    outcome is the one of merging the posts one at a time. Returns the number of new
    (contact) activities.
    """
    config = people_config.active()
    now = clock.now()
    company = _company_activities(session, unauthored, signal_ids, config)
    forgotten = erasure.forgotten_check(session)
    authored = [item for item in authored if not forgotten(item[2].platform, item[2].handle)]
    merged = 0
    with publish.collected(session):  # every event of the batch in one insert, in order
        for run in _in_post_order(authored, company):
            if isinstance(run, dict):
                _store_company_activity(session, run, now, config)
            else:
                merged += _merge_authored(session, run, signal_ids, config, now)
    return merged


Authored = tuple[db.Post, "Classification", Author]


def _in_post_order(
    authored: Sequence[Authored], company: Sequence[dict[str, Any]]
) -> Iterator[list[Authored] | dict[str, Any]]:
    """The batch in post order: runs of authored signals (merged as one batch) and, between
    them, each company activity on its own, as merging the posts one at a time would see them.
    Within a run, activities, hints and new contacts get their ids in post order too."""
    ordered = sorted(
        [(item[0].id or 0, item) for item in authored] + [(row["post_id"], row) for row in company],
        key=lambda pair: pair[0],
    )
    run: list[Authored] = []
    for _, item in ordered:
        if isinstance(item, dict):
            if run:
                yield run
                run = []
            yield item
        else:
            run.append(item)
    if run:
        yield run


def _merge_authored(
    session: Session,
    authored: Sequence[Authored],
    signal_ids: dict[int, int],
    config: people_config.ScoringConfig,
    now: datetime,
) -> int:
    """One run of authored signals, in post order, whose authors are not on the forget list."""
    known = _known_identities(session, [a for _, _, a in authored])
    found = resolve_identities(session, (a for _, _, a in authored))
    identities.propose_same_handles(session, [i for key, i in found.items() if key not in known])
    answers_us = _replies_to_us(session, [p for p, _, _ in authored], config)
    # Held here so the identity map keeps them: live() and the hints below look them up.
    contacts = _contacts(session, {i.contact_id for i in found.values()})
    rows: list[dict[str, Any]] = []
    for post, classification, author in authored:
        assert post.id is not None
        identity = found[(author.platform, author.handle)]
        kind = activity_kind(classification, post, config, post.id in answers_us)
        contact = identities.live(session, identity.contact_id)
        contacts[contact.id or 0] = contact
        rows.append(
            {
                "contact_id": contact.id,
                "identity_id": identity.id,
                "post_id": post.id,
                "signal_id": signal_ids[post.id],
                "kind": kind,
                "stage": classification.stage,
                "intents": list(classification.intents),
                "weight": config.activity_type(kind).weight * classification.confidence,
                "occurred_at": post.published_at or post.fetched_at,
                "created_at": utcnow(),
            }
        )
    inserted = insert_ignoring_duplicates(
        session,
        table(db.Activity),
        rows,
        ("post_id", "contact_id", "kind"),
        returning=("id", "post_id"),
    )
    by_post = {post.id: (post, c) for post, c, _ in authored}
    new_posts = {post_id for _, post_id in inserted}
    _store_hints(
        session,
        [(r["post_id"], contacts[r["contact_id"]]) for r in rows if r["post_id"] in new_posts],
        by_post,
        config,
    )

    def publish_and_play(activity: db.Activity, score: ContactScore, contact: db.Contact) -> None:
        post, classification = by_post[activity.post_id]
        quote = next((e.text for e in classification.evidence), None)
        publish.publish(session, [segment.track(activity, post, score, contact, quote)])
        plays.run_plays(session, contact, activity, score, config, now)

    activity_ids = [activity_id for activity_id, _ in inserted]
    incremental.apply_activities(session, activity_ids, now, on_applied=publish_and_play)
    return len(inserted)


def _contacts(session: Session, ids: set[int]) -> dict[int, db.Contact]:
    statement = select(db.Contact).where(col(db.Contact.id).in_(sorted(ids)))
    return {contact.id or 0: contact for contact in session.scalars(statement)}


def _known_identities(session: Session, authors: Sequence[Author]) -> set[tuple[str, str]]:
    if not authors:
        return set()
    handles = {a.handle for a in authors}
    statement = select(col(db.Identity.platform), col(db.Identity.handle)).where(
        col(db.Identity.handle).in_(handles)
    )
    return {(p, h) for p, h in session.execute(statement)}


def _store_hints(
    session: Session,
    posts: Sequence[tuple[int, db.Contact]],
    by_post: dict[int | None, tuple[db.Post, Classification]],
    config: people_config.ScoringConfig,
) -> None:
    """Organisation hints of each post (in post order), on its contact and its account."""
    if not posts:
        return
    extractor = _extractor(tuple(sorted(config.product_categories)))
    texts = ["\n".join(filter(None, (by_post[p][0].title, by_post[p][0].text))) for p, _ in posts]
    for (post_id, contact), hints in zip(posts, extractor.extract_many(texts), strict=True):
        for hint in hints:
            session.add(
                InferredAttribute(
                    contact_id=contact.id,
                    account_id=contact.account_id,
                    post_id=post_id,
                    attribute=hint.attribute,
                    value=hint.value,
                    evidence=hint.evidence,
                    confidence=hint.confidence,
                )
            )
    session.flush()


def _company_activities(
    session: Session,
    posts: Sequence[tuple[db.Post, Classification]],
    signal_ids: dict[int, int],
    config: people_config.ScoringConfig,
) -> list[dict[str, Any]]:
    """Signals tied to no person but to a known company stay on the company's account: the
    rows of their account activities."""
    if not posts:
        return []
    domains: dict[str, int] = {}
    for account_id, domain in session.execute(select(col(db.Account.id), col(db.Account.domain))):
        if domain and account_id is not None:
            domains[domain] = account_id
    if not domains:
        return []
    rows = []
    for post, classification in posts:
        assert post.id is not None
        found = _account_of(post, domains)
        if found is None:
            continue
        account_id, reason = found
        kind = activity_kind(classification, post, config)
        rows.append(
            {
                "account_id": account_id,
                "post_id": post.id,
                "signal_id": signal_ids[post.id],
                "kind": kind,
                "stage": classification.stage,
                "intents": list(classification.intents),
                "weight": config.activity_type(kind).weight * classification.confidence,
                "reason": reason,
                "occurred_at": post.published_at or post.fetched_at,
                "created_at": utcnow(),
            }
        )
    return rows


def _store_company_activity(
    session: Session, row: dict[str, Any], now: datetime, config: people_config.ScoringConfig
) -> None:
    """One company activity, then its account's score and buyer stage."""
    insert_ignoring_duplicates(
        session, table(AccountActivity), [row], ("post_id", "account_id", "kind")
    )
    account_scores.refresh_account(session, row["account_id"], now, config)


def _account_of(post: db.Post, domains: dict[str, int]) -> tuple[int, str] | None:
    """The account a post is on (its site) or names (its domain in the text), with why."""
    from signals.people.accounts import company_domain

    host = company_domain(url=post.url) or ""
    for domain, account_id in domains.items():
        if host == domain or host.endswith("." + domain):
            return account_id, f"posted on {domain}"
    words = set(re.findall(r"[\w.-]+\.[a-z]{2,}", f"{post.title or ''} {post.text}".lower()))
    for domain, account_id in sorted(domains.items()):
        if domain in words:
            return account_id, f"names {domain}"
    return None
