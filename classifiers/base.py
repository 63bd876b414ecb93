"""Records into and out of a classifier, and the protocol every classifier meets."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

STAGES = ("recognize", "evaluate", "sample", "integrate", "test", "deploy")
INTENTS = (
    "recommendation_request",
    "alternative_seeking",
    "comparison",
    "experience_request",
    "pricing_inquiry",
    "trial",
    "migration",
    "purchase_ready",
    "churn_risk",
)


@dataclass(frozen=True, slots=True)
class Document:
    """One post or comment to classify; `context` is the thread opener when it is a comment."""

    id: str
    text: str
    title: str | None = None
    context: str | None = None
    source: str | None = None  # the adapter's kind ("reddit", "github", ...) when known


@dataclass(frozen=True, slots=True)
class Evidence:
    """A span that made a rule fire; offsets index the field it was found in."""

    start: int
    end: int
    text: str
    rule: str
    field: str = "text"

    def to_contract(self) -> dict[str, object]:
        """The `signals classify` evidence shape (DESIGN.md)."""
        return {"start": self.start, "end": self.end, "text": self.text, "rule": self.rule}


@dataclass(frozen=True, slots=True)
class Classification:
    """What a classifier decided about one document, with the spans that decided it."""

    is_signal: bool
    confidence: float
    stage: str | None
    intents: tuple[str, ...]
    products: tuple[str, ...]
    evidence: tuple[Evidence, ...]
    model_version: str

    def to_contract(self, doc_id: str) -> dict[str, object]:
        """The `signals classify` line; evidence offsets index `text`, so title spans stay out."""
        return {
            "id": doc_id,
            "is_signal": self.is_signal,
            "confidence": round(self.confidence, 4),
            "stage": self.stage,
            "intents": list(self.intents),
            "products": list(self.products),
            "evidence": [e.to_contract() for e in self.evidence if e.field == "text"],
        }


class Classifier(Protocol):
    """Anything that turns documents into classifications: the rules now, a trained model later."""

    model_version: str

    def classify(self, docs: Iterable[Document]) -> Iterator[Classification]:
        """Yield one classification per document, in input order, lazily and in batches."""
        ...
