"""Merges on evidence only: reasons, proposals, the no-merge list, reviewer decisions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlmodel import col

from signals.people import api, clock, identities
from signals.people.identities import MergeRefused
from signals.store import models as db
from signals.store.models_people import MergeLedger

NOW = datetime(2026, 5, 4, tzinfo=UTC)


def _person(session: Session, *handles: tuple[str, str], **fields: object) -> int:
    contact = db.Contact(display_name=handles[0][1] if handles else "x", **fields)
    session.add(contact)
    session.flush()
    assert contact.id is not None
    for platform, handle in handles:
        session.add(db.Identity(contact_id=contact.id, platform=platform, handle=handle))
    session.flush()
    return contact.id


def _owner(session: Session, platform: str, handle: str) -> int:
    statement = select(db.Identity).where(
        col(db.Identity.platform) == platform, col(db.Identity.handle) == handle
    )
    return identities.live(session, session.scalars(statement).one().contact_id).id or 0


def test_two_handles_of_one_platform_are_never_merged_automatically(engine: Engine) -> None:
    with clock.fixed(NOW), Session(engine) as session:
        a = _person(session, ("reddit", "ann"), ("github", "ann-gh"))
        b = _person(session, ("reddit", "ann_alt"))
        with pytest.raises(MergeRefused, match="different reddit handles"):
            identities.merge_contacts(session, a, b, ["same person, surely"])
        assert identities.merge_on_evidence(session, a, b, ["CRM says so"]) == "proposed"
        (proposal,) = api.merge_proposals(session)
        assert proposal.reasons[0] == "CRM says so"
        assert session.scalars(select(MergeLedger)).first() is None
        # A reviewer may join them: the rule is about automatic merges.
        api.approve_merge(session, proposal.id, "reviewer@vendor.example")
        assert _owner(session, "reddit", "ann_alt") == a
        ledger = session.scalars(select(MergeLedger)).one()
        assert ledger.actor == "reviewer@vendor.example"
        assert api.merge_proposals(session, "approved")[0].id == proposal.id


def test_a_profile_linking_another_handle_merges_with_the_reason(engine: Engine) -> None:
    with clock.fixed(NOW), Session(engine) as session:
        github = _person(session, ("github", "octo-dev"))
        hn = _person(session, ("hackernews", "octodev"))
        reddit = _person(session, ("reddit", "octo_dev"))
        outcomes = identities.link_profile(
            session,
            github,
            [
                "https://news.ycombinator.com/user?id=octodev",
                "https://www.reddit.com/user/octo_dev/",
                "https://octo.example/blog",  # a website, not a handle: no merge
            ],
        )
        assert outcomes == ["merged", "merged"]
        assert _owner(session, "hackernews", "octodev") == github
        assert _owner(session, "reddit", "octo_dev") == github
        reasons = [r.reasons for r in session.scalars(select(MergeLedger))]
        assert reasons == [
            [f"profile of contact {github} links hackernews:octodev"],
            [f"profile of contact {github} links reddit:octo_dev"],
        ]
        assert {hn, reddit} == {
            c.id
            for c in session.scalars(
                select(db.Contact).where(col(db.Contact.merged_into_id) == github)
            )
        }


def test_same_verified_email_or_website_merges(engine: Engine) -> None:
    with clock.fixed(NOW), Session(engine) as session:
        a = _person(session, ("reddit", "kim"), website="kim.example")
        b = _person(session, ("github", "kimk"), website="kim.example")
        c = _person(session, ("hackernews", "kk"), email="kim@kim.example")
        d = _person(session, ("bluesky", "kim.bsky.social"), email="kim@kim.example")
        assert identities.merge_same_keys(session, a) == ["merged"]
        assert identities.merge_same_keys(session, c) == ["merged"]
        assert _owner(session, "github", "kimk") == a
        assert _owner(session, "bluesky", "kim.bsky.social") == c
        assert {tuple(r.reasons) for r in session.scalars(select(MergeLedger))} == {
            ("same website kim.example",),
            ("same e-mail kim@kim.example",),
        }
        assert identities.live(session, d).id == c
        assert identities.live(session, b).id == a


def test_rejected_pairs_go_on_the_no_merge_list(engine: Engine) -> None:
    with clock.fixed(NOW), Session(engine) as session:
        a = _person(session, ("reddit", "lee"))
        b = _person(session, ("hackernews", "lee"))
        # One handle on two platforms is a hint, not evidence: a proposal, never a merge.
        new = session.scalars(select(db.Identity).where(col(db.Identity.contact_id) == b)).one()
        assert identities.propose_same_handles(session, [new]) == 1
        (proposal,) = api.merge_proposals(session)
        assert "same handle 'lee'" in proposal.reasons[0]
        api.reject_merge(session, proposal.id, "reviewer")
        assert identities.is_no_merge(session, a, b)
        assert identities.propose_merge(session, a, b, ["again"], 0.9) is None
        assert identities.merge_on_evidence(session, a, b, ["CRM row"]) == "refused"
        with pytest.raises(MergeRefused, match="no-merge list"):
            identities.merge_contacts(session, a, b, ["x"], reviewed=True)
        with pytest.raises(Exception, match="already rejected"):
            api.reject_merge(session, proposal.id, "reviewer")


def test_a_merge_keeps_the_stage_sales_gave_either_contact(engine: Engine) -> None:
    with clock.fixed(NOW), Session(engine) as session:
        keep = _person(session, ("reddit", "pat"), lifecycle_stage="MIL")
        other = _person(session, ("github", "pat-gh"), lifecycle_stage="SQL")
        identities.merge_contacts(session, keep, other, ["CRM import lists github:pat-gh"])
        assert session.get_one(db.Contact, keep).lifecycle_stage == "SQL"
        (change,) = [c for c in api.stage_history(session, keep) if c.kind == "lifecycle"]
        assert (change.old, change.new, change.at) == ("MIL", "SQL", NOW)
        assert change.reason == f"merged with contact {other}, which sales had at SQL"
