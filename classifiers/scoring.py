"""Turn rule hits into a decision: the transparent scoring formula of the rule classifier.

The score is a logit, so the weights read like the coefficients of a logistic model (and the
features below can later be fed to a trained one):

    feature x_g of a cue group g (intent, boost or penalty) =
        title_factor    if one of its cues is in the title
        1               if one is in the text
        context_factor  if a boost's cue is only in the thread opener of a comment
        0               otherwise
    (a boost with `categories` also fires when a product of those categories is named;
    "product:any" is 1 when any listed product is named)

    score = bias + sum_g weight_g * x_g + product_weight * x_product
    confidence = 1 / (1 + exp(-score));  is_signal = confidence >= threshold

A group counts once however often its cues occur, so a long post does not outscore a short,
clear question. The stage is the stage with the most weighted stage cues, else the default.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from classifiers.base import INTENTS, STAGES, Evidence
from classifiers.config import RuleSet


@dataclass(frozen=True, slots=True)
class Hit:
    """One rule firing on one span: the unit of evidence, and later a trained model's feature."""

    rule: str  # e.g. "intent:comparison/vs", "product:Jira"
    kind: str  # "intent", "stage", "boost", "penalty" or "product"
    group: str  # the config group's name (see `label` for its intent); the category for products
    weight: float
    field: str  # "title", "text" or "context"
    start: int
    end: int
    text: str

    @property
    def feature(self) -> str:
        """The feature name a trained model would use for this hit, e.g. `intent:comparison`."""
        return f"{self.kind}:{self.group}"

    def evidence(self) -> Evidence:
        """The public record of this hit."""
        return Evidence(self.start, self.end, self.text, self.rule, self.field)


@dataclass(frozen=True, slots=True)
class Decision:
    """The scored outcome for one document, before products are added."""

    is_signal: bool
    confidence: float
    score: float
    stage: str | None
    intents: tuple[str, ...]
    counted: tuple[Hit, ...]  # the hits that entered the score or chose the stage


def features(hits: Sequence[Hit], rules: RuleSet, *, is_comment: bool) -> dict[str, float]:
    """The x of the formula: group feature name ("intent:comparison") -> value."""
    s = rules.scoring
    x: dict[str, float] = {}

    def put(name: str, value: float) -> None:
        x[name] = max(x.get(name, 0.0), value)

    titled: dict[str, bool] = {}  # product category -> named in the title
    for h in hits:
        factor = s.title_factor if h.field == "title" else 1.0
        if h.field == "context":
            if h.kind == "boost":
                put(h.feature, s.context_factor)
        elif h.kind == "product":
            if h.group:  # a listed product; slot guesses never score
                titled[h.group] = titled.get(h.group, False) or h.field == "title"
        elif h.kind != "stage" and _in_scope(h, rules, is_comment):
            put(h.feature, factor)
    for group in rules.product_boosts:
        named = [titled[c] for c in group.categories if c in titled]
        if named:
            put(f"boost:{group.name}", s.title_factor if any(named) else 1.0)
    if titled:
        x["product:any"] = 1.0
    return x


def decide(hits: Sequence[Hit], rules: RuleSet, *, is_comment: bool) -> Decision:
    """Score one document's hits with the formula in the module docstring."""
    x = features(hits, rules, is_comment=is_comment)
    weights = rules.weights
    score = rules.scoring.bias + sum(weights[name] * value for name, value in x.items())
    confidence = 1.0 / (1.0 + math.exp(-score))
    is_signal = confidence >= rules.scoring.threshold
    own = own_hits(hits, rules, is_comment=is_comment)
    found = {rules.group("intent", n.split(":", 1)[1]).label for n in x if n.startswith("intent:")}
    return Decision(
        is_signal=is_signal,
        confidence=confidence,
        score=score,
        stage=_stage(own, rules) if is_signal else None,
        intents=tuple(i for i in INTENTS if i in found) if is_signal else (),
        counted=tuple(h for h in own if h.kind != "product"),
    )


def own_hits(hits: Sequence[Hit], rules: RuleSet, *, is_comment: bool) -> list[Hit]:
    """The hits that speak for the document itself: in its title or text, and in scope."""
    return [h for h in hits if h.field != "context" and _in_scope(h, rules, is_comment)]


def stage_vote(hits: Sequence[Hit], rules: RuleSet, *, is_comment: bool) -> str:
    """The stage the stage cues vote for (title cues count title_factor), else the default."""
    return _stage(own_hits(hits, rules, is_comment=is_comment), rules)


def _stage(hits: Iterable[Hit], rules: RuleSet) -> str:
    votes: dict[str, float] = {}
    for h in hits:
        if h.kind == "stage":
            factor = rules.scoring.title_factor if h.field == "title" else 1.0
            stage = rules.group(h.kind, h.group).label
            votes[stage] = votes.get(stage, 0.0) + h.weight * factor
    if not votes:
        return rules.scoring.default_stage
    # Ties go to the later stage: a post that prices and trials is closer to buying.
    return max(votes, key=lambda stage: (votes[stage], STAGES.index(stage)))


def _in_scope(hit: Hit, rules: RuleSet, is_comment: bool) -> bool:
    if hit.kind == "product":
        return True
    scope = rules.group(hit.kind, hit.group).scope
    return scope == "any" or (scope == "comment") == is_comment
