"""The stacked combiner: a small L2 logistic regression over textcat scores and rule features.

Fitting uses numpy (Newton's method: exact and deterministic, no learning rate to tune);
applying is a dot product over a dict in plain Python, so classifying needs no numpy call per
post. Weights are stored as JSON next to the textcat, readable by a person.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class LogisticModel:
    """bias + sum(weight * feature), squashed; features absent from a post count as 0."""

    bias: float
    weights: dict[str, float]

    def logit(self, x: Mapping[str, float]) -> float:
        """The linear score of one feature dict."""
        w = self.weights
        return self.bias + sum(w[k] * v for k, v in x.items() if k in w)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, weights rounded to 6 places (the saved model is then stable text)."""
        return {
            "bias": round(self.bias, 6),
            "weights": {k: round(v, 6) for k, v in sorted(self.weights.items())},
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> LogisticModel:
        """Read what to_dict wrote."""
        return cls(float(raw["bias"]), {str(k): float(v) for k, v in raw["weights"].items()})


@dataclass(frozen=True)
class Platt:
    """Calibration: P(true) = sigmoid(a * logit + b), fitted on cross-validated logits."""

    a: float = 1.0
    b: float = 0.0

    def __call__(self, logit: float) -> float:
        return sigmoid(self.a * logit + self.b)

    def to_dict(self) -> dict[str, float]:
        """JSON-ready."""
        return {"a": round(self.a, 6), "b": round(self.b, 6)}


def sigmoid(z: float) -> float:
    """The logistic function, safe for large |z|."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def fit(
    rows: Sequence[Mapping[str, float]], y: Sequence[bool], names: Sequence[str], l2: float
) -> LogisticModel:
    """Fit an L2-regularised logistic regression (the bias is not penalised)."""
    x = np.array([[r.get(n, 0.0) for n in names] for r in rows], dtype=np.float64)
    w, b = _newton(x, np.array(y, dtype=np.float64), l2)
    return LogisticModel(float(b), {n: float(v) for n, v in zip(names, w, strict=True)})


def fit_platt(logits: Sequence[float], y: Sequence[bool]) -> Platt:
    """Platt scaling with Platt's smoothed targets, so a perfect fold cannot make it infinite."""
    t = np.array(y, dtype=np.float64)
    pos, neg = t.sum(), len(t) - t.sum()
    target = np.where(t > 0, (pos + 1) / (pos + 2), 1 / (neg + 2))
    w, b = _newton(np.array(logits, dtype=np.float64)[:, None], target, 1e-6)
    return Platt(float(w[0]), float(b))


def _newton(x: Any, y: Any, l2: float) -> tuple[Any, float]:
    n, d = x.shape
    xa = np.hstack([x, np.ones((n, 1))])
    penalty = np.diag([l2] * d + [1e-8])
    beta = np.zeros(d + 1)
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-np.clip(xa @ beta, -35, 35)))
        gradient = xa.T @ (p - y) + penalty @ beta
        hessian = (xa * (p * (1 - p))[:, None]).T @ xa + penalty
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.abs(step).max() < 1e-10:
            break
    return beta[:d], float(beta[d])
