"""Fit: who a contact is, graded A-D from configurable rules on contact and account fields.

Explicit fields (the CRM's, the account's) win; inferred attributes from posts stand in when a
field is unknown, and each match says whether it was inferred.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from signals.people.config import FitRule, ScoringConfig
from signals.store import models as db
from signals.store.models_people import InferredAttribute


@dataclass(frozen=True)
class FitMatch:
    """A fit rule that matched, on which value, and whether that value was inferred."""

    rule: str
    field: str
    value: str
    points: float
    inferred: bool


@dataclass
class Fit:
    """A contact's fit: points, grade and the rules behind them."""

    points: float = 0.0
    grade: str = "D"
    matches: list[FitMatch] = field(default_factory=list)


def grade_for(points: float, thresholds: tuple[float, float, float]) -> str:
    """Grade A (best fit) .. D for fit points."""
    for grade, threshold in zip("ABC", thresholds, strict=True):
        if points >= threshold:
            return grade
    return "D"


def fit_for(session: Session, contact: db.Contact, config: ScoringConfig) -> Fit:
    """Fit points and grade from the contact's and account's fields, else inferred attributes."""
    account = session.get(db.Account, contact.account_id) if contact.account_id else None
    inferred: dict[str, list[str]] = defaultdict(list)
    statement: Any = select(col(InferredAttribute.attribute), col(InferredAttribute.value)).where(
        col(InferredAttribute.contact_id) == contact.id
    )
    if account is not None:
        statement = statement.union_all(
            select(col(InferredAttribute.attribute), col(InferredAttribute.value)).where(
                col(InferredAttribute.account_id) == account.id
            )
        )
    for attribute, value in session.execute(statement):
        inferred[attribute].append(value)
    return fit_from(contact, account, inferred, config)


def fit_from(
    contact: db.Contact,
    account: db.Account | None,
    inferred: dict[str, list[str]],
    config: ScoringConfig,
) -> Fit:
    """Fit from already loaded fields and hints (the rules of fit_for, without queries)."""
    values = _fit_values(contact, account, inferred, config)
    fit = Fit()
    for rule in config.fit:
        known = values.get(rule.field)
        if known is None:
            continue
        value, is_inferred = known
        if _matches(rule, value):
            fit.matches.append(FitMatch(rule.name, rule.field, value, rule.points, is_inferred))
            fit.points += rule.points
    fit.grade = grade_for(fit.points, config.grades)
    return fit


def _fit_values(
    contact: db.Contact,
    account: db.Account | None,
    inferred: dict[str, list[str]],
    config: ScoringConfig,
) -> dict[str, tuple[str, bool]]:
    from signals.people.accounts import committee_role

    values: dict[str, tuple[str, bool]] = {}

    def put(name: str, explicit: object, guesses: list[str]) -> None:
        if explicit not in (None, ""):
            values[name] = (str(explicit), False)
        elif guesses:
            values[name] = (guesses[0], True)

    put("title", contact.title, inferred.get("role", []))
    roles = [r for r in (committee_role(t, config) for t in inferred.get("role", [])) if r]
    put("committee_role", contact.committee_role, roles)
    sizes = sorted(
        (
            s
            for s in inferred.get("company_size", []) + inferred.get("team_size", [])
            if s.isdigit()
        ),
        key=int,
        reverse=True,
    )
    put("company_size", account.employees if account else None, sizes)
    put("industry", account.industry if account else None, inferred.get("industry", []))
    put("region", contact.region or (account.region if account else None), [])
    return values


def _matches(rule: FitRule, value: str) -> bool:
    if rule.field == "company_size":
        try:
            number = float(value)
        except ValueError:
            return False
        return (rule.min is None or number >= rule.min) and (rule.max is None or number <= rule.max)
    lowered = value.lower()
    return any(cue in lowered for cue in rule.any)
