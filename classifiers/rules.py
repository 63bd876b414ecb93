"""The rule classifier: spaCy phrase matching of cues, token patterns and product names."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

import spacy
from spacy.attrs import IS_SPACE, LIKE_NUM, LOWER
from spacy.matcher import PhraseMatcher
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc

from classifiers.base import Classification, Document
from classifiers.config import CueGroup, Product, RuleSet
from classifiers.patterns import AnchoredPattern
from classifiers.scoring import Hit, decide

# A lean tokenizer: spaCy's English rules handle every script and emoticon, which costs more
# than half the run time; posts need only punctuation and English clitics split off.
_PREFIX = re.compile(r"""^[\[\(\{<"'“‘«*_~`#@]""")
_SUFFIX = re.compile(
    r"""(?:'s|'re|'ve|'ll|'d|'m|n't|’s|’re|’ve|’ll|’d|’m|n’t|[\]\)\}>"'”’»*_~.,;:!?…])$"""
)
_INFIX = re.compile(r"""[/\\,;!?()\[\]"“”*|=]|:(?!//)|--+|—|–|(?<=[a-z])\.(?=[A-Z])|\.\.+""")
_VERSION = re.compile(r"^v?\d+(?:\.\d+)*[a-z]?$")
_DOMAIN = re.compile(r"[\w-]+\.(?:com|io|net|org|co)")
# "Google Apps for Business", "vSphere 5.1 for Desktop": an edition is part of the name as
# written (the annotators copy it); "Chrome for Windows" is not (platforms stay out).
_EDITIONS = frozenset(
    "business enterprise desktop organizations organisations education government nonprofits "
    "teams work".split()
)
NAME_EXTENSIONS = ("full", "models", "none")  # how far a product name reaches (_written_end)
_CONTEXT_CACHE = 1024  # thread openers whose boosts are remembered
_SEP = "\n\n"  # between title and text: a space token, so no cue spans both
# PhraseMatcher key prefixes of pattern anchors and product names (never a rule name)
_ANCHOR = "\x00anchor:"
_PRODUCT = "\x00product:"


class RuleClassifier:
    """Classify documents with the cue phrases, patterns and products of a RuleSet."""

    def __init__(
        self, rules: RuleSet, batch_size: int = 256, *, name_extension: str = "full"
    ) -> None:
        if name_extension not in NAME_EXTENSIONS:
            raise ValueError(f"name_extension must be one of {NAME_EXTENSIONS}")
        self.rules = rules
        self.name_extension = name_extension
        self.batch_size = batch_size
        self.model_version = rules.version
        self._nlp = lean_pipeline()
        self._contexts: dict[str, list[Hit]] = {}
        strings = self._nlp.vocab.strings
        # One PhraseMatcher pass finds every cue phrase and every pattern anchor.
        self._matcher = PhraseMatcher(self._nlp.vocab, attr="LOWER")
        self._phrases: dict[int, tuple[CueGroup, str]] = {}
        self._anchored: dict[int, list[tuple[CueGroup, str, AnchoredPattern]]] = {}
        for group in rules.groups:
            for phrase in group.phrases:
                # Keyed by group: two groups may share a label, and so a rule name.
                key = f"{group.kind}:{group.name}/{phrase}"
                self._matcher.add(key, [self._nlp.make_doc(phrase)])
                self._phrases[strings[key]] = (group, group.rule(_slug(phrase)))
            for pattern in group.patterns:
                compiled = AnchoredPattern.compile(pattern)
                for word in compiled.anchor_words:
                    key = _ANCHOR + word
                    self._matcher.add(key, [self._nlp.make_doc(word)])
                    entry = (group, group.rule(pattern.name), compiled)
                    self._anchored.setdefault(strings[key], []).append(entry)
        # Product names: most match case-insensitively (in the same pass as the cues),
        # everyday words ("Square", "Office") only as spelled. PhraseMatchers, not an
        # EntityRuler: the ruler's span bookkeeping costs more than the matching, and nothing
        # downstream reads doc.ents.
        self._exact = PhraseMatcher(self._nlp.vocab, attr="ORTH")
        self._products: dict[int, Product] = {}
        for p in rules.products:
            key = _PRODUCT + p.name
            self._products[strings.add(key)] = p
            (self._exact if p.case_sensitive else self._matcher).add(
                key, [self._nlp.make_doc(p.name)]
            )

    def classify(self, docs: Iterable[Document]) -> Iterator[Classification]:
        """Yield one classification per document, in order, classifying `batch_size` at a time."""
        it = iter(docs)
        while batch := list(islice(it, self.batch_size)):
            for doc, hits in zip(batch, self._hits(batch), strict=True):
                yield self._classification(doc, hits)

    def find_hits(
        self, docs: Iterable[Document], *, patterns: bool = True
    ) -> Iterator[tuple[Hit, ...]]:
        """Every rule hit per document, context included: the raw features behind `classify`.

        `patterns=False` leaves out the token patterns: the hits of the cheap pass.
        """
        it = iter(docs)
        while batch := list(islice(it, self.batch_size)):
            for document, (doc, text) in zip(batch, self.parse(batch), strict=True):
                yield self.hits_of(document, doc, text, patterns=patterns)

    def _hits(self, batch: Sequence[Document]) -> list[tuple[Hit, ...]]:
        parsed = self.parse(batch)
        return [self.hits_of(d, doc, text) for d, (doc, text) in zip(batch, parsed, strict=True)]

    def parse(self, batch: Sequence[Document]) -> list[tuple[Doc, str]]:
        """Each document's title and text as one spaCy Doc, and the string it was made from.

        Components added to `nlp` run too: a trained textcat (classifiers/model.py) scores
        the same Doc the matchers read, so one tokenisation serves both.
        """
        texts = [joined_text(d) for d in batch]
        return list(zip(self._nlp.pipe(texts, batch_size=self.batch_size), texts, strict=True))

    def hits_of(
        self, document: Document, doc: Doc, text: str, *, patterns: bool = True
    ) -> tuple[Hit, ...]:
        """The rule hits of one parsed document, with its thread opener's boosts."""
        found = self._doc_hits(doc, text, document.title, patterns=patterns)
        if document.context:
            found += self._context_boosts(document.context)
        return tuple(found)

    def _context_boosts(self, context: str) -> list[Hit]:
        """The boosts of a thread opener, remembered: a thread's comments share one opener."""
        cached = self._contexts.get(context)
        if cached is None:
            if len(self._contexts) >= _CONTEXT_CACHE:
                self._contexts.pop(next(iter(self._contexts)))  # oldest first
            # The thread opener only lends boosts: tokenise it, never score it. Only the
            # thread's work context carries over to a comment; its cues are not ours.
            doc = self._nlp.make_doc(context)
            hits = self._doc_hits(doc, context, None, context=True)
            cached = self._contexts[context] = [h for h in hits if h.kind == "boost"]
        return cached

    @property
    def nlp(self) -> Any:
        """The spaCy pipeline (lean tokenizer, no components unless a caller adds some)."""
        return self._nlp

    def _doc_hits(
        self,
        doc: Doc,
        whole: str,
        title: str | None,
        *,
        context: bool = False,
        patterns: bool = True,
    ) -> list[Hit]:
        """Hits in one doc; `whole` is the text it was made from (Doc.text rebuilds it: slow)."""
        seam = len(title) if title else -1
        title_tokens = _tokens_before(doc, seam)
        hits: list[Hit] = []
        seen: set[tuple[object, bool]] = set()  # (cue, in title): its first hit says it all

        def add(rule: str, kind: str, group: str, weight: float, first: int, last: int) -> None:
            # Tokens first..last inclusive, turned into character offsets of their field.
            start, end = doc[first].idx, doc[last].idx + len(doc[last])
            text = whole[start:end]
            if context:
                field = "context"
            elif title is None:
                field = "text"
            elif end <= seam:
                field = "title"
            elif start >= seam + len(_SEP):
                field, start, end = "text", start - seam - len(_SEP), end - seam - len(_SEP)
            else:
                return  # spans the title/text seam
            hits.append(Hit(rule, kind, group, weight, field, start, end, text))

        matches = self._matcher(doc)
        products = self._products
        names = self._product_spans(
            doc, seam, [m for m in matches if m[0] in products] + self._exact(doc)
        )
        in_product = {i for start, end, _ in names for i in range(start, end)}
        for key, start, end in matches:
            if key in products:
                continue
            if key in self._phrases:
                if (key, start < title_tokens) not in seen:
                    seen.add((key, start < title_tokens))
                    group, rule = self._phrases[key]
                    add(rule, group.kind, group.name, group.weight, start, end - 1)
                continue
            if not patterns:
                continue
            for group, rule, pattern in self._anchored[key]:
                if (id(pattern), start < title_tokens) in seen:
                    continue
                found = pattern.match(doc, start, in_product)
                if found is None:
                    continue
                seen.add((id(pattern), start < title_tokens))
                add(rule, group.kind, group.name, group.weight, found[0], found[1] - 1)
                if not context:
                    for first, last in self._slot_names(doc, found, pattern, in_product):
                        add("product:unlisted", "product", "", 0.0, first, last)
        for start, end, product in names:
            add(f"product:{product.name}", "product", product.category, 0.0, start, end - 1)
        return hits

    def _product_spans(
        self, doc: Doc, seam: int, matches: list[tuple[int, int, int]]
    ) -> list[tuple[int, int, Product]]:
        """Listed product names in text order, longest where they overlap, as written in full.

        "Dell" in "Dell PowerVault DP600" and "Windows" in "Windows 7" are reported with the
        model and version that follow, as a reader would copy the name.
        """
        found = sorted(matches, key=lambda m: m[1] - m[2])
        taken: set[int] = set()
        listed = []
        for key, start, end in found:
            if taken.isdisjoint(range(start, end)):
                taken.update(range(start, end))
                listed.append((start, end, self._products[key]))
        spans: list[tuple[int, int, Product]] = []
        for start, end, product in sorted(listed, key=lambda s: s[0]):
            if spans and start < spans[-1][1]:
                continue  # swallowed by the previous name's model words: "Adobe Premiere Pro"
            in_title = doc[start].idx < seam
            spans.append((start, self._written_end(doc, end, in_title), product))
        return spans

    def _written_end(self, doc: Doc, end: int, in_title: bool) -> int:
        """Extend a name over up to three model or version tokens that follow it.

        `name_extension`: "full" takes versions, model codes and capitalised words; "models"
        only versions and codes with digits ("Windows 7", "DL185"); "none" keeps the listed name.
        All three take an edition that follows ("for Business").
        """
        if self.name_extension == "none":
            return self._edition_end(doc, end)
        plain_words = self.name_extension == "full"
        limit = min(end + 3, len(doc))
        while end < limit and doc[end - 1].whitespace_:
            text = doc[end].text
            if _VERSION.match(text.lower()):
                if end + 1 < len(doc) and doc[end + 1].lower_ in self.rules.count_nouns:
                    break  # "Jira 5 users": a count, not a version
            elif not (plain_words or any(c.isdigit() for c in text)) or not _model_word(
                text, self.rules.slot_stopwords, in_title
            ):
                break
            end += 1
        return self._edition_end(doc, end)

    @staticmethod
    def _edition_end(doc: Doc, end: int) -> int:
        """Past "for Business" when an edition name follows: "Google Apps for Business"."""
        if (
            end + 1 < len(doc)
            and doc[end].lower_ == "for"
            and doc[end + 1].text[:1].isupper()
            and doc[end + 1].lower_ in _EDITIONS
            and doc[end - 1].whitespace_
            and doc[end].whitespace_
        ):
            return end + 2
        return end

    def _slot_names(
        self, doc: Doc, found: tuple[int, int], pattern: AnchoredPattern, in_product: set[int]
    ) -> list[tuple[int, int]]:
        """Unlisted product names (first, last token) in the {X} slots of "alternatives to {X}"."""
        stop = self.rules.slot_stopwords
        names = []
        if pattern.pattern.slot_after:
            names.append(_name_run(doc, found[1], 1, stop, in_product))
        if pattern.pattern.slot_before:
            names.append(_name_run(doc, found[0] - 1, -1, stop, in_product))
        return [n for n in names if n is not None]

    def _classification(self, doc: Document, hits: tuple[Hit, ...]) -> Classification:
        decision = decide(hits, self.rules, is_comment=doc.context is not None)
        products = [h for h in hits if h.kind == "product" and h.field != "context"]
        if not decision.is_signal:
            # Slot guesses are trusted only in signals; elsewhere "DSLR vs Camcorder" would
            # report two non-products.
            products = [h for h in products if h.rule != "product:unlisted"]
        products.sort(key=reading_order)
        seen: set[tuple[str, str]] = set()
        evidence = []
        for h in sorted([*decision.counted, *products], key=reading_order):
            if (h.rule, h.field) not in seen:  # one "product:Jira" per field is enough
                seen.add((h.rule, h.field))
                evidence.append(h.evidence())
        return Classification(
            is_signal=decision.is_signal,
            confidence=decision.confidence,
            stage=decision.stage,
            intents=decision.intents,
            products=unique_names(h.text for h in products),
            evidence=tuple(evidence),
            model_version=self.model_version,
        )


def joined_text(doc: Document) -> str:
    """Title and text as one string, as the rules and the textcat read them."""
    return f"{doc.title}{_SEP}{doc.text}" if doc.title else doc.text


def lean_pipeline() -> Any:
    """A blank English pipeline with the lean tokenizer the rules (and the textcat) read."""
    nlp = spacy.blank("en")
    # Every new word gets ~20 lexeme attributes computed in Python; the rules read three.
    # Keeping only those doubles the speed on text with unseen words.
    keep = {LOWER, LIKE_NUM, IS_SPACE}
    vocab: Any = nlp.vocab  # lex_attr_getters is missing from spaCy's type hints
    vocab.lex_attr_getters = {k: f for k, f in vocab.lex_attr_getters.items() if k in keep}
    nlp.tokenizer = Tokenizer(
        nlp.vocab,
        prefix_search=_PREFIX.search,
        suffix_search=_SUFFIX.search,
        infix_finditer=_INFIX.finditer,
    )
    return nlp


def _tokens_before(doc: Doc, char: int) -> int:
    """How many tokens start before character `char` (binary search: Token objects are costly)."""
    lo, hi = 0, len(doc) if char > 0 else 0
    while lo < hi:
        mid = (lo + hi) // 2
        if doc[mid].idx < char:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _name_run(
    doc: Doc, i: int, step: int, stopwords: frozenset[str], in_product: set[int]
) -> tuple[int, int] | None:
    """The first and last of up to three name-like tokens from token i in `step` direction."""
    if not 0 <= i < len(doc) or i in in_product:
        return None  # nothing there, or a listed product already found
    j = i
    while 0 <= j < len(doc) and abs(j - i) < 3 and _name_like(doc[j].text, stopwords):
        j += step
    if j == i:
        return None
    return (i, j - 1) if step > 0 else (j + 1, i)


def _name_like(text: str, stopwords: frozenset[str]) -> bool:
    if text.lower() in stopwords or not text[0].isalnum():
        return False
    # "Hootsuite", "iWeb", "SECockpit", "2checkout.com": a capital inside, or a domain name.
    return any(c.isupper() for c in text) or bool(_DOMAIN.fullmatch(text))


def _model_word(text: str, stopwords: frozenset[str], in_title: bool) -> bool:
    """A word that continues a product name: "PowerVault", "DP600"; "Media" only in text."""
    if text.lower() in stopwords or not text[0].isalnum():
        return False
    if any(c.isdigit() for c in text):
        return any(c.isalpha() for c in text)
    if any(c.isupper() for c in text[1:]):
        return any(c.islower() for c in text)  # "PowerVault", "ESXi"; not "BY TONIGHT"
    # Plain capitalised words only outside titles, where Title Case Is Everywhere.
    return not in_title and text[0].isupper() and len(text) > 1


# What may follow a listed name that is part of a longer one: ".com", "-X", a version or model
# ("2009", "4.1", "ASA", "GoPayment"), or in running text a capitalised word ("Media Player").
_RUNS_ON = re.compile(r"[.\-]\w| +(?:v?\d|[A-Z]{2}|[A-Z]?[a-z]+[A-Z])")
_RUNS_ON_TEXT = re.compile(r" +[A-Z][a-z]")


def runs_on(hit: Hit, document: Document) -> bool:
    """A product name that continues past the listed words ("MS Accounting 2009", "Elance.com",
    "Cisco ASA"): the post names something more specific, so the listed part alone is not
    what it names. Title Case titles only count versions, codes and inner capitals."""
    source = (document.title or "") if hit.field == "title" else document.text
    after = source[hit.end : hit.end + 24]
    if _RUNS_ON.match(after):
        return True
    return hit.field == "text" and bool(_RUNS_ON_TEXT.match(after))


def reading_order(hit: Hit) -> tuple[bool, int]:
    return (hit.field != "title", hit.start)


def unique_names(names: Iterable[str]) -> tuple[str, ...]:
    first: dict[str, str] = {}
    for name in names:
        first.setdefault(name.lower(), name)
    return tuple(first.values())


def _slug(phrase: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", phrase.lower()).strip("_") or "phrase"
