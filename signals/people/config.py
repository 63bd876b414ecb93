"""Scoring and play settings (config/scoring.toml, config/plays.toml), validated on load."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from signals.config import bundled_config_dir, read_toml
from signals.errors import ConfigError

SCORING_FILE = "scoring.toml"
PLAYS_FILE = "plays.toml"
PRODUCTS_FILE = "products.toml"
FIT_FIELDS = ("title", "committee_role", "company_size", "industry", "region")
ROLES = ("executive", "champion", "influencer", "researcher", "user")
ACTIONS = ("alert_owner", "suggest_reply", "nurture_track")
CELLS = tuple(f"{g}{b}" for g in "ABCD" for b in range(1, 5))


@dataclass(frozen=True)
class ActivityType:
    """How one kind of activity scores: points, half-life and per-day cap."""

    kind: str
    weight: float
    half_life_days: float
    daily_cap: float

    def decay(self, age_days: float) -> float:
        """The share of an activity's points left after age_days."""
        return math.pow(0.5, max(age_days, 0.0) / self.half_life_days)


@dataclass(frozen=True)
class FitRule:
    """One fit rule: a field, what matches, and the points it adds."""

    name: str
    field: str
    points: float
    any: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class Play:
    """A nurture play: when it fires and what task it makes."""

    name: str
    stage: str
    cells: tuple[str, ...]
    intent: str
    action: str
    respond_within_hours: float
    detail: str = ""


@dataclass(frozen=True)
class ScoringConfig:
    """Everything scoring, stages and plays read from the configuration."""

    activity: dict[str, ActivityType]
    bands: tuple[float, float, float]
    grades: tuple[float, float, float]
    fit: tuple[FitRule, ...]
    committee: tuple[tuple[str, tuple[str, ...]], ...]
    role_weights: dict[str, float]
    account_active_points: float
    account_bands: tuple[float, float, float]
    mql_cells: frozenset[str]
    buyer_window_days: float
    plays: tuple[Play, ...] = ()
    fresh_within_days: float = 7.0
    our_handles: frozenset[str] = frozenset()
    product_categories: dict[str, str] = field(default_factory=dict)

    def activity_type(self, kind: str) -> ActivityType:
        """The settings of kind; unknown kinds (from an older config) score as a post."""
        return self.activity.get(kind) or self.activity["post"]


def _file(directory: Path | None, name: str) -> Path:
    if directory is not None and (directory / name).is_file():
        return directory / name
    return bundled_config_dir() / name


