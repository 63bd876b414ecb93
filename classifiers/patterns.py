"""Match token patterns outward from an anchor word (pure Python, works on any token sequence).

spaCy's Matcher scans the whole document once per pattern (about 10 µs per pattern on a
150-word post), which would spend the whole speed budget on a dozen patterns. Here a
PhraseMatcher finds each pattern's anchor word in one pass for all patterns, and only those few
positions are checked against the rest of the pattern, token by token.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from typing import Protocol

from classifiers.config import Pattern, TokenSpec

MAX_GAP = 3  # tokens an inner {X} may cover
# Never chosen as an anchor when the pattern has another required word: they occur a dozen
# times a post, and every occurrence costs a check. (Which word anchors does not change matches.)
_COMMON = frozenset(
    "a an and are as at be but by do for from i in is it of on or that the there this to "
    "was we what which with you your".split()
)


class TokenLike(Protocol):
    """The token attributes a pattern reads (spaCy's Token has them all)."""

    @property
    def lower_(self) -> str: ...

    @property
    def like_num(self) -> bool: ...

    @property
    def is_space(self) -> bool: ...


class Tokens(Protocol):
    """A sequence of tokens (spaCy's Doc is one)."""

    def __len__(self) -> int: ...

    def __getitem__(self, i: int, /) -> TokenLike: ...


@dataclass(frozen=True, slots=True)
class _Spec:
    words: frozenset[str]
    optional: bool
    number: bool
    product: bool
    gap: bool

    def accepts(self, tokens: Tokens, i: int, products: Set[int]) -> bool:
        token = tokens[i]
        if token.is_space:
            return False  # no pattern reaches across a paragraph or the title/text seam
        if self.product:
            return i in products
        if self.number:
            return token.like_num
        return not self.words or token.lower_ in self.words


@dataclass(frozen=True, slots=True)
class AnchoredPattern:
    """A pattern split at its anchor: the most selective required word position."""

    pattern: Pattern
    anchor_words: frozenset[str]
    before: tuple[_Spec, ...]  # nearest first
    after: tuple[_Spec, ...]

    @classmethod
    def compile(cls, pattern: Pattern) -> AnchoredPattern:
        """Choose the anchor: a required word slot of rare words (no common word, long ones)."""
        specs = [_spec(t) for t in pattern.tokens]
        # load_rules guarantees every pattern has a required word slot.
        candidates = [i for i, t in enumerate(pattern.tokens) if t.words and not t.optional]
        a = min(
            candidates,
            # Longer words are rarer (Zipf), so fewer false starts to check.
            key=lambda i: (
                not _COMMON.isdisjoint(pattern.tokens[i].words),
                -min(map(len, pattern.tokens[i].words)),
                len(pattern.tokens[i].words),
            ),
        )
        return cls(pattern, specs[a].words, tuple(reversed(specs[:a])), tuple(specs[a + 1 :]))

    def match(self, tokens: Tokens, i: int, products: Set[int]) -> tuple[int, int] | None:
        """The longest (start, end) token span of a match anchored at token i, if any.

        `products` holds the indices of tokens inside known product names (for `{P}`).
        """
        end = _extend(tokens, self.after, i + 1, 1, products)
        if end is None:
            return None
        start = _extend(tokens, self.before, i, -1, products)
        return None if start is None else (start, end)


def _extend(
    tokens: Tokens, specs: tuple[_Spec, ...], at: int, step: int, products: Set[int]
) -> int | None:
    """Run specs from boundary `at` in direction `step`; the farthest boundary reached, or None."""
    n = len(tokens)
    positions = {at}
    for spec in specs:
        reached: set[int] = set()
        for pos in positions:
            if spec.optional:
                reached.add(pos)
            limit = MAX_GAP if spec.gap else n if spec.product else 1
            k = pos
            for _ in range(limit):
                idx = k if step > 0 else k - 1
                if not 0 <= idx < n or not spec.accepts(tokens, idx, products):
                    break
                k += step
                reached.add(k)
        if not reached:
            return None
        positions = reached
    return max(positions) if step > 0 else min(positions)


def _spec(t: TokenSpec) -> _Spec:
    return _Spec(frozenset(t.words), t.optional, t.number, t.product, t.gap)
