"""The records at the package boundary and the `signals classify` contract they produce."""

from __future__ import annotations

import dataclasses

import pytest

from classifiers import INTENTS, STAGES, Classification, Document, Evidence

CONTRACT_KEYS = {"id", "is_signal", "confidence", "stage", "intents", "products", "evidence"}


def make(evidence: tuple[Evidence, ...]) -> Classification:
    return Classification(
        is_signal=True,
        confidence=0.123456789,
        stage="evaluate",
        intents=("alternative_seeking",),
        products=("Hootsuite",),
        evidence=evidence,
        model_version="rules-test",
    )


def test_to_contract_has_exactly_the_contract_keys_with_lists_and_rounded_confidence() -> None:
    line = make((Evidence(0, 12, "Alternatives", "intent:alternative_seeking/x"),)).to_contract(
        "p1"
    )
    assert set(line) == CONTRACT_KEYS
    assert line["id"] == "p1"
    assert line["confidence"] == 0.1235
    assert line["intents"] == ["alternative_seeking"]
    assert line["products"] == ["Hootsuite"]
    assert line["evidence"] == [
        {"start": 0, "end": 12, "text": "Alternatives", "rule": "intent:alternative_seeking/x"}
    ]


def test_to_contract_leaves_out_title_evidence_because_offsets_index_text() -> None:
    title = Evidence(0, 12, "Alternatives", "intent:alternative_seeking/x", field="title")
    text = Evidence(5, 14, "Hootsuite", "product:Hootsuite")
    assert make((title, text)).to_contract("p1")["evidence"] == [
        {"start": 5, "end": 14, "text": "Hootsuite", "rule": "product:Hootsuite"}
    ]


def test_records_are_frozen() -> None:
    doc = Document("p1", "text")
    with pytest.raises(dataclasses.FrozenInstanceError):
        doc.text = "other"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        make(()).is_signal = False  # type: ignore[misc]


def test_labels_are_those_of_labeling_md() -> None:
    assert STAGES == ("recognize", "evaluate", "sample", "integrate", "test", "deploy")
    assert len(INTENTS) == 9
    assert "churn_risk" in INTENTS
