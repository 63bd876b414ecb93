"""Organisation hints (classifiers/org_hints.py): size, industry, tools, role, with evidence."""

from __future__ import annotations

from typing import Any

import pytest

from classifiers.org_hints import ATTRIBUTES, OrgHint, OrgHintExtractor

TOOLS = ("Jira", "Postgres", "Zendesk", "Freshdesk", "OneNote", "Gmail")


@pytest.fixture(scope="module")
def extractor() -> OrgHintExtractor:
    return OrgHintExtractor(TOOLS)


def _found(hints: tuple[OrgHint, ...]) -> set[tuple[str, str]]:
    return {(h.attribute, h.value) for h in hints}


def test_the_issue_example_yields_every_kind_of_hint(extractor: OrgHintExtractor) -> None:
    text = "We're a 40-person fintech on Postgres, moving off Jira; our CTO asked me to look."
    hints = extractor.extract(text)
    assert _found(hints) == {
        ("company_size", "40"),
        ("industry", "fintech"),
        ("tool_in_use", "Postgres"),
        ("tool_replaced", "Jira"),
        ("sponsor", "CTO"),
        ("role", "evaluator"),
    }
    for hint in hints:
        assert hint.attribute in ATTRIBUTES
        assert text[hint.start : hint.end] == hint.evidence
        assert 0 < hint.confidence <= 1
    by_attribute = {h.attribute: h for h in hints}
    assert by_attribute["tool_replaced"].evidence == "moving off Jira"
    assert by_attribute["company_size"].evidence == "40-person fintech"


# Real posts from data/labeled (ids there), and what each says about the writer's organisation.
REAL = {
    "hn_16494672": {("team_size", "4")},
    "rt_1egv43": {("role", "CFO")},
    "rt_13hjnb": {("tool_replaced", "OneNote")},
    "rt_tghgq": {("tool_in_use", "Gmail")},
    "rt_1e37mv": {("industry", "accounting")},
    "rt_183568": {("company_size", "4")},
}


@pytest.mark.parametrize("post_id", sorted(REAL))
def test_real_posts_give_their_hints(
    extractor: OrgHintExtractor, labeled: dict[str, dict[str, Any]], post_id: str
) -> None:
    record = labeled[post_id]
    text = "\n".join(filter(None, (record.get("title"), record["text"])))
    assert REAL[post_id] <= _found(extractor.extract(text))


def test_counts_and_pronouns_are_not_organisation_hints(
    extractor: OrgHintExtractor, labeled: dict[str, dict[str, Any]]
) -> None:
    # "2 people suggested ..." counts people, it does not size a company.
    record = labeled["rt_tfkq3"]
    assert not {h for h in extractor.extract(record["text"]) if h.attribute == "company_size"}
    assert _found(extractor.extract("I've been using Chrome I think")) == {
        ("tool_in_use", "Chrome")
    }
    assert extractor.extract("Nothing about anyone's company here.") == ()


def test_many_texts_keep_their_order(extractor: OrgHintExtractor) -> None:
    texts = ["We use Zendesk.", "no hints", "Looking for alternatives to Freshdesk"]
    results = list(extractor.extract_many(texts))
    assert [_found(r) for r in results] == [
        {("tool_in_use", "Zendesk")},
        set(),
        {("tool_replaced", "Freshdesk")},
    ]


def test_importing_org_hints_does_not_import_spacy() -> None:
    import subprocess
    import sys

    code = "import classifiers.org_hints, sys; assert 'spacy' not in sys.modules"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