def _number(path: Path, where: str, value: Any, positive: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{path}: {where} must be a number, not {value!r}")
    if positive and value <= 0:
        raise ConfigError(f"{path}: {where} must be above 0, not {value!r}")
    return float(value)


def _thresholds(path: Path, table: dict[str, Any], keys: tuple[str, str, str]) -> Any:
    try:
        values = tuple(_number(path, f"[{k}]", table[k]) for k in keys)
    except KeyError as exc:
        raise ConfigError(f"{path}: missing {exc.args[0]!r}; set {', '.join(keys)}") from None
    if not values[0] > values[1] > values[2]:
        raise ConfigError(f"{path}: {', '.join(keys)} must be decreasing, not {values}")
    return values


def load_scoring(directory: Path | None = None) -> ScoringConfig:
    """The scoring settings of a config directory (else the bundled ones), with its plays."""
    path = _file(directory, SCORING_FILE)
    data = read_toml(path)
    activity = {}
    for kind, entry in _table(path, data, "activity").items():
        where = f"[activity.{kind}]"
        if not isinstance(entry, dict):
            raise ConfigError(f"{path}: {where} must be a table with weight, half_life_days")
        activity[kind] = ActivityType(
            kind,
            _number(path, f"{where} weight", entry.get("weight"), positive=False),
            _number(path, f"{where} half_life_days", entry.get("half_life_days")),
            _number(path, f"{where} daily_cap", entry.get("daily_cap", math.inf)),
        )
    if "post" not in activity:
        raise ConfigError(f"{path}: add an [activity.post] table; unknown kinds score as a post")
    fit = tuple(_fit_rule(path, i, r) for i, r in enumerate(data.get("fit", [])))
    committee_table = _table(path, data, "committee")
    unknown = set(committee_table) - set(ROLES)
    if unknown:
        raise ConfigError(f"{path}: unknown committee role {sorted(unknown)[0]!r}; known: {ROLES}")
    committee = tuple(
        (role, tuple(str(w).lower() for w in committee_table.get(role, []))) for role in ROLES
    )
    account = _table(path, data, "account")
    role_weights = {
        role: _number(path, f"[account] {role}", account.get(role, 1.0), positive=False)
        for role in (*ROLES, "unknown")
    }
    lifecycle = _table(path, data, "lifecycle")
    mql_cells = frozenset(str(c) for c in lifecycle.get("mql_cells", ["A1"]))
    if bad := sorted(mql_cells - set(CELLS)):
        raise ConfigError(f"{path}: [lifecycle] mql_cells has {bad[0]!r}; use cells A1 .. D4")
    return ScoringConfig(
        activity=activity,
        bands=_thresholds(path, _table(path, data, "bands"), ("band_1", "band_2", "band_3")),
        grades=_thresholds(path, _table(path, data, "grades"), ("A", "B", "C")),
        fit=fit,
        committee=committee,
        role_weights=role_weights,
        account_active_points=_number(
            path, "[account] active_points", account.get("active_points", 0), positive=False
        ),
        account_bands=_thresholds(path, account, ("band_1", "band_2", "band_3")),
        mql_cells=mql_cells,
        buyer_window_days=_number(
            path, "[lifecycle] buyer_window_days", lifecycle.get("buyer_window_days", 30)
        ),
        plays=load_plays(directory),
        fresh_within_days=_number(
            _file(directory, PLAYS_FILE),
            "fresh_within_days",
            read_toml(_file(directory, PLAYS_FILE)).get("fresh_within_days", 7),
        ),
        product_categories=_product_categories(_file(directory, PRODUCTS_FILE)),
        our_handles=_our_handles(path, data.get("our_handles", [])),
    )


def _our_handles(path: Path, value: Any) -> frozenset[str]:
    """Our own accounts, as "platform:handle" (an answer to them is a reply_to_us)."""
    if not isinstance(value, list) or not all(isinstance(v, str) and ":" in v for v in value):
        raise ConfigError(
            f'{path}: our_handles must be a list of "platform:handle" strings, '
            'e.g. ["reddit:acme_support"]'
        )
    return frozenset(value)


def _table(path: Path, data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: [{key}] must be a table")
    return value


def _fit_rule(path: Path, index: int, entry: Any) -> FitRule:
    where = f"[[fit]] #{index + 1}"
    if not isinstance(entry, dict) or "name" not in entry:
        raise ConfigError(f"{path}: {where} needs name, field and points")
    if entry.get("field") not in FIT_FIELDS:
        raise ConfigError(
            f"{path}: {where} field {entry.get('field')!r} is unknown; known: {FIT_FIELDS}"
        )
    low, high = entry.get("min"), entry.get("max")
    return FitRule(
        name=str(entry["name"]),
        field=entry["field"],
        points=_number(path, f"{where} points", entry.get("points"), positive=False),
        any=tuple(str(v).lower() for v in entry.get("any", [])),
        min=None if low is None else _number(path, f"{where} min", low, positive=False),
        max=None if high is None else _number(path, f"{where} max", high, positive=False),
    )


def load_plays(directory: Path | None = None) -> tuple[Play, ...]:
    """The nurture plays, in order."""
    path = _file(directory, PLAYS_FILE)
    plays = []
    for index, entry in enumerate(read_toml(path).get("plays", [])):
        where = f"[[plays]] #{index + 1}"
        if not isinstance(entry, dict) or "name" not in entry:
            raise ConfigError(f"{path}: {where} needs a name")
        if entry.get("action") not in ACTIONS:
            raise ConfigError(
                f"{path}: {where} action {entry.get('action')!r} is unknown; known: {ACTIONS}"
            )
        cells = tuple(str(c) for c in entry.get("cells", ["*"]))
        if bad := [c for c in cells if c != "*" and c not in CELLS]:
            raise ConfigError(f"{path}: {where} cell {bad[0]!r} is unknown; use A1 .. D4 or *")
        plays.append(
            Play(
                name=str(entry["name"]),
                stage=str(entry.get("stage", "*")),
                cells=cells,
                intent=str(entry.get("intent", "*")),
                action=entry["action"],
                respond_within_hours=_number(
                    path, f"{where} respond_within_hours", entry.get("respond_within_hours")
                ),
                detail=str(entry.get("detail", "")),
            )
        )
    return tuple(plays)


def _product_categories(path: Path) -> dict[str, str]:
    """Lower-cased product name -> category, from products.toml (first category wins)."""
    data = read_toml(path)
    found: dict[str, str] = {}
    ours = data.get("ours", {})
    for name in ours.get("products", []):
        found.setdefault(str(name).lower(), str(ours.get("category", "ours")))
    for category, entry in data.get("categories", {}).items():
        for name in entry.get("products", []):
            found.setdefault(str(name).lower(), category)
    return found


_directory: Path | None = None
_loaded: dict[Path | None, ScoringConfig] = {}


def use_directory(directory: Path | None) -> None:
    """Score with the files of this config directory from now on (the CLI calls it)."""
    global _directory
    _directory = directory
    _loaded.pop(directory, None)  # re-read: the files may have changed since


def active() -> ScoringConfig:
    """The scoring settings in force: the chosen directory's, else the bundled ones."""
    if _directory not in _loaded:
        _loaded[_directory] = load_scoring(_directory)
    return _loaded[_directory]
