"""What a post says about its author's organisation: size, industry, tools, role (spaCy Matcher).

"We're a 40-person fintech on Postgres, moving off Jira; our CTO asked me to find options"
gives company_size 40, industry fintech, tool_in_use Postgres, tool_replaced Jira, sponsor CTO
and role evaluator, each with the words that say it and a confidence. Patterns are token
patterns over a blank English pipeline, so no model is downloaded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

ATTRIBUTES = (
    "company_size",
    "team_size",
    "industry",
    "tool_in_use",
    "tool_replaced",
    "role",
    "sponsor",
)
INDUSTRIES = (
    "fintech", "saas", "healthcare", "healthtech", "edtech", "ecommerce", "e-commerce",
    "agency", "nonprofit", "non-profit", "insurtech", "logistics", "manufacturing", "retail",
    "biotech", "legal", "law", "accounting", "marketing", "media", "gaming", "hospital",
    "university", "school", "bank", "government", "consultancy", "msp",
)  # fmt: skip
_INDUSTRY_NAMES = {"law": "legal", "e-commerce": "ecommerce", "non-profit": "nonprofit"}
_COMPANY_WORDS = ("company", "startup", "business", "firm", "shop", "org", "organization",
                  "organisation", "agency", "employees", "staff", *INDUSTRIES)  # fmt: skip
_TEAM_WORDS = ("team", "dept", "department", "engineers", "developers", "devs", "seats", "users")
_PEOPLE = ("person", "people", "man", "employee", "strong", "seat", "user")
ROLES = (
    "cto", "ceo", "cfo", "cio", "coo", "cmo", "ciso", "vp", "head", "director", "founder",
    "co-founder", "cofounder", "owner", "manager", "lead", "sysadmin", "admin", "engineer",
    "developer", "architect", "consultant", "analyst", "pm", "boss", "president",
)  # fmt: skip


def _in(*words: str) -> dict[str, Any]:
    return {"LOWER": {"IN": list(words)}}


_USE: list[list[dict[str, Any]]] = [
    [{"LOWER": "we"}, {"LOWER": {"IN": ["use", "run", "used"]}}],
    [{"LOWER": "we"}, _in("are", "'re", "’re"), _in("using", "on", "running")],
    [{"LOWER": "we"}, _in("'ve", "’ve", "have"), {"LOWER": "been"}, _in("using", "on")],
    [{"LOWER": "our"}, {"LOWER": "stack"}, {"LOWER": "is"}],
    [{"LOWER": "currently"}, {"LOWER": {"IN": ["on", "using", "running"]}}],
    [{"LOWER": "been"}, {"LOWER": {"IN": ["using", "running"]}}],
    [{"LOWER": {"IN": ["team", "company", "org"]}}, {"LOWER": {"IN": ["uses", "runs"]}}],
]  # fmt: skip
_REPLACE: list[list[dict[str, Any]]] = [
    [{"LOWER": {"IN": ["moving", "move", "migrating", "migrate", "switching", "switch"]}},
     {"LOWER": {"IN": ["off", "from", "away"]}}, {"LOWER": "from", "OP": "?"}],
    [{"LOWER": {"IN": ["replace", "replacing", "ditch", "ditching", "leaving", "leave"]}}],
    [{"LOWER": {"IN": ["alternative", "alternatives"]}}, {"LOWER": {"IN": ["to", "for"]}}],
    [{"LOWER": "get"}, {"LOWER": "off"}, {"LOWER": "of", "OP": "?"}],
]  # fmt: skip
# Words before "N people" that make it the size of an organisation: "we have 40 people".
_SIZE_CONTEXT = {"have", "employ", "employs", "with", "of", "are", "'re", "’re", "our", "about"}
_STOP_TOOL = {"i", "the", "a", "an", "our", "my", "it", "this", "that", "something", "them", "and"}


@dataclass(frozen=True, slots=True)
class OrgHint:
    """One thing a post says about its author's organisation; offsets index the text."""

    attribute: str
    value: str
    evidence: str
    start: int
    end: int
    confidence: float


