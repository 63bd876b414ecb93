"""Stack Exchange API 2.3: a site's questions, by tag or search, with answers and comments."""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from sources.errors import (
    FetchError,
    HttpStatusError,
    RateLimitedError,
    SourceConfigError,
    SourceError,
)
from sources.http import HttpClient
from sources.jsonapi import (
    as_list,
    backfill_start,
    check_backfill,
    check_url,
    dump_position,
    expect_dict,
    from_epoch,
    get_json,
    load_position,
    replace_roots,
    text_or_none,
    with_query,
)
from sources.records import Cursor, FetchResult, Post
from sources.text import html_to_text

KEY_ENV = "STACKEXCHANGE_KEY"


@dataclass(frozen=True)
class StackExchangeSource:
    """Questions of one Stack Exchange site (optionally a tag or a search), newest first."""

    kind: ClassVar[str] = "stackexchange"

    site: str  # e.g. stackoverflow, superuser, softwarerecs
    tag: str | None = None
    search: str | None = None  # /search/advanced?q=...
    answers: bool = False  # also read the answers of new questions
    comments: bool = False  # also read the comments on new questions (and answers)
    key: str | None = None  # API key (more quota); default: $STACKEXCHANGE_KEY
    backfill_days: int = 7
    max_pages: int = 3  # pages of 100 questions per crawl
    api_url: str = "https://api.stackexchange.com/2.3"
    community: str | None = None  # label; default: the site name

    def __post_init__(self) -> None:
        if not self.site.strip() or "/" in self.site:
            raise SourceConfigError(f"stackexchange site must be a site name, got {self.site!r}")
        check_backfill(self.backfill_days, self.kind)
        check_url(self.api_url, "stackexchange api_url")

    @classmethod
    def for_target(cls, target: str, base_url: str | None) -> StackExchangeSource:
        site, _, rest = target.partition(":")
        preview = replace_roots(cls(site=site, backfill_days=0), api_url=base_url)
        if rest.startswith("search:"):
            return dataclasses.replace(preview, search=rest.removeprefix("search:"))
        return dataclasses.replace(preview, tag=rest or None)

    def fetch(self, http: HttpClient, cursor: Cursor) -> FetchResult:
        state = load_position(cursor.position)
        since = state.get("since")
        if not isinstance(since, int):
            since = backfill_start(http.clock.now(), self.backfill_days)
        questions: list[dict[str, Any]] = []
        warnings: list[str] = []
        for page in range(1, self.max_pages + 1):
            body = self._call(http, self._questions_path(), {"fromdate": since + 1, "page": page})
            questions.extend(q for q in as_list(body.get("items")) if isinstance(q, dict))
            if not body.get("has_more"):
                break
        unique = {q.get("question_id"): q for q in reversed(questions)}  # pages may overlap
        questions = [q for q in reversed(unique.values()) if isinstance(q.get("question_id"), int)]
        posts = [p for p in (self._question(q) for q in questions) if p]
        ids = [str(q["question_id"]) for q in questions]
        answer_ids: list[str] = []
        if ids and self.answers:
            for answer in self._vector(http, "questions/{ids}/answers", ids):
                post = self._answer(answer)
                if post:
                    posts.append(post)
                    answer_ids.append(post.external_id.removeprefix("a"))
        if ids and self.comments:
            for comment in self._vector(http, "posts/{ids}/comments", ids + answer_ids):
                post = self._comment(comment)
                if post:
                    posts.append(post)
        times = [q.get("creation_date") for q in questions]
        newest = max((t for t in times if isinstance(t, int)), default=since)
        position = dump_position({"since": max(int(newest), since)})
        return FetchResult(tuple(posts), Cursor(position=position), warnings=tuple(warnings))

    def recheck(self, http: HttpClient, external_ids: Sequence[str]) -> set[str]:
        """Questions, answers and comments the API no longer returns (deleted)."""
        posts = [i for i in external_ids if i[:1] in ("q", "a") and i[1:].isdigit()]
        comments = [i for i in external_ids if i.startswith("c") and i[1:].isdigit()]
        present: set[str] = set()
        for item in self._vector(http, "posts/{ids}", [i[1:] for i in posts]):
            kind = "a" if item.get("post_type") == "answer" else "q"
            present.add(f"{kind}{item.get('post_id')}")
        for item in self._vector(http, "comments/{ids}", [i[1:] for i in comments]):
            present.add(f"c{item.get('comment_id')}")
        return {i for i in [*posts, *comments] if i not in present}

    def _questions_path(self) -> str:
        return "search/advanced" if self.search else "questions"

    def _call(self, http: HttpClient, path: str, params: dict[str, Any]) -> dict[str, Any]:
        """One API call; honours `backoff` and a spent `quota_remaining` for later calls."""
        query = {
            "site": self.site,
            "sort": "creation",
            "order": "desc",
            "pagesize": 100,
            "filter": "withbody",
            "tagged": self.tag if path == self._questions_path() else None,
            "q": self.search if path == "search/advanced" else None,
            "key": self.key or os.environ.get(KEY_ENV) or None,
            **params,
        }
        url = with_query(f"{self.api_url.rstrip('/')}/{path}", query)
        try:
            body = expect_dict(get_json(http, url), "a Stack Exchange response", url)
        except HttpStatusError as exc:
            raise _api_error(http, exc, url) from None
        now = http.clock.now()
        backoff = body.get("backoff")
        if isinstance(backoff, int | float) and backoff > 0:
            # The API's own rule: no further call of this kind before `backoff` seconds.
            http.hold(url, now + float(backoff), "Stack Exchange backoff")
        quota = body.get("quota_remaining")
        if isinstance(quota, int) and quota <= 0:
            midnight = datetime.fromtimestamp(now, UTC).replace(
                hour=0, minute=0, second=0, microsecond=0
            ) + timedelta(days=1)
            http.hold(url, midnight.timestamp(), "Stack Exchange daily quota spent")
            if not as_list(body.get("items")):
                raise RateLimitedError(
                    "Stack Exchange daily quota is spent; it resets at midnight UTC "
                    f"(set an API key with key = ... or ${KEY_ENV} for a larger quota)",
                    url,
                    retry_at=midnight.timestamp(),
                )
        return body

    def _vector(self, http: HttpClient, path: str, ids: list[str]) -> list[dict[str, Any]]:
        """Items of a vectorised method, at most 100 ids per call."""
        found: list[dict[str, Any]] = []
        for start in range(0, len(ids), 100):
            chunk = ";".join(ids[start : start + 100])
            body = self._call(http, path.format(ids=chunk), {"sort": "creation", "order": "asc"})
            found.extend(i for i in as_list(body.get("items")) if isinstance(i, dict))
        return found

    def _community(self) -> str:
        return self.community or self.site

    def _question(self, item: dict[str, Any]) -> Post | None:
        number = item.get("question_id")
        if not isinstance(number, int):
            return None
        title = html_to_text(item["title"]) if isinstance(item.get("title"), str) else None
        body = html_to_text(item["body"]) if isinstance(item.get("body"), str) else ""
        link = text_or_none(item.get("link"))
        author, author_url = _owner(item)
        return Post(
            source=self.kind,
            external_id=f"q{number}",
            text=body or title or "",
            url=link,
            thread_url=link,
            author=author,
            author_url=author_url,
            title=title,
            published=from_epoch(item.get("creation_date")),
            community=self._community(),
        )

    def _answer(self, item: dict[str, Any]) -> Post | None:
        number, question = item.get("answer_id"), item.get("question_id")
        if not isinstance(number, int) or not isinstance(question, int):
            return None
        author, author_url = _owner(item)
        site = self._site_url(item)
        return Post(
            source=self.kind,
            external_id=f"a{number}",
            text=html_to_text(item["body"]) if isinstance(item.get("body"), str) else "",
            url=f"{site}/a/{number}" if site else None,
            thread_url=f"{site}/q/{question}" if site else None,
            parent_id=f"q{question}",
            author=author,
            author_url=author_url,
            published=from_epoch(item.get("creation_date")),
            community=self._community(),
        )

    def _comment(self, item: dict[str, Any]) -> Post | None:
        number, parent = item.get("comment_id"), item.get("post_id")
        if not isinstance(number, int) or not isinstance(parent, int):
            return None
        author, author_url = _owner(item)
        kind = "a" if item.get("post_type") == "answer" else "q"
        return Post(
            source=self.kind,
            external_id=f"c{number}",
            text=html_to_text(item["body"]) if isinstance(item.get("body"), str) else "",
            url=text_or_none(item.get("link")),
            parent_id=f"{kind}{parent}",
            author=author,
            author_url=author_url,
            published=from_epoch(item.get("creation_date")),
            community=self._community(),
        )

    def _site_url(self, item: dict[str, Any]) -> str | None:
        owner_link = text_or_none((item.get("owner") or {}).get("link"))
        if owner_link and "/users/" in owner_link:
            return owner_link.split("/users/", 1)[0]
        return None


