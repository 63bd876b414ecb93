"""Read and validate the rule data in classifier.toml and products.toml (no spaCy here)."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from classifiers.base import INTENTS, STAGES
from classifiers.errors import RulesConfigError

# Table name in classifier.toml -> the kind of cue it holds (the prefix of its rule names).
KINDS = {"intents": "intent", "stages": "stage", "boosts": "boost", "penalties": "penalty"}
SCOPES = ("any", "post", "comment")
PATTERN_HELP = "use words, a|b, @list, word?, *, *?, #, {P} and {X} separated by spaces"


@dataclass(frozen=True, slots=True)
class TokenSpec:
    """One position of a token pattern: a word list (empty: any token), a number, or a product."""

    words: tuple[str, ...] = ()
    optional: bool = False
    number: bool = False
    product: bool = False  # {P}: one or more tokens of a known product
    gap: bool = False  # {X} inside a pattern: one to three tokens, products in them are kept


@dataclass(frozen=True, slots=True)
class Pattern:
    """A named token pattern; `{X}` at an edge asks for a product name just outside the match."""

    name: str
    source: str
    tokens: tuple[TokenSpec, ...]
    slot_before: bool = False
    slot_after: bool = False


@dataclass(frozen=True, slots=True)
class CueGroup:
    """Cue phrases and patterns that share a label and a weight, e.g. the `comparison` intent."""

    kind: str  # "intent", "stage", "boost" or "penalty"
    name: str
    weight: float
    phrases: tuple[str, ...] = ()
    patterns: tuple[Pattern, ...] = ()
    scope: str = "any"  # "post": only without context, "comment": only with it
    # The intent or stage this group names; several groups of one label can carry cues of
    # different strength (a weak "any suggestions?" next to a strong "can anyone recommend").
    label: str = ""
    # Boosts only: the group also fires when a product of one of these categories is named.
    categories: tuple[str, ...] = ()

    def rule(self, cue: str) -> str:
        """The evidence rule name of one cue of this group, e.g. `intent:comparison/vs`."""
        return f"{self.kind}:{self.label or self.name}/{cue}"


@dataclass(frozen=True, slots=True)
class Product:
    """A product name to recognise; `role` is "ours", "competitor" or "other"."""

    name: str
    category: str
    role: str
    case_sensitive: bool = False


@dataclass(frozen=True, slots=True)
class Scoring:
    """The numbers of the scoring formula (see classifiers/scoring.py)."""

    bias: float
    threshold: float
    title_factor: float
    context_factor: float
    product_weight: float
    default_stage: str


@dataclass(frozen=True)
class RuleSet:
    """Everything the rule classifier knows, parsed and validated."""

    version: str
    scoring: Scoring
    groups: tuple[CueGroup, ...]
    products: tuple[Product, ...]
    slot_stopwords: frozenset[str]  # never part of a guessed product name
    count_nouns: frozenset[str]  # "Jira 5 users": a number before these is a count, not a version

    # Derived lookups, filled in by __post_init__.
    weights: dict[str, float] = field(init=False, repr=False, compare=False)
    product_boosts: tuple[CueGroup, ...] = field(init=False, repr=False, compare=False)
    _index: dict[tuple[str, str], CueGroup] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        weights = {f"{g.kind}:{g.name}": g.weight for g in self.groups}
        weights["product:any"] = self.scoring.product_weight
        object.__setattr__(self, "weights", weights)
        object.__setattr__(self, "product_boosts", tuple(g for g in self.groups if g.categories))
        object.__setattr__(self, "_index", {(g.kind, g.name): g for g in self.groups})

    def group(self, kind: str, name: str) -> CueGroup:
        """The group of that kind ("intent", "stage", ...) and name; KeyError when absent."""
        return self._index[(kind, name)]


@dataclass(frozen=True, slots=True)
class ModelSettings:
    """The [trained] table of classifier.toml: which trained model runs, and its alert threshold."""

    path: Path | None  # None: the model packaged with the project
    threshold: float | None  # None: the threshold the model chose by cross-validation
    use: bool = True  # false: run the rules alone


def load_model_settings(config_dir: Path) -> ModelSettings:
    """Read the [trained] table of config_dir/classifier.toml (absent: the packaged defaults)."""
    cpath = config_dir / "classifier.toml"
    cf = str(cpath)
    raw = _table(_read(cpath), "trained", cf, required=False)
    _known(raw, ("use", "path", "threshold"), cf, "trained")
    use = raw.get("use", True)
    if not isinstance(use, bool):
        raise RulesConfigError(cf, "trained.use", f"must be true or false; got {use!r}")
    path = raw.get("path", "")
    if not isinstance(path, str):
        problem = f'must be a directory path or ""; got {path!r}'
        raise RulesConfigError(cf, "trained.path", problem)
    threshold = None
    if "threshold" in raw:
        threshold = _num(raw, "threshold", cf, "trained")
        if not 0.0 < threshold < 1.0:
            raise RulesConfigError(
                cf, "trained.threshold", f"must be between 0 and 1; got {threshold}"
            )
    resolved = None
    if path:
        # A relative path is read from the configuration directory, wherever signals runs.
        resolved = Path(path).expanduser()
        resolved = resolved if resolved.is_absolute() else config_dir / resolved
    return ModelSettings(resolved, threshold, use)


def load_rules(config_dir: Path) -> RuleSet:
    """Read config_dir/classifier.toml and config_dir/products.toml into a RuleSet."""
    cpath, ppath = config_dir / "classifier.toml", config_dir / "products.toml"
    c, p = _read(cpath), _read(ppath)
    cf, pf = str(cpath), str(ppath)
    _known(c, ("model", "trained", "scoring", "slots", "words", *KINDS), cf, None)
    model = _table(c, "model", cf)
    _known(model, ("version",), cf, "model")
    lists = _table(c, "words", cf, required=False)
    words = {name: tuple(w.lower() for w in _strs(lists, name, cf, "words")) for name in lists}
    groups: list[CueGroup] = []
    for kind in KINDS:
        for name, raw in _table(c, kind, cf, required=kind != "boosts").items():
            groups.append(_group(kind, name, raw, cf, words))
    slots = _table(c, "slots", cf, required=False)
    _known(slots, ("stopwords", "count_nouns"), cf, "slots")
    products = _products(p, pf)
    known = sorted({p.category for p in products})
    for g in groups:
        unknown = [c for c in g.categories if c not in known]
        if unknown:
            raise RulesConfigError(
                cf,
                f"boosts.{g.name}.categories",
                f"names {unknown[0]!r}, not a category of {pf}; known: {', '.join(known)}",
            )
    return RuleSet(
        version=_str(model, "version", cf, "model"),
        scoring=_scoring(_table(c, "scoring", cf), cf),
        groups=tuple(groups),
        products=products,
        slot_stopwords=_lower_set(slots, "stopwords", cf),
        count_nouns=_lower_set(slots, "count_nouns", cf),
    )


def _lower_set(raw: Mapping[str, object], key: str, path: str) -> frozenset[str]:
    return frozenset(w.lower() for w in _strs(raw, key, path, "slots", required=False))


def _read(path: Path) -> dict[str, object]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise RulesConfigError(str(path), None, "file not found; copy it from config/") from None
    except tomllib.TOMLDecodeError as e:
        raise RulesConfigError(str(path), None, f"is not valid TOML: {e}") from e


def _scoring(raw: Mapping[str, object], path: str) -> Scoring:
    names = ("bias", "threshold", "title_factor", "context_factor", "product_weight")
    _known(raw, (*names, "default_stage"), path, "scoring")
    nums = {n: _num(raw, n, path, "scoring") for n in names}
    if not 0.0 < nums["threshold"] < 1.0:
        raise RulesConfigError(
            path, "scoring.threshold", f"must be between 0 and 1; got {nums['threshold']}"
        )
    stage = _str(raw, "default_stage", path, "scoring")
    if stage not in STAGES:
        raise RulesConfigError(
            path, "scoring.default_stage", f"must be one of {', '.join(STAGES)}; got {stage!r}"
        )
    return Scoring(default_stage=stage, **nums)


def _group(
    kind: str, name: str, raw: object, path: str, words: Mapping[str, tuple[str, ...]]
) -> CueGroup:
    key = f"{kind}.{name}"
    if not isinstance(raw, dict):
        raise RulesConfigError(path, key, f"must be a table; got {raw!r}")
    known = {"intents": INTENTS, "stages": STAGES}.get(kind)
    label = raw.get("label", name) if known else ""
    if known is not None and label not in known:
        fix = "set label to" if "label" in raw or "." in name else "use a label or name from"
        raise RulesConfigError(path, key, f"is not a known {kind[:-1]}; {fix} {', '.join(known)}")
    extra = ("label",) if known else ("categories",) if kind == "boosts" else ()
    _known(raw, ("weight", "phrases", "patterns", "scope", *extra), path, key)
    weight = _num(raw, "weight", path, key)
    if kind == "penalties" and weight >= 0:
        raise RulesConfigError(path, f"{key}.weight", f"must be negative; got {weight}")
    if kind != "penalties" and weight < 0:
        raise RulesConfigError(path, f"{key}.weight", f"must not be negative; got {weight}")
    scope = raw.get("scope", "any")
    if scope not in SCOPES:
        raise RulesConfigError(path, f"{key}.scope", f"must be one of {', '.join(SCOPES)}")
    patterns = raw.get("patterns", {})
    if not isinstance(patterns, dict):
        raise RulesConfigError(
            path, f"{key}.patterns", f"must be a table of name = pattern; got {patterns!r}"
        )
    return CueGroup(
        kind=KINDS[kind],
        label=str(label),
        categories=_strs(raw, "categories", path, key, required=False),
        name=name,
        weight=weight,
        phrases=_strs(raw, "phrases", path, key, required=False),
        patterns=tuple(
            _pattern(n, s, path, f"{key}.patterns.{n}", words) for n, s in patterns.items()
        ),
        scope=str(scope),
    )


def _pattern(
    name: str, source: object, path: str, key: str, words: Mapping[str, tuple[str, ...]]
) -> Pattern:
    if not isinstance(source, str) or not source.split():
        raise RulesConfigError(path, key, f"must be a non-empty string; {PATTERN_HELP}")
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise RulesConfigError(path, key, "name must be lower-case letters, digits and _")
    parts = source.split()
    slot_before = parts[0] == "{X}"
    slot_after = parts[-1] == "{X}" and len(parts) > 1
    body = parts[int(slot_before) : len(parts) - slot_after]
    tokens = [_token(p, path, key, words) for p in body]
    if not any(t.words and not t.optional for t in tokens):
        # Matching starts from a required word (classifiers/patterns.py), so one must exist.
        raise RulesConfigError(path, key, f"needs a required word; {PATTERN_HELP}")
    return Pattern(name, source, tuple(tokens), slot_before, slot_after)


def _token(part: str, path: str, key: str, lists: Mapping[str, tuple[str, ...]]) -> TokenSpec:
    optional = part.endswith("?") and len(part) > 1
    body = part[:-1] if optional else part
    if body == "*":
        return TokenSpec(optional=optional)
    if body == "#":
        return TokenSpec(number=True, optional=optional)
    if body == "{P}":
        return TokenSpec(product=True, optional=optional)
    if body == "{X}":
        return TokenSpec(gap=True, optional=optional)
    words: list[str] = []
    for word in body.split("|"):
        if word.startswith("@"):
            if word[1:] not in lists:
                raise RulesConfigError(
                    path, key, f"uses {word} but [words] has no list {word[1:]!r}"
                )
            words += lists[word[1:]]
        elif not word or "{" in word or word != word.lower():
            raise RulesConfigError(path, key, f"cannot read {part!r}; {PATTERN_HELP} (lower case)")
        else:
            words.append(word)
    return TokenSpec(words=tuple(dict.fromkeys(words)), optional=optional)


def _products(raw: Mapping[str, object], path: str) -> tuple[Product, ...]:
    _known(raw, ("ours", "categories", "case_sensitive"), path, None)
    ours = _table(raw, "ours", path)
    _known(ours, ("category", "products", "competes_in"), path, "ours")
    categories = _table(raw, "categories", path)
    competes = set(_strs(ours, "competes_in", path, "ours", required=False))
    for name in (*competes, _str(ours, "category", path, "ours")):
        if name not in categories:
            raise RulesConfigError(
                path, "ours", f"names category {name!r}; add [categories.{name}]"
            )
    exact = set(_strs(raw, "case_sensitive", path, None, required=False))
    found: dict[str, Product] = {}
    entries = [
        (n, _str(ours, "category", path, "ours"), "ours")
        for n in _strs(ours, "products", path, "ours")
    ]
    for cat, table in categories.items():
        if not isinstance(table, dict):
            raise RulesConfigError(path, f"categories.{cat}", f"must be a table; got {table!r}")
        _known(table, ("products",), path, f"categories.{cat}")
        role = "competitor" if cat in competes else "other"
        entries += [(n, cat, role) for n in _strs(table, "products", path, f"categories.{cat}")]
    for name, cat, role in entries:
        # First listing wins, so "ours" beats a category that repeats our own product.
        found.setdefault(name.lower(), Product(name, cat, role, name in exact))
    unknown = exact - {p.name for p in found.values()}
    if unknown:
        raise RulesConfigError(
            path, "case_sensitive", f"names unlisted products {sorted(unknown)}; list them first"
        )
    return tuple(found.values())


def _known(raw: Mapping[str, object], keys: tuple[str, ...], path: str, key: str | None) -> None:
    for k in raw:
        if k not in keys:
            where = f"{key}.{k}" if key else k
            raise RulesConfigError(path, where, f"is not a known key; known: {', '.join(keys)}")


def _table(
    raw: Mapping[str, object], key: str, path: str, *, required: bool = True
) -> dict[str, object]:
    value = raw.get(key)
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        got = "nothing" if value is None else repr(value)
        raise RulesConfigError(path, key, f"must be a table ([{key}]); got {got}")
    return value


def _str(raw: Mapping[str, object], key: str, path: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value:
        raise RulesConfigError(path, f"{where}.{key}", f"must be a non-empty string; got {value!r}")
    return value


def _num(raw: Mapping[str, object], key: str, path: str, where: str) -> float:
    value = raw.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RulesConfigError(path, f"{where}.{key}", f"must be a number; got {value!r}")
    return float(value)


def _strs(
    raw: Mapping[str, object], key: str, path: str, where: str | None, *, required: bool = True
) -> tuple[str, ...]:
    value = raw.get(key)
    full = f"{where}.{key}" if where else key
    if value is None and not required:
        return ()
    if not isinstance(value, list):
        got = "nothing" if value is None else repr(value)
        raise RulesConfigError(path, full, f"must be a list of strings; got {got}")
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise RulesConfigError(
                path, full, f"must be a list of strings; item {i + 1} is {item!r}"
            )
    return tuple(value)
