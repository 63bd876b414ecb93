#!/usr/bin/env python3
"""Render the bundled demo posts into RSS 2.0 / Atom 1.0 feeds for ``signals demo``.

Input:  signals/demo_data/posts.jsonl   (real posts; see signals/demo_data/PROVENANCE.md)
Output: signals/demo_data/feeds/<slug>.rss | <slug>.atom   (one feed per community)
        signals/demo_data/feeds/index.json                (every feed file, incl. recorded ones)

Only the feed wrapping is added: title, author, time and URL are copied from posts.jsonl, and the
post text is only HTML-escaped and split into <p> paragraphs (blank line = new paragraph, single
newline = <br/>). Nothing is invented. The output depends on posts.jsonl alone (no clock, no
randomness), so running the script twice gives byte-identical files.

Files listed in RECORDED (real feeds captured from the live service, copied verbatim) are never
written or deleted by this script; they are only listed in index.json.

Standard library only. Usage: python scripts/build_demo_feeds.py [--check]
  --check  rebuild in memory and exit 1 if any file on disk differs (for CI / tests).
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
import xml.etree.ElementTree as ET
from collections import OrderedDict
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "signals" / "demo_data"
POSTS = DEMO / "posts.jsonl"
FEEDS = DEMO / "feeds"

DC_NS = "http://purl.org/dc/elements/1.1/"
ATOM_NS = "http://www.w3.org/2005/Atom"

# Communities rendered as Atom 1.0 instead of RSS 2.0, so that both parsers paths are exercised.
ATOM_COMMUNITIES = {"r/Database", "genai.stackexchange.com"}

# Real recorded feeds kept verbatim next to the generated ones (see PROVENANCE.md).
RECORDED = [
    OrderedDict(
        file="reddit_thinkpad_top_week.recorded.atom",
        title="top scoring links : thinkpad (real Reddit .rss response, recorded 2022-02-03)",
        community="r/thinkpad",
        format="atom",
        content_type="application/atom+xml; charset=UTF-8",
        generated=False,
        source=(
            "liskin/liscopridge tests/app/cassettes/test_reddit/test_subreddit_atom_minscore.yaml, "
            "response body of GET https://www.reddit.com/r/thinkpad/top/.rss?limit=100&sort=top&t=week"
        ),
    )
]

GENERATED_SUFFIXES = (".rss", ".atom")


def slug(community: str) -> str:
    """'r/networking' -> 'reddit_networking', 'news.ycombinator.com (ask)' -> 'hn_ask'."""
    c = community.strip()
    if c.startswith("r/"):
        return "reddit_" + re.sub(r"[^A-Za-z0-9]+", "_", c[2:]).strip("_").lower()
    m = re.fullmatch(r"news\.ycombinator\.com \((\w+)\)", c)
    if m:
        return "hn_" + m.group(1).lower()
    if c.endswith(".stackexchange.com"):
        return c[: -len(".stackexchange.com")].replace(".", "_") + "_stackexchange"
    return re.sub(r"[^A-Za-z0-9]+", "_", c).strip("_").lower()


def community_link(community: str) -> str:
    if community.startswith("r/"):
        return f"https://www.reddit.com/{community}/"
    m = re.fullmatch(r"news\.ycombinator\.com \((\w+)\)", community)
    if m:
        return {"new": "https://news.ycombinator.com/newest"}.get(
            m.group(1), f"https://news.ycombinator.com/{m.group(1)}"
        )
    if community.endswith(".stackexchange.com"):
        return f"https://{community}/"
    return "https://" + community + "/"


def parse_time(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def text_to_html(text: str) -> str:
    """Plain post text -> HTML: blank lines separate <p> paragraphs, newlines become <br/>."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = [p for p in re.split(r"\n[ \t]*\n", text) if p.strip()]
    parts = []
    for p in paragraphs:
        lines = [html.escape(line, quote=False) for line in p.strip("\n").split("\n")]
        parts.append("<p>" + "<br/>".join(lines) + "</p>")
    return "\n".join(parts)


def load_posts() -> OrderedDict[str, list[dict]]:
    by_comm: dict[str, list[dict]] = {}
    with POSTS.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            post = json.loads(line)
            for key in ("id", "title", "text", "community", "author", "published", "url"):
                if key not in post:
                    raise SystemExit(f"{POSTS}:{n}: missing field {key!r}")
            by_comm.setdefault(post["community"], []).append(post)
    ordered = OrderedDict()
    for comm in sorted(by_comm):
        # newest first, like a live feed; ties broken by id for determinism
        ordered[comm] = sorted(by_comm[comm], key=lambda p: (p["published"], p["id"]), reverse=True)
    return ordered


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrib: str) -> ET.Element:
    el = ET.SubElement(parent, tag, attrib)
    if text is not None:
        el.text = text
    return el


