"""Score predictions against gold labels (records shaped as in data/LABELING.md); pure Python."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from classifiers.base import INTENTS, STAGES
from classifiers.errors import EvaluationError

NONE = "none"  # the row and column of "not a signal" in the stage confusion matrix
RECALL_POINTS = (0.5, 0.6, 0.7, 0.8, 0.9)
CALIBRATION_BINS = 10


@dataclass(frozen=True, slots=True)
class Counts:
    """True positives, false positives and false negatives of one label."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def support(self) -> int:
        return self.tp + self.fn

    def to_dict(self) -> dict[str, float | int]:
        """Counts and rates, rates rounded to 4 places."""
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "support": self.support,
        }


@dataclass(frozen=True, slots=True)
class EvaluationReport:
    """Every number `score` computes; `to_text` prints it as a table."""

    n: int
    signal: Counts
    stages: dict[str, Counts]
    intents: dict[str, Counts]
    stage_accuracy: float | None  # on posts both gold and prediction call signals
    stage_n: int
    products: Counts  # case-insensitive name match, summed over all posts
    confusion: dict[str, dict[str, int]]  # gold stage -> predicted stage -> count
    # Precision when the confidence cut is lowered just far enough to reach each recall.
    precision_at_recall: dict[float, float | None]
    calibration: list[dict[str, float | int]]  # per confidence bin: n, mean confidence, rate

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict of the report."""
        return {
            "n": self.n,
            "is_signal": self.signal.to_dict(),
            "stages": {k: v.to_dict() for k, v in self.stages.items()},
            "intents": {k: v.to_dict() for k, v in self.intents.items()},
            "stage_accuracy": None
            if self.stage_accuracy is None
            else round(self.stage_accuracy, 4),
            "stage_n": self.stage_n,
            "products": self.products.to_dict(),
            "confusion": self.confusion,
            "precision_at_recall": {str(k): v for k, v in self.precision_at_recall.items()},
            "calibration": self.calibration,
        }

    def to_text(self) -> str:
        """A plain-text table: one row per label, then the stage confusion matrix."""
        rows = [f"{'label':<26}{'prec':>7}{'rec':>7}{'f1':>7}{'tp':>6}{'fp':>6}{'fn':>6}"]

        def row(name: str, c: Counts) -> None:
            rows.append(
                f"{name:<26}{c.precision:>7.3f}{c.recall:>7.3f}{c.f1:>7.3f}"
                f"{c.tp:>6}{c.fp:>6}{c.fn:>6}"
            )

        row("is_signal", self.signal)
        row("products", self.products)
        for name, c in self.stages.items():
            row(f"stage:{name}", c)
        for name, c in self.intents.items():
            row(f"intent:{name}", c)
        accuracy = "n/a" if self.stage_accuracy is None else f"{self.stage_accuracy:.3f}"
        rows.append(f"stage accuracy on {self.stage_n} true positives: {accuracy}")
        labels = [*STAGES, NONE]
        rows.append("confusion (rows gold, columns predicted):")
        rows.append(" " * 11 + "".join(f"{s[:9]:>10}" for s in labels))
        for gold in labels:
            rows.append(f"{gold:<11}" + "".join(f"{self.confusion[gold][p]:>10}" for p in labels))
        rows.append("is_signal precision at recall:")
        rows.append(
            "  "
            + "  ".join(
                f"R{r:.1f}: " + ("n/a" if p is None else f"{p:.3f}")
                for r, p in self.precision_at_recall.items()
            )
        )
        rows.append("calibration (confidence bin, posts, mean confidence, observed signal rate):")
        for b in self.calibration:
            rows.append(
                f"  [{b['low']:.1f}, {b['high']:.1f}){b['n']:>7}"
                f"{b['mean_confidence']:>9.3f}{b['observed_rate']:>9.3f}"
            )
        return "\n".join(rows)


def score(
    gold: Sequence[Mapping[str, object]], predicted: Sequence[Mapping[str, object]]
) -> EvaluationReport:
    """Compare predictions with gold labels, matched by `id` (by position when ids are absent)."""
    pairs = _pairs(gold, predicted)
    labels = [*STAGES, NONE]
    confusion = {g: dict.fromkeys(labels, 0) for g in labels}
    signal = Counts()
    stages = {s: Counts() for s in STAGES}
    intents = {i: Counts() for i in INTENTS}
    products = Counts()
    right = both = 0
    for g, p in pairs:
        gs, ps = bool(g.get("is_signal")), bool(p.get("is_signal"))
        signal = _count(signal, gs, ps)
        g_stage = str(g.get("stage")) if gs and g.get("stage") else NONE
        p_stage = str(p.get("stage")) if ps and p.get("stage") else NONE
        confusion.setdefault(g_stage, dict.fromkeys(labels, 0))
        confusion[g_stage][p_stage] = confusion[g_stage].get(p_stage, 0) + 1
        for s in STAGES:
            stages[s] = _count(stages[s], g_stage == s, p_stage == s)
        g_int, p_int = _names(g.get("intents")), _names(p.get("intents"))
        for i in INTENTS:
            intents[i] = _count(intents[i], i in g_int, i in p_int)
        g_prod = {n.lower() for n in _names(g.get("products"))}
        p_prod = {n.lower() for n in _names(p.get("products"))}
        products = Counts(
            products.tp + len(g_prod & p_prod),
            products.fp + len(p_prod - g_prod),
            products.fn + len(g_prod - p_prod),
        )
        if gs and ps:
            both += 1
            right += g_stage == p_stage
    return EvaluationReport(
        n=len(pairs),
        signal=signal,
        stages=stages,
        intents=intents,
        stage_accuracy=right / both if both else None,
        stage_n=both,
        products=products,
        confusion=confusion,
        precision_at_recall=precision_at_recall(
            [bool(g.get("is_signal")) for g, _ in pairs], [_confidence(p) for _, p in pairs]
        ),
        calibration=calibration(
            [bool(g.get("is_signal")) for g, _ in pairs], [_confidence(p) for _, p in pairs]
        ),
    )


def indices_by_source(records: Sequence[Mapping[str, Any]]) -> dict[str, list[int]]:
    """The positions of the records of each `source` ("unknown" without one), sorted by name."""
    groups: dict[str, list[int]] = {}
    for i, record in enumerate(records):
        groups.setdefault(str(record.get("source") or "unknown"), []).append(i)
    return dict(sorted(groups.items()))


def precision_at_recall(
    gold: Sequence[bool], confidence: Sequence[float], points: Sequence[float] = RECALL_POINTS
) -> dict[float, float | None]:
    """For each recall point, the precision of the highest cut that reaches it (None: never)."""
    positives = sum(gold)
    ranked = sorted(zip(confidence, gold, strict=True), key=lambda t: -t[0])
    out: dict[float, float | None] = dict.fromkeys(points)
    tp = 0
    for k, (c, g) in enumerate(ranked, start=1):
        tp += g
        # Ties share one cut: only read the curve after the last post of a confidence value.
        if k < len(ranked) and ranked[k][0] == c:
            continue
        for r in points:
            if out[r] is None and positives and tp / positives >= r - 1e-9:
                out[r] = round(tp / k, 4)
    return out


def calibration(
    gold: Sequence[bool], confidence: Sequence[float], bins: int = CALIBRATION_BINS
) -> list[dict[str, float | int]]:
    """Equal-width confidence bins: how many posts, their mean confidence, how many were signals."""
    table = []
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        inside = [
            (c, g)
            for c, g in zip(confidence, gold, strict=True)
            if low <= c < high or (b == bins - 1 and c == 1.0)
        ]
        n = len(inside)
        table.append(
            {
                "low": low,
                "high": high,
                "n": n,
                "mean_confidence": round(sum(c for c, _ in inside) / n, 4) if n else 0.0,
                "observed_rate": round(sum(g for _, g in inside) / n, 4) if n else 0.0,
            }
        )
    return table


def _confidence(prediction: Mapping[str, object]) -> float:
    value = prediction.get("confidence")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return 1.0 if prediction.get("is_signal") else 0.0


def _pairs(
    gold: Sequence[Mapping[str, object]], predicted: Sequence[Mapping[str, object]]
) -> list[tuple[Mapping[str, object], Mapping[str, object]]]:
    if all("id" in r for r in (*gold, *predicted)):
        by_id = {str(p["id"]): p for p in predicted}
        missing = [str(g["id"]) for g in gold if str(g["id"]) not in by_id]
        if missing:
            raise EvaluationError(
                f"{len(missing)} gold posts have no prediction (first: {missing[0]!r}); "
                "classify the same file that holds the labels"
            )
        return [(g, by_id[str(g["id"])]) for g in gold]
    if len(gold) != len(predicted):
        raise EvaluationError(
            f"{len(gold)} gold posts but {len(predicted)} predictions and no ids to match them by"
        )
    return list(zip(gold, predicted, strict=True))


def _count(c: Counts, gold: bool, predicted: bool) -> Counts:
    return Counts(
        c.tp + (gold and predicted),
        c.fp + (predicted and not gold),
        c.fn + (gold and not predicted),
    )


def _names(value: object) -> list[str]:
    return (
        [str(v) for v in value]
        if isinstance(value, Iterable) and not isinstance(value, str)
        else []
    )