def _owner(item: dict[str, Any]) -> tuple[str | None, str | None]:
    owner = item.get("owner") if isinstance(item.get("owner"), dict) else {}
    assert isinstance(owner, dict)
    name = owner.get("display_name")
    author = html_to_text(name) if isinstance(name, str) and name else None
    return author, text_or_none(owner.get("link"))


_AVAILABLE_IN = re.compile(r"available in (\d+) seconds")


def _api_error(http: HttpClient, exc: HttpStatusError, url: str) -> SourceError:
    """The API's own error (JSON with error_name and error_message) as our error, or exc."""
    try:
        error = json.loads(exc.body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return exc
    if not isinstance(error, dict) or not isinstance(error.get("error_message"), str):
        return exc
    name, message = error.get("error_name"), error["error_message"]
    if name == "throttle_violation":
        wait = _AVAILABLE_IN.search(message)
        until = http.clock.now() + (int(wait.group(1)) if wait else 3600)
        http.hold(url, until, "Stack Exchange throttle")
        return RateLimitedError(f"Stack Exchange throttled us: {message}", url, retry_at=until)
    if name in ("bad_parameter", "key_invalid", "access_token_invalid"):
        return SourceConfigError(f"Stack Exchange refused a setting: {message}", url)
    return FetchError(f"Stack Exchange error {exc.status} ({name}): {message}", url)