class OrgHintExtractor:
    """Finds organisation hints in post texts with spaCy token patterns."""

    def __init__(self, tools: Iterable[str] = (), gate: bool = True) -> None:
        """`gate=False` runs the tokenizer and matcher on every text (the gate only skips
        texts that cannot match; tests compare both)."""
        import spacy
        from spacy.matcher import Matcher

        self._nlp = spacy.blank("en")
        # Known product names count as tools even when written in lower case.
        self._tools = {t.lower(): t for t in tools}
        matcher = Matcher(self._nlp.vocab)
        added: list[list[dict[str, Any]]] = []  # every pattern, for the gate

        def add(label: str, patterns: list[list[dict[str, Any]]]) -> None:
            matcher.add(label, patterns)
            added.extend(patterns)

        number: dict[str, Any] = {"LIKE_NUM": True}
        people = {"LOWER": {"IN": list(_PEOPLE)}}
        dash = {"ORTH": {"IN": ["-", "–"]}, "OP": "?"}
        add(
            "size",
            [
                [number, dash, people],
                [
                    number,
                    {
                        "LOWER": {
                            "IN": [
                                "employees",
                                "engineers",
                                "developers",
                                "devs",
                                "staff",
                                "seats",
                                "users",
                                "people",
                            ]
                        }
                    },
                ],
            ],
        )
        add("team_of", [[{"LOWER": {"IN": ["team", "company", "staff"]}}, {"LOWER": "of"}, number]])
        we_are: list[dict[str, Any]] = [
            {"LOWER": "we"},
            {"LOWER": {"IN": ["are", "'re", "’re"]}},
            {"LOWER": {"IN": ["a", "an"]}},
        ]
        industry: dict[str, Any] = {"LOWER": {"IN": list(INDUSTRIES)}}
        add(
            "industry",
            [
                [*we_are, {"OP": "{0,3}"}, industry],
                [
                    {"LOWER": {"IN": ["work", "works", "working"]}},
                    {"LOWER": {"IN": ["at", "in", "for"]}},
                    {"LOWER": {"IN": ["a", "an"]}, "OP": "?"},
                    {"OP": "{0,2}"},
                    industry,
                ],
            ],
        )
        on_tool: list[dict[str, Any]] = [
            {"LOWER": {"IN": [*_COMPANY_WORDS, *_TEAM_WORDS]}},
            {"LOWER": "on"},
        ]
        add("use", [*_USE, on_tool])
        add("replace", _REPLACE)
        role: dict[str, Any] = {"LOWER": {"IN": list(ROLES)}}
        add(
            "self_role",
            [
                [
                    {"LOWER": "i"},
                    {"LOWER": {"IN": ["am", "'m", "’m"]}},
                    {"LOWER": {"IN": ["the", "a", "an"]}},
                    {"OP": "?"},
                    role,
                ],
                [{"LOWER": "as"}, {"LOWER": {"IN": ["the", "a", "an"]}}, {"OP": "?"}, role],
            ],
        )
        add("sponsor", [
            [_in("our", "my"), role, _in("asked", "wants", "told", "tasked")],
        ])  # fmt: skip
        self._matcher = matcher
        self._gate = _Gate(added, self._nlp) if gate else None

    def extract(self, text: str) -> tuple[OrgHint, ...]:
        """The hints in one text, in order, one per attribute and value."""
        return next(iter(self.extract_many([text])))

    def extract_many(self, texts: Iterable[str]) -> Iterable[tuple[OrgHint, ...]]:
        """The hints of each text, in input order."""
        gate = self._gate
        if gate is None:
            for doc in self._nlp.pipe(texts):
                hints: dict[tuple[str, str], OrgHint] = {}
                self._doc_hints(doc, hints)
                yield _in_order(hints)
            return
        for text in texts:
            hints = {}
            for start, end in gate.windows(text):
                window = self._nlp.make_doc(text[start:end])
                if gate.doc(window):
                    self._doc_hints(window, hints, start)
            yield _in_order(hints)

    def _doc_hints(self, doc: Any, hints: dict[tuple[str, str], OrgHint], offset: int = 0) -> None:
        """Add the doc's hints to `hints` (first per attribute and value wins), with char
        offsets moved by `offset` (where the doc starts in the text)."""
        for match_id, start, end in self._matcher(doc):
            label = self._nlp.vocab.strings[match_id]
            for hint in self._hints(label, doc, start, end):
                if offset:
                    hint = replace(hint, start=hint.start + offset, end=hint.end + offset)
                hints.setdefault((hint.attribute, hint.value.lower()), hint)

    def _hints(self, label: str, doc: Any, start: int, end: int) -> list[OrgHint]:
        span = doc[start:end]

        def hint(attribute: str, value: str, confidence: float, last: int = end) -> OrgHint:
            evidence = doc[start:last]
            return OrgHint(
                attribute, value, evidence.text, evidence.start_char, evidence.end_char, confidence
            )

        if label == "size":
            value = _number(span[0].text)
            if value is None:
                return []
            following = doc[end].lower_ if end < len(doc) else ""
            words = {t.lower_ for t in span} | {following}
            before = doc[start - 1].lower_ if start else ""
            hyphenated = any(t.text in ("-", "–") for t in span)
            org_words = set(_TEAM_WORDS) | set(_COMPANY_WORDS)
            if not (words & org_words or hyphenated or before in _SIZE_CONTEXT):
                return []  # "2 people suggested ...": a count, not an organisation
            if words & set(_TEAM_WORDS) and not words & set(_COMPANY_WORDS):
                return [hint("team_size", value, 0.8, end + (following in _TEAM_WORDS))]
            found = [
                hint(
                    "company_size",
                    value,
                    0.8 if words & set(_COMPANY_WORDS) else 0.6,
                    min(end + 1, len(doc)),
                )
            ]
            if following in INDUSTRIES:
                found.append(
                    hint("industry", _INDUSTRY_NAMES.get(following, following), 0.7, end + 1)
                )
            return found
        if label == "team_of":
            value = _number(span[-1].text)
            attribute = "team_size" if span[0].lower_ == "team" else "company_size"
            return [hint(attribute, value, 0.8)] if value else []
        if label == "industry":
            word = span[-1].lower_
            return [hint("industry", _INDUSTRY_NAMES.get(word, word), 0.7)]
        if label in ("use", "replace"):
            tool, last = self._tool_after(doc, end)
            if tool is None:
                return []
            attribute = "tool_in_use" if label == "use" else "tool_replaced"
            return [hint(attribute, tool, 0.75 if label == "use" else 0.8, last)]
        if label == "self_role":
            title, last = _title(doc, end - 1)
            return [hint("role", title, 0.8, last)]
        if label == "sponsor":
            title = span[1].text.upper() if len(span[1].text) <= 4 else span[1].text
            return [hint("sponsor", title, 0.7), hint("role", "evaluator", 0.6)]
        return []

    def _tool_after(self, doc: Any, index: int) -> tuple[str | None, int]:
        """The product name starting at doc[index]: capitalised words or a known product."""
        words: list[str] = []
        i = index
        while i < len(doc) and len(words) < 3:
            token = doc[i]
            if token.lower_ in _STOP_TOOL or token.is_punct or token.is_space:
                break
            if token.lower_ in self._tools:
                return self._tools[token.lower_], i + 1
            if not (token.is_title or token.is_upper or token.text[:1].isupper()):
                break
            if len(token.text) == 1 and words:
                break  # "been using Chrome I think": a lone capital is a pronoun, not a name
            words.append(token.text)
            i += 1
        if not words or len(" ".join(words)) < 2:
            return None, index
        name = " ".join(words)
        return self._tools.get(name.lower(), name), i