def feed_title(community: str) -> str:
    return f"{community}: bundled demo posts"


def render_rss(community: str, posts: list) -> bytes:
    ET.register_namespace("dc", DC_NS)
    rss = ET.Element("rss", {"version": "2.0"})
    ch = _sub(rss, "channel")
    _sub(ch, "title", feed_title(community))
    _sub(ch, "link", community_link(community))
    _sub(
        ch,
        "description",
        f"Real posts from {community}, served by `signals demo` (see PROVENANCE.md).",
    )
    _sub(ch, "language", "en")
    _sub(ch, "generator", "scripts/build_demo_feeds.py")
    if posts:
        _sub(
            ch,
            "lastBuildDate",
            format_datetime(max(parse_time(p["published"]) for p in posts), usegmt=True),
        )
    for p in posts:
        item = _sub(ch, "item")
        _sub(item, "guid", p["id"], isPermaLink="false")
        _sub(item, "title", p["title"])
        _sub(item, "link", p["url"])
        _sub(item, "description", text_to_html(p["text"]))
        _sub(item, f"{{{DC_NS}}}creator", p["author"])
        _sub(item, "pubDate", format_datetime(parse_time(p["published"]), usegmt=True))
        _sub(item, "category", community)
    return _serialize(rss)


def render_atom(community: str, posts: list) -> bytes:
    ET.register_namespace("", ATOM_NS)
    A = lambda tag: f"{{{ATOM_NS}}}{tag}"  # noqa: E731
    feed = ET.Element(A("feed"))
    _sub(feed, A("id"), community_link(community))
    _sub(feed, A("title"), feed_title(community))
    _sub(
        feed,
        A("subtitle"),
        f"Real posts from {community}, served by `signals demo` (see PROVENANCE.md).",
    )
    _sub(feed, A("link"), rel="alternate", type="text/html", href=community_link(community))
    _sub(feed, A("generator"), "scripts/build_demo_feeds.py")
    if posts:
        _sub(feed, A("updated"), max(p["published"] for p in posts))
    for p in posts:
        e = _sub(feed, A("entry"))
        _sub(e, A("id"), p["id"])
        _sub(e, A("title"), p["title"])
        _sub(e, A("link"), rel="alternate", type="text/html", href=p["url"])
        author = _sub(e, A("author"))
        _sub(author, A("name"), p["author"])
        _sub(e, A("published"), p["published"])
        _sub(e, A("updated"), p["published"])
        _sub(e, A("category"), term=community)
        _sub(e, A("content"), text_to_html(p["text"]), type="html")
    return _serialize(feed)


def _serialize(root: ET.Element) -> bytes:
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def build() -> OrderedDict[str, bytes]:
    """Return {filename: bytes} for every file this script owns."""
    out: OrderedDict[str, bytes] = OrderedDict()
    index = []
    for community, posts in load_posts().items():
        fmt = "atom" if community in ATOM_COMMUNITIES else "rss"
        name = f"{slug(community)}.{fmt}"
        if name in out:
            raise SystemExit(f"two communities map to {name}")
        out[name] = render_atom(community, posts) if fmt == "atom" else render_rss(community, posts)
        index.append(
            OrderedDict(
                file=name,
                title=feed_title(community),
                community=community,
                format=fmt,
                content_type="application/atom+xml; charset=utf-8"
                if fmt == "atom"
                else "application/rss+xml; charset=utf-8",
                entries=len(posts),
                generated=True,
            )
        )
    for rec in RECORDED:
        if not (FEEDS / rec["file"]).is_file():
            raise SystemExit(f"recorded feed missing: {FEEDS / rec['file']}")
        index.append(rec)
    out["index.json"] = (json.dumps({"feeds": index}, indent=2, ensure_ascii=False) + "\n").encode(
        "utf-8"
    )
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="verify files on disk are up to date")
    args = ap.parse_args(argv)
    files = build()
    recorded = {r["file"] for r in RECORDED}
    stale = sorted(
        p.name
        for p in FEEDS.glob("*")
        if p.is_file()
        and p.suffix in GENERATED_SUFFIXES
        and p.name not in files
        and p.name not in recorded
    )
    if args.check:
        bad = [
            n
            for n, data in files.items()
            if not (FEEDS / n).is_file() or (FEEDS / n).read_bytes() != data
        ]
        if bad or stale:
            print("out of date:", ", ".join(bad + stale), file=sys.stderr)
            return 1
        print(f"ok: {len(files)} files up to date")
        return 0
    FEEDS.mkdir(parents=True, exist_ok=True)
    for name in stale:
        (FEEDS / name).unlink()
    for name, data in files.items():
        (FEEDS / name).write_bytes(data)
    print(
        f"wrote {len(files)} files to {FEEDS.relative_to(ROOT)}"
        + (f" (removed stale: {', '.join(stale)})" if stale else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
