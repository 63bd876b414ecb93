"""HTML to plain text, fast enough to run on every post."""

from __future__ import annotations

import html
import re

import lxml.etree
import lxml.html

_BLOCK_TAGS = frozenset(
    (
        "address article aside blockquote br dd div dl dt figcaption figure footer "
        "h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section table tbody td th thead tr ul"
    ).split()
)
_DROPPED_TAGS = ("script", "style", "template", "noscript", "iframe", "object")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def normalise_whitespace(text: str) -> str:
    """Collapse runs of spaces, trim lines, keep at most one blank line between paragraphs."""
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment: tags dropped, entities decoded, blocks on their own lines."""
    if "<" not in markup:
        return normalise_whitespace(html.unescape(markup))
    try:
        root = lxml.html.fragment_fromstring(markup, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return normalise_whitespace(html.unescape(re.sub(r"<[^>]*>", " ", markup)))
    for dropped in root.iter(*_DROPPED_TAGS):
        dropped.drop_tree()
    parts: list[str] = []
    _collect(root, parts)
    return normalise_whitespace("".join(parts))


def _collect(element: lxml.html.HtmlElement, parts: list[str]) -> None:
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag == "br":
        parts.append("\n")
    elif tag in _BLOCK_TAGS:
        _line_break(parts, 1)
    if element.text and tag:
        parts.append(element.text)
    for child in element:
        _collect(child, parts)
    if tag in _BLOCK_TAGS and tag != "br":
        _line_break(parts, 2 if tag == "p" else 1)
    if element.tail:
        parts.append(element.tail)


def _line_break(parts: list[str], count: int) -> None:
    """End the current line with `count` newlines, unless it already ends with as many."""
    trailing = 0
    for part in reversed(parts):
        stripped = part.rstrip(" \t")
        trailing += len(stripped) - len(stripped.rstrip("\n"))
        if stripped.strip("\n"):
            break
    if parts and trailing < count:
        parts.append("\n" * (count - trailing))
