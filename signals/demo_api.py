"""Demo slices in the API shapes the reddit and discourse adapters read, from the real posts.

The posts (text, title, author, time, id, permalink) are the bundled real ones; only the JSON
envelope is generated here, in the shape the live APIs answer (a Reddit `/r/SUB/new` Listing of
`t3` things as PRAW reads it; a Discourse `/latest.json` topic list and one `/t/ID.json` per
topic). Deterministic: the same posts.jsonl gives byte-identical bodies.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from signals.replay import Route

JSON = "application/json; charset=utf-8"
# Which communities the demo serves through which adapter instead of as an RSS feed.
REDDIT_COMMUNITY = "r/nonprofit"
DISCOURSE_COMMUNITY = "news.ycombinator.com (ask)"
DISCOURSE_ROOT = "/forum"  # the demo forum lives under this path of the demo server


@dataclass(frozen=True)
class ApiSlice:
    """Posts of one community served in one adapter's API shape."""

    kind: str  # "reddit" or "discourse"
    community: str
    posts: tuple[dict[str, Any], ...]

    @property
    def name(self) -> str:
        return f"{self.community}: bundled demo posts via the {self.kind} API"


def api_slices(posts_file: Path) -> list[ApiSlice]:
    """The demo's API slices, newest post first, like the live listings."""
    rows = [json.loads(line) for line in posts_file.read_text("utf-8").splitlines() if line]
    rows.sort(key=lambda p: (p["published"], p["id"]), reverse=True)
    return [
        ApiSlice(kind, community, tuple(p for p in rows if p["community"] == community))
        for kind, community in (("reddit", REDDIT_COMMUNITY), ("discourse", DISCOURSE_COMMUNITY))
    ]


def routes(slices: list[ApiSlice]) -> dict[str, Route]:
    """Every path the adapters ask for, answered with its generated body."""
    served: dict[str, Route] = {}
    for piece in slices:
        if piece.kind == "reddit":
            served.update(_reddit_routes(piece))
        else:
            served.update(_discourse_routes(piece))
    return served


def source_lines(piece: ApiSlice, root: str) -> list[str]:
    """The `[[sources]]` table that points the slice's adapter at the demo server."""
    lines = ["[[sources]]", f"name = {json.dumps(piece.name)}", f'kind = "{piece.kind}"']
    if piece.kind == "reddit":
        lines += [
            f'subreddit = "{piece.community.removeprefix("r/")}"',
            "comments = false",
            # PRAW wants an app's credentials; the demo server accepts these and nothing leaves
            # 127.0.0.1.
            'client_id = "demo"',
            'client_secret = "demo"',
            f"oauth_url = {json.dumps(root)}",
            f"reddit_url = {json.dumps(root)}",
        ]
    else:
        lines += [
            f"url = {json.dumps(root + DISCOURSE_ROOT)}",
            f"community = {json.dumps(piece.community)}",
        ]
    return [*lines, "backfill_days = 0", ""]  # the bundled posts are years old


def _reddit_routes(piece: ApiSlice) -> dict[str, Route]:
    sub = piece.community.removeprefix("r/")
    children = [{"kind": "t3", "data": _t3(post, sub)} for post in piece.posts]
    listing = {
        "kind": "Listing",
        "data": {
            "after": None,
            "dist": len(children),
            "modhash": "",
            "geo_filter": None,
            "children": children,
            "before": None,
        },
    }
    token = {"access_token": "demo", "token_type": "bearer", "expires_in": 86400, "scope": "*"}
    return {
        "/api/v1/access_token": _json(token),
        f"/r/{sub}/new": _json(listing),
    }


def _t3(post: dict[str, Any], sub: str) -> dict[str, Any]:
    ident = str(post["id"]).split("_", 1)[-1]  # "rt_fbc6t" -> "fbc6t", the Reddit id
    permalink = urlsplit(post["url"]).path
    return {
        "subreddit": sub,
        "selftext": post["text"],
        "author_fullname": None,
        "title": post["title"],
        "subreddit_name_prefixed": f"r/{sub}",
        "name": f"t3_{ident}",
        "id": ident,
        "author": post["author"],
        "permalink": permalink,
        "url": post["url"],
        "is_self": True,
        "created_utc": _epoch(post["published"]),
        "num_comments": 0,
        "over_18": False,
    }


def _discourse_routes(piece: ApiSlice) -> dict[str, Route]:
    topics, served = [], {}
    for post in piece.posts:
        ident = int(str(post["id"]).rsplit("_", 1)[-1])  # "hn_16491152": the HN item id
        slug = re.sub(r"[^a-z0-9]+", "-", post["title"].lower()).strip("-")[:80] or "topic"
        listed = {
            "id": ident,
            "title": post["title"],
            "fancy_title": html.escape(post["title"], quote=False),
            "slug": slug,
            "posts_count": 1,
            "reply_count": 0,
            "highest_post_number": 1,
            "created_at": _discourse_time(post["published"]),
            "last_posted_at": _discourse_time(post["published"]),
            "bumped": True,
            "bumped_at": _discourse_time(post["published"]),
            "archetype": "regular",
            "last_poster_username": post["author"],
            "category_id": 1,
            "posters": [{"extras": "latest single", "description": "Original Poster"}],
        }
        topics.append(listed)
        first = {
            "id": ident,
            "username": post["author"],
            "created_at": _discourse_time(post["published"]),
            "cooked": _cooked(post["text"]),
            "post_number": 1,
            "post_type": 1,
            "reply_to_post_number": None,
            "topic_id": ident,
            "topic_slug": slug,
            "hidden": False,
            "deleted_at": None,
            "user_deleted": False,
        }
        topic = {
            **{k: listed[k] for k in ("id", "title", "fancy_title", "slug", "posts_count")},
            "highest_post_number": 1,
            "created_at": listed["created_at"],
            "archetype": "regular",
            "category_id": 1,
            "post_stream": {"posts": [first], "stream": [ident]},
        }
        served[f"{DISCOURSE_ROOT}/t/{ident}.json"] = _json(topic)
    latest = {
        "users": [],
        "topic_list": {"can_create_topic": False, "per_page": 30, "topics": topics},
    }
    served[f"{DISCOURSE_ROOT}/latest.json"] = _json(latest)
    return served


def _cooked(text: str) -> str:
    """Plain text as Discourse's cooked HTML: blank lines make paragraphs, newlines <br>."""
    paragraphs = [p.strip("\n") for p in re.split(r"\n\s*\n", text) if p.strip()]
    return "\n".join(
        "<p>" + "<br>\n".join(html.escape(line, quote=False) for line in p.split("\n")) + "</p>"
        for p in paragraphs
    )


def _epoch(published: str) -> float:
    return datetime.fromisoformat(published.replace("Z", "+00:00")).timestamp()


def _discourse_time(published: str) -> str:
    return published.replace("Z", ".000Z")


def _json(value: Any) -> Route:
    body = json.dumps(value, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return Route(body=body, content_type=JSON)
