"""The rule classifier on real labelled posts: decisions, intents, stages, products, evidence."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from labeled_posts import as_document

from classifiers import Classification, Document, RuleClassifier, RuleSet
from classifiers.rules import runs_on


def classify_one(classifier: RuleClassifier, record: dict[str, Any]) -> Classification:
    return next(classifier.classify([as_document(record)]))


@pytest.mark.parametrize(
    ("post_id", "intent", "stage"),
    [
        ("rt_1iht6j", "alternative_seeking", "evaluate"),  # "Alternatives to Hootsuite?"
        ("rt_1dn6sr", "recommendation_request", "evaluate"),  # "suggestions for a good CRM"
        ("rt_y7omh", "comparison", "evaluate"),  # "Linode or Heroku?"
        ("rt_12qd0r", "pricing_inquiry", "deploy"),  # "Vmware ESXi. Whats the deal with licensing?"
    ],
)
def test_clear_buying_posts_are_signals_with_their_intent_and_stage(
    classifier: RuleClassifier,
    labeled: dict[str, dict[str, Any]],
    post_id: str,
    intent: str,
    stage: str,
) -> None:
    record = labeled[post_id]
    assert record["is_signal"]
    result = classify_one(classifier, record)
    assert result.is_signal
    assert intent in result.intents
    assert result.stage == stage
    assert result.confidence >= classifier.rules.scoring.threshold


@pytest.mark.parametrize(
    ("post_id", "penalty"),
    [
        ("hn_16513573", "penalty:hiring/"),  # "Tovala (YC W16) Looking for Chicago Office Manager"
        ("rt_ie1r3", "penalty:hiring/"),  # "[Hiring] Looking for an awesome web designer"
        ("hn_16490595", "penalty:launch/"),  # "Show HN: Graphite – ... Google Docs alternative"
        ("rt_1blkhf", "penalty:announcement/"),  # "Chemlab 0.1 Released"
        ("rt_1372dc", "penalty:launch/"),  # "Version 2.0 of Reddit To Go! is live ..."
    ],
)
def test_job_posts_launches_and_release_notes_are_not_signals(
    classifier: RuleClassifier, labeled: dict[str, dict[str, Any]], post_id: str, penalty: str
) -> None:
    record = labeled[post_id]
    assert not record["is_signal"]
    result = classify_one(classifier, record)
    assert not result.is_signal
    assert result.stage is None
    assert result.intents == ()
    assert any(e.rule.startswith(penalty) for e in result.evidence)


def test_evidence_offsets_point_at_the_evidence_text_on_every_dev_post(
    classifier: RuleClassifier, dev: list[dict[str, Any]]
) -> None:
    results = list(classifier.classify(as_document(r) for r in dev))
    assert sum(r.is_signal for r in results) > 0
    for record, result in zip(dev, results, strict=True):
        for e in result.evidence:
            source = record["title"] if e.field == "title" else record["text"]
            assert source[e.start : e.end] == e.text, (record["id"], e)
        contract = result.to_contract(record["id"])
        for e in contract["evidence"]:  # type: ignore[attr-defined]
            assert record["text"][e["start"] : e["end"]] == e["text"]


def test_title_cues_are_reported_with_title_offsets(
    classifier: RuleClassifier, labeled: dict[str, dict[str, Any]]
) -> None:
    record = labeled["rt_1iht6j"]  # "Alternatives to Hootsuite?"
    result = classify_one(classifier, record)
    in_title = [e for e in result.evidence if e.field == "title"]
    assert any(e.rule == "intent:alternative_seeking/alternatives_to" for e in in_title)
    assert all(record["title"][e.start : e.end] == e.text for e in in_title)
    # The contract's offsets index `text`, so title spans stay out of it.
    in_text = [e for e in result.evidence if e.field == "text"]
    assert len(result.to_contract(record["id"])["evidence"]) == len(in_text)  # type: ignore[arg-type]


def test_listed_products_are_found_case_insensitively_and_reported_as_written(
    classifier: RuleClassifier, labeled: dict[str, dict[str, Any]]
) -> None:
    # "I hate GoDaddy, Domain.com/Dotster, GANDI, and Network Solutions. ..."
    result = classify_one(classifier, labeled["rt_i1f6i"])
    assert result.products[:4] == ("GoDaddy", "Domain.com", "Dotster", "GANDI")
    assert "Network Solutions" in result.products
    assert any(e.rule == "product:GoDaddy" for e in result.evidence)
    # "I've become fairly proficient with iMovie ... move from iMovie to Final Cut Pro X"
    result = classify_one(classifier, labeled["rt_1ecrcb"])
    assert {"imovie", "final cut pro x"} <= {p.lower() for p in result.products}


def test_products_are_deduplicated_case_insensitively_in_order_of_appearance(
    classifier: RuleClassifier, labeled: dict[str, dict[str, Any]]
) -> None:
    # "PayPal. Most people use it. ..." then "paypal" twice in the text.
    result = classify_one(classifier, labeled["rt_nupth"])
    assert [p.lower() for p in result.products].count("paypal") == 1
    assert result.products[0] == "PayPal"


def test_everyday_words_count_as_products_only_when_capitalised(
    classifier: RuleClassifier, labeled: dict[str, dict[str, Any]]
) -> None:
    # "We currently use Square, but ..." (r/smallbusiness) names the product.
    assert "Square" in classify_one(classifier, labeled["rt_1k7upr"]).products
    doc = Document("x", labeled["rt_1k7upr"]["text"].replace("Square", "square"))
    assert "square" not in {p.lower() for p in next(classifier.classify([doc])).products}


def test_versions_stay_with_the_product_name(
    classifier: RuleClassifier, labeled: dict[str, dict[str, Any]]
) -> None:
    # "... ESXi 5.0 has failed to load ..."
    assert "ESXi 5.0" in classify_one(classifier, labeled["rt_12qd0r"]).products


def test_one_result_per_document_in_input_order_across_batches(
    rules: Any, dev: list[dict[str, Any]]
) -> None:
    small = RuleClassifier(rules, batch_size=7)
    docs = [as_document(r) for r in dev[:30]]
    batched = list(small.classify(docs))
    single = [next(small.classify([d])) for d in docs]
    assert batched == single


def test_classify_is_lazy_and_reads_one_batch_at_a_time(
    rules: Any, dev: list[dict[str, Any]]
) -> None:
    taken: list[str] = []

    def docs() -> Iterator[Document]:
        for record in dev:
            taken.append(record["id"])
            yield as_document(record)

    small = RuleClassifier(rules, batch_size=4)
    results = small.classify(docs())
    assert taken == []
    next(results)
    assert len(taken) == 4


def test_context_informs_a_comment_but_never_produces_evidence(
    classifier: RuleClassifier, labeled: dict[str, dict[str, Any]]
) -> None:
    opener = labeled["rt_1dn6sr"]  # "Looking for suggestions for a good CRM for a non-profit"
    context = f"{opener['title']}\n\n{opener['text']}"
    reply = "Check out Salesforce, I recommend their nonprofit program. You should try it."
    alone = next(classifier.classify([Document("c", reply)]))
    as_answer = next(classifier.classify([Document("c", reply, context=context)]))
    assert as_answer.confidence < alone.confidence  # advice to the thread's author
    assert not as_answer.is_signal
    for e in as_answer.evidence:
        assert e.field == "text"
        assert reply[e.start : e.end] == e.text


def test_model_version_comes_from_the_rules(classifier: RuleClassifier) -> None:
    result = next(classifier.classify([Document("x", "")]))
    assert result.model_version == classifier.model_version == classifier.rules.version
    assert not result.is_signal


def test_product_names_reach_as_far_as_the_setting_says(rules: RuleSet) -> None:
    doc = Document("1", "We run Windows Server 2008 R2 and Dell PowerVault DP600 Storage here.")
    found = {}
    for extension in ("full", "models", "none"):
        classifier = RuleClassifier(rules, name_extension=extension)
        hits = next(classifier.find_hits([doc]))
        found[extension] = sorted(h.text for h in hits if h.kind == "product")
    assert found["none"] == ["Dell", "Windows Server"]
    assert found["models"] == ["Dell", "Windows Server 2008 R2"]  # "PowerVault" has no digit
    assert found["full"] == ["Dell PowerVault DP600 Storage", "Windows Server 2008 R2"]


def test_an_edition_stays_with_the_name_but_a_platform_does_not(rules: RuleSet) -> None:
    doc = Document("1", "We moved to Google Apps for Business; Outlook for Windows stays.")
    for extension in ("full", "models", "none"):
        hits = next(RuleClassifier(rules, name_extension=extension).find_hits([doc]))
        names = sorted(h.text for h in hits if h.kind == "product")
        assert names == ["Google Apps for Business", "Outlook", "Windows"], extension


def test_a_listed_name_that_runs_on_is_not_the_name_the_post_writes(rules: RuleSet) -> None:
    doc = Document(
        "1",
        "We run Cisco 2950 switches, MS Accounting 2009 and Jira; Windows Media Player crashes.",
        "Moving off Cisco",
    )
    hits = next(RuleClassifier(rules, name_extension="none").find_hits([doc]))
    products = {(h.text, h.field): runs_on(h, doc) for h in hits if h.kind == "product"}
    assert products[("Cisco", "text")] is True  # a model number follows
    assert products[("MS Accounting", "text")] is True  # a version follows
    assert products[("Windows", "text")] is True  # "Windows Media Player"
    assert products[("Jira", "text")] is False
    assert products[("Cisco", "title")] is False  # nothing follows it in the title