def _in_order(hints: dict[tuple[str, str], OrgHint]) -> tuple[OrgHint, ...]:
    return tuple(sorted(hints.values(), key=lambda h: (h.start, h.attribute)))


class _Gate:
    """Whether a text or doc can match any pattern at all: most posts cannot, and skipping
    them saves the tokenizer and the matcher (most of a signal's merge cost).

    A pattern needs one word of each of its required token sets (tokens without an optional
    OP, matched on LOWER), and consecutive required tokens are consecutive in the text with at
    most one space between them (other whitespace is a token of its own). A token's lower
    form is a substring of the lowered text, and a token starts after a non-letter unless a
    tokenizer exception splits a word ("cannot", "dont"): so a text with no run of a pattern's
    words in that shape cannot match it. On a doc the word check is on its tokens exactly.
    Tokens matched on other attributes (numbers, ORTH, wildcards) are not checked: the gate
    only ever lets through more than the matcher finds, never less.
    """

    def __init__(self, patterns: list[list[dict[str, Any]]], nlp: Any) -> None:
        inside = _inside_words(nlp)
        self._runs = [[_run_regex(run, inside) for run in _runs(p)] for p in patterns]
        # A cheap first test per run: some word of it is in the text at all.
        self._words = [[tuple(set().union(*run)) for run in _runs(p)] for p in patterns]
        strings = nlp.vocab.strings
        self._hashes = [
            [{strings.add(w) for w in ws} for run in _runs(p) for ws in run] for p in patterns
        ]

    def text(self, lowered: str) -> bool:
        return bool(self._possible(lowered))

    def _possible(self, lowered: str) -> list[list[re.Pattern[str]]]:
        """The run regexes of the patterns the text may match."""
        found = []
        for runs, words in zip(self._runs, self._words, strict=True):
            if all(any(w in lowered for w in ws) for ws in words) and all(
                r.search(lowered) for r in runs
            ):
                found.append(runs)
        return found

    def windows(self, text: str) -> list[tuple[int, int]]:
        """Character ranges of text that hold every match, each with its context.

        A match holds an occurrence of its pattern's first run, and the tokenizer splits on
        whitespace first, so the text around each such occurrence, cut at whitespace
        `_PAD` words either side, tokenizes exactly as it does in the whole text. Ranges
        that meet are joined. The whole text when lowering changes its length.
        """
        lowered = text.lower()
        if len(lowered) != len(text):
            return [(0, len(text))] if self.text(lowered) else []
        found: list[tuple[int, int]] = []
        for runs in self._possible(lowered):
            for hit in runs[0].finditer(lowered):
                found.append(_around(text, hit.start(), hit.end()))
        joined: list[tuple[int, int]] = []
        for start, end in sorted(found):
            if joined and start <= joined[-1][1]:
                joined[-1] = (joined[-1][0], max(end, joined[-1][1]))
            else:
                joined.append((start, end))
        return joined

    def doc(self, doc: Any) -> bool:
        from spacy.attrs import LOWER

        present = set(doc.to_array(LOWER).tolist())
        return any(all(not ws.isdisjoint(present) for ws in need) for need in self._hashes)


