"""Posts out of one thread page: recognise the board, then read each post with its preset."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import soupsieve
from bs4 import BeautifulSoup, Tag
from dateutil import parser as dateparser

from sources.errors import ParseError
from sources.forums.presets import PRESETS, Preset, preset_names
from sources.text import html_to_text, normalise_whitespace

# Markers are tried in this order: vBulletin 4/5 pages also match vBulletin 3's marker.
_DETECTION_ORDER = (
    "xenforo2",
    "discourse",
    "vbulletin5",
    "vbulletin4",
    "vbulletin3",
    "phpbb",
    "nodebb",
    "askbot",
)
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_EPOCH = re.compile(r"^\d{9,13}$")
_RELATIVE_DAY = re.compile(r"\b(today|yesterday)\b", re.IGNORECASE)


@dataclass(frozen=True)
class PagePost:
    """One post as read from a page, before it becomes a sources.Post."""

    post_id: str
    author: str | None
    author_url: str | None
    published: datetime | None
    text: str
    url: str
    parent_id: str | None = None  # the post a comment sits under; None: the thread's first


@dataclass(frozen=True)
class Page:
    """What one thread page holds."""

    preset: str
    title: str | None
    site_name: str | None
    posts: tuple[PagePost, ...]
    next_url: str | None


def parse_page(
    body: bytes, url: str, preset: Preset | None = None, now: datetime | None = None
) -> Page:
    """Read a thread page; ParseError when the board is not recognised or no post is found."""
    soup = BeautifulSoup(body, "lxml")
    base = soup.find("base", href=True)
    if isinstance(base, Tag) and isinstance(base.get("href"), str):
        url = _join(url, str(base["href"]))  # relative links resolve against <base href>
    chosen = preset or detect(soup, body[:2_000_000].decode("utf-8", "replace").lower())
    if chosen is None:
        raise ParseError(
            "board software not recognised on this page; pass --preset NAME "
            f"(one of {preset_names()}) or configure post_selector/body_selector/author_selector",
            url,
        )
    posts = tuple(_read_posts(soup.select(chosen.post), chosen, url, now or datetime.now(UTC)))
    if not posts:
        raise ParseError(
            f"no {chosen.name} posts found on this page (selector {chosen.post!r})", url
        )
    return Page(
        preset=chosen.name,
        title=_title(soup),
        site_name=_meta(soup, "og:site_name"),
        posts=posts,
        next_url=_next_url(soup, chosen, url),
    )


def detect(soup: BeautifulSoup, text: str | None = None) -> Preset | None:
    """The preset whose generator tag or markup this page carries, or None."""
    generator = _meta(soup, "generator") or ""
    for name in _DETECTION_ORDER:
        prefix = PRESETS[name].generator
        if prefix and generator.lower().startswith(prefix.lower()):
            return PRESETS[name]
    for name in _DETECTION_ORDER:
        preset = PRESETS[name]
        if text is not None and preset.hints and not any(h in text for h in preset.hints):
            continue
        if preset.marker and soup.select_one(preset.marker) is not None:
            return preset
    return None


def _read_posts(
    elements: list[Tag], preset: Preset, page_url: str, now: datetime
) -> list[PagePost]:
    """Each post in page order, followed by the comments printed under it."""
    posts: list[PagePost] = []
    for element in elements:
        # Comments first: stripping the post's body may remove the markup they sit in.
        comments = (
            [
                comment
                for node in element.select(preset.comment.post)
                if (comment := _read_post(node, preset.comment, page_url, now)) is not None
            ]
            if preset.comment
            else []
        )
        post = _read_post(element, preset, page_url, now)
        if post is None:
            continue
        posts.append(post)
        posts.extend(replace(comment, parent_id=post.post_id) for comment in comments)
    return posts


def _read_post(element: Tag, preset: Preset, page_url: str, now: datetime) -> PagePost | None:
    raw_id = element.get(preset.post_id_attribute)
    match = re.search(preset.post_id_pattern, raw_id if isinstance(raw_id, str) else "")
    if match is None and preset.post_id_selector:
        holder = element.select_one(preset.post_id_selector)
        match = re.search(r"(\d+)", holder.get_text()) if holder is not None else None
    body = select_first(element, preset.body)
    if match is None or body is None:
        return None  # a lookalike element (e.g. vB3's post_thanks box), not a post
    author_element = select_first(element, preset.author)
    # Read everything outside the text before stripping: on Askbot the author block sits inside
    # the body and goes with the strip.
    author, author_url = _author_name(author_element), _author_url(author_element, page_url)
    published = post_time(element, preset, now)
    url = _permalink(element, preset, page_url, match.group(1))
    if preset.strip:
        for dropped in body.select(preset.strip):
            dropped.decompose()
    return PagePost(
        post_id=match.group(1),
        author=author,
        author_url=author_url,
        published=published,
        text=html_to_text(body.decode_contents()),
        url=url,
    )


def post_time(element: Tag, preset: Preset, now: datetime) -> datetime | None:
    """The post's time in UTC: machine-readable attributes first, then the board's text."""
    if preset.time_attribute:
        value = element.get(preset.time_attribute)
        if isinstance(value, str) and (moment := _machine_time(value.strip())):
            return moment
    candidates = [c for group in split_selectors(preset.time) for c in element.select(group)]
    for candidate in candidates:
        for attribute in ("datetime", "content", "data-time", "data-timestamp", "title"):
            value = candidate.get(attribute)
            if isinstance(value, str) and (moment := _machine_time(value.strip())):
                return moment
    for candidate in candidates:
        if moment := text_time(candidate.get_text(" "), now):
            return moment
    return None


def _machine_time(value: str) -> datetime | None:
    if _EPOCH.match(value):
        seconds = int(value) / (1000 if len(value) > 11 else 1)
        return datetime.fromtimestamp(seconds, tz=UTC)
    if _ISO.match(value):
        try:
            return _utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            return text_time(value, datetime.now(UTC))
    return None


def text_time(text: str, now: datetime) -> datetime | None:
    """A board-formatted date ("Sun May 26, 2019 4:34 pm", "Yesterday, 21:43"), read as UTC."""
    text = normalise_whitespace(text.replace("\n", " "))
    if "»" in text:  # phpBB: "by NAME » DATE"
        text = text.rsplit("»", 1)[1]
    day = _RELATIVE_DAY.search(text)
    if day:
        reference = now - timedelta(days=1 if day.group(1).lower() == "yesterday" else 0)
        text = _RELATIVE_DAY.sub(reference.strftime("%Y-%m-%d"), text)
    try:
        moment = dateparser.parse(text, fuzzy=True)
    except (ValueError, OverflowError):
        return None
    if moment.year < 1995 or not re.search(r"\d{4}|\d{1,2}:\d{2}", text):
        return None  # fuzzy parsing filled in a date from nothing
    return _utc(moment)


def _utc(moment: datetime) -> datetime:
    # Boards print naive times in the board's timezone, which the page does not state; UTC is
    # the honest default (a configured offset would be the fix for such a board).
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _author_name(element: Tag | None) -> str | None:
    if element is None:
        return None
    return normalise_whitespace(element.get_text(" ")) or None


def _author_url(element: Tag | None, page_url: str) -> str | None:
    if element is None:
        return None
    link = element if element.name == "a" else element.find_parent("a")
    if link is None:
        link = element.find("a")
    href = link.get("href") if isinstance(link, Tag) else None
    return _join(page_url, href) if isinstance(href, str) and href.strip() else None


def _permalink(element: Tag, preset: Preset, page_url: str, post_id: str) -> str:
    link = select_first(element, preset.permalink) if preset.permalink else None
    href = link.get("href") if link is not None else None
    if isinstance(href, str) and href.strip():
        return _join(page_url, href)
    base = page_url.split("#", 1)[0]
    if preset.permalink_template:
        page = base.split("?", 1)[0].rstrip("/")
        return preset.permalink_template.format(page=page, id=post_id)
    anchor = element.get("id")
    return f"{base}#{anchor}" if isinstance(anchor, str) else base


def _next_url(soup: BeautifulSoup, preset: Preset, page_url: str) -> str | None:
    found = soup.select(preset.next_page)  # one walk; the earliest selector that matched wins
    for group in split_selectors(preset.next_page):
        compiled = _compiled(group)
        for link in found:
            href = link.get("href")
            usable = isinstance(href, str) and href.strip() and not href.startswith(("#", "java"))
            if usable and compiled.match(link):
                # A fragment never reaches the server; without it the page is recognised as
                # already visited (Askbot's next links end in #sort-top).
                return _join(page_url, str(href)).split("#", 1)[0]
    return None


def select_first(element: Tag, selectors: str) -> Tag | None:
    """The first match of the first selector in the list that matches anything."""
    groups = split_selectors(selectors)
    if len(groups) == 1:
        return element.select_one(groups[0])
    # One walk of the subtree for the whole list, then the earliest group that matched wins.
    found = element.select(selectors)
    for group in groups:
        compiled = _compiled(group)
        for candidate in found:
            if compiled.match(candidate):
                return candidate
    return None


@functools.lru_cache(maxsize=512)
def _compiled(selector: str) -> Any:
    return soupsieve.compile(selector)


def split_selectors(selectors: str) -> list[str]:
    """A comma-separated selector list, split outside brackets, parentheses and quotes."""
    parts: list[str] = []
    depth, quote, start = 0, "", 0
    for index, char in enumerate(selectors):
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(selectors[start:index].strip())
            start = index + 1
    parts.append(selectors[start:].strip())
    return [part for part in parts if part]


def _title(soup: BeautifulSoup) -> str | None:
    title = _meta(soup, "og:title")
    if title is None and soup.title is not None:
        title = soup.title.get_text(" ")
    return " ".join(title.split()) or None if title else None


def _meta(soup: BeautifulSoup, name: str) -> str | None:
    tag = soup.find("meta", attrs={"name": name}) or soup.find("meta", attrs={"property": name})
    content = tag.get("content") if isinstance(tag, Tag) else None
    return content.strip() if isinstance(content, str) and content.strip() else None


def _join(base: str, href: str) -> str:
    from urllib.parse import urljoin

    return urljoin(base, href.strip())
