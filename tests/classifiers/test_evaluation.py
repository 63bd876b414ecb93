"""classifiers.evaluate.score: the numbers `signals eval` will print."""

from __future__ import annotations

from typing import Any

import pytest

from classifiers import EvaluationError, score


def label(
    doc_id: str,
    signal: bool,
    stage: str | None = None,
    intents: tuple[str, ...] = (),
    products: tuple[str, ...] = (),
) -> dict[str, Any]:
    return {
        "id": doc_id,
        "is_signal": signal,
        "stage": stage if signal else None,
        "intents": list(intents),
        "products": list(products),
    }


GOLD = [
    label("a", True, "evaluate", ("alternative_seeking",), ("Hootsuite",)),
    label("b", True, "deploy", ("pricing_inquiry",), ("VMware", "ESXi 5.0")),
    label("c", False, products=("Windows",)),
    label("d", False),
]
PREDICTED = [  # in another order: records are matched by id
    label("d", True, "evaluate", ("comparison",)),
    label("c", False, products=("windows", "Linux")),
    label("b", True, "evaluate", ("pricing_inquiry",), ("vmware",)),
    label("a", False, products=("Hootsuite",)),
]


def test_signal_precision_recall_and_f1() -> None:
    report = score(GOLD, PREDICTED)
    assert (report.signal.tp, report.signal.fp, report.signal.fn) == (1, 1, 1)
    assert report.signal.precision == report.signal.recall == report.signal.f1 == 0.5
    assert report.n == 4


def test_stage_accuracy_counts_posts_both_sides_call_signals() -> None:
    report = score(GOLD, PREDICTED)
    assert report.stage_n == 1  # only "b"
    assert report.stage_accuracy == 0.0
    assert report.confusion["deploy"]["evaluate"] == 1
    assert report.confusion["none"]["evaluate"] == 1
    assert report.confusion["evaluate"]["none"] == 1
    assert report.stages["deploy"].fn == 1


def test_intents_are_scored_per_label() -> None:
    report = score(GOLD, PREDICTED)
    assert report.intents["pricing_inquiry"].tp == 1
    assert report.intents["comparison"].fp == 1
    assert report.intents["alternative_seeking"].fn == 1


def test_products_match_case_insensitively() -> None:
    products = score(GOLD, PREDICTED).products
    # tp: Hootsuite, VMware~vmware, Windows~windows; fp: Linux; fn: ESXi 5.0
    assert (products.tp, products.fp, products.fn) == (3, 1, 1)
    assert products.precision == 0.75


def test_perfect_predictions_score_one(dev: list[dict[str, Any]]) -> None:
    report = score(dev, dev)
    assert report.signal.precision == report.signal.recall == 1.0
    assert report.stage_accuracy == 1.0
    assert report.products.f1 == 1.0


def test_report_renders_as_text_and_dict() -> None:
    report = score(GOLD, PREDICTED)
    text = report.to_text()
    assert text.splitlines()[1].split()[:4] == ["is_signal", "0.500", "0.500", "0.500"]
    assert "intent:pricing_inquiry" in text
    assert "confusion" in text
    as_dict = report.to_dict()
    assert as_dict["is_signal"] == {
        "precision": 0.5,
        "recall": 0.5,
        "f1": 0.5,
        "tp": 1,
        "fp": 1,
        "fn": 1,
        "support": 2,
    }
    assert as_dict["stage_accuracy"] == 0.0


def test_gold_post_without_prediction_is_an_error() -> None:
    with pytest.raises(EvaluationError, match="1 gold posts have no prediction"):
        score(GOLD, PREDICTED[:3])


def test_records_without_ids_are_matched_by_position() -> None:
    gold = [{k: v for k, v in g.items() if k != "id"} for g in GOLD]
    report = score(gold, gold)
    assert report.signal.f1 == 1.0
    with pytest.raises(EvaluationError, match="4 gold posts but 3 predictions"):
        score(gold, gold[:3])


def test_precision_at_recall_reads_the_ranked_list() -> None:
    from classifiers.evaluate import precision_at_recall

    gold = [True, False, True, True, False, False, True, False, False, False]
    confidence = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05]
    # Ranked: T F T T F F T ...; recall 0.5 after 3 posts (2/3), 0.75 after 4 (3/4), 1.0 after 7.
    got = precision_at_recall(gold, confidence, (0.5, 0.7, 0.8, 1.0))
    assert got == {0.5: round(2 / 3, 4), 0.7: 0.75, 0.8: round(4 / 7, 4), 1.0: round(4 / 7, 4)}


def test_precision_at_recall_treats_tied_confidences_as_one_cut() -> None:
    from classifiers.evaluate import precision_at_recall

    got = precision_at_recall([True, False, False, True], [0.9, 0.5, 0.5, 0.5], (0.5, 1.0))
    assert got == {0.5: 1.0, 1.0: 0.5}


def test_calibration_bins_count_posts_and_observed_rates() -> None:
    from classifiers.evaluate import calibration

    table = calibration([True, False, True, False], [0.95, 0.91, 0.15, 0.05], bins=2)
    assert table[0] == {
        "low": 0.0,
        "high": 0.5,
        "n": 2,
        "mean_confidence": 0.1,
        "observed_rate": 0.5,
    }
    assert table[1]["n"] == 2 and table[1]["observed_rate"] == 0.5
    assert table[1]["mean_confidence"] == 0.93