# Words of context kept either side of a run: longer than any pattern and what _hints reads
# around a match (a token before, a title or product name of up to four after).
_PAD = 16


def _around(text: str, start: int, end: int) -> tuple[int, int]:
    """From the start of the _PAD-th word before start to the end of the _PAD-th after end."""
    left = start
    while left > 0 and not text[left - 1].isspace():
        left -= 1
    for _ in range(_PAD):
        k = left
        while k > 0 and text[k - 1].isspace():
            k -= 1
        if k == 0:
            break
        while k > 0 and not text[k - 1].isspace():
            k -= 1
        left = k
    right = end
    while right < len(text) and not text[right].isspace():
        right += 1
    for _ in range(_PAD):
        k = right
        while k < len(text) and text[k].isspace():
            k += 1
        if k == len(text):
            break
        while k < len(text) and not text[k].isspace():
            k += 1
        right = k
    return left, right


def _runs(pattern: list[dict[str, Any]]) -> list[list[frozenset[str]]]:
    """The pattern's runs of consecutive required tokens, as the word sets each takes."""
    runs: list[list[frozenset[str]]] = [[]]
    for token in pattern:
        lower = token.get("LOWER")
        words = None
        if isinstance(lower, str):
            words = frozenset([lower])
        elif isinstance(lower, dict) and set(lower) == {"IN"}:
            words = frozenset(lower["IN"])
        if token.get("OP", "1") == "1" and words is not None:
            runs[-1].append(words)
        elif runs[-1]:
            runs.append([])  # an optional or unchecked token: the next run is not adjacent
    return [run for run in runs if run]


def _run_regex(run: list[frozenset[str]], inside: set[str]) -> re.Pattern[str]:
    """Lowered text of the run's tokens: one space at most between them, and the first one
    after a non-letter unless a tokenizer exception can start it inside a word."""

    def alternatives(words: Iterable[str]) -> str:
        return "|".join(re.escape(w) for w in sorted(words, key=lambda w: (-len(w), w)))

    first = run[0]
    heads = []
    if first - inside:
        heads.append(f"(?<![^\\W\\d_])(?:{alternatives(first - inside)})")
    if first & inside:
        heads.append(f"(?:{alternatives(first & inside)})")
    rest = "".join(f" ?(?:{alternatives(words)})" for words in run[1:])
    return re.compile(f"(?:{'|'.join(heads)}){rest}")


def _inside_words(nlp: Any) -> set[str]:
    """Lowered pieces the tokenizer's exceptions split off after a letter ("cannot": "not")."""
    from spacy.attrs import ORTH

    found = set()
    for key, pieces in nlp.tokenizer.rules.items():
        at = 0
        for piece in pieces:
            orth = piece.get(ORTH, piece.get("ORTH", ""))
            if at and key[at - 1].isalpha():
                found.add(orth.lower())
            at += len(orth)
    return found


def _number(text: str) -> str | None:
    words = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
             "nine": 9, "ten": 10, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30,
             "forty": 40, "fifty": 50, "hundred": 100}  # fmt: skip
    cleaned = text.lower().replace(",", "").removesuffix("k")
    if cleaned.isdigit():
        return str(int(cleaned) * (1000 if text.lower().endswith("k") else 1))
    return str(words[cleaned]) if cleaned in words else None


def _title(doc: Any, index: int) -> tuple[str, int]:
    """A job title from its head word on: "head of IT", "VP of engineering", "CTO"."""
    end = index + 1
    if end + 1 < len(doc) and doc[end].lower_ == "of" and doc[end + 1].lower_ not in _STOP_TOOL:
        end += 2
    text = doc[index:end].text
    return (text.upper() if len(text) <= 4 else text), end
