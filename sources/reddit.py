"""Reddit through PRAW: a subreddit's new posts and comments, a search, or one submission.

PRAW talks through `requests`, not our httpx client, so it gets a session that does what the
client does: the SSRF guard on every URL (allow_hosts honoured), no redirects followed blindly,
per-host pacing with Reddit's x-ratelimit-* budget and Retry-After, and the body cap.
"""

from __future__ import annotations

import dataclasses
import os
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlsplit

from sources.errors import (
    BodyTooLargeError,
    ConnectionFailedError,
    DeadlineError,
    FetchError,
    HttpStatusError,
    ParseError,
    SourceConfigError,
    SourceError,
)
from sources.http import HttpClient, host_of
from sources.jsonapi import (
    backfill_start,
    check_backfill,
    check_url,
    dump_position,
    from_epoch,
    load_position,
    replace_roots,
)
from sources.ratelimit import budget_exhausted_until, retry_after
from sources.records import Cursor, FetchResult, Post
from sources.text import normalise_whitespace

SITE = "https://www.reddit.com"
GONE = frozenset({"[deleted]", "[removed]"})
_SUBMISSION_URL = re.compile(r"/comments/([a-z0-9]+)", re.IGNORECASE)


@dataclass(frozen=True)
class RedditSource:
    """A subreddit (new posts and comments), a search, or one submission with all comments."""

    kind: ClassVar[str] = "reddit"

    subreddit: str | None = None  # name without r/; with `search`, restricts the search
    search: str | None = None  # a search query (newest first)
    submission: str | None = None  # a submission id or URL: the post and all its comments
    comments: bool = True  # with `subreddit`: also the subreddit's new comments
    limit: int = 100  # items per listing request (Reddit's maximum is 100)
    backfill_days: int = 7
    client_id: str | None = None  # default: $REDDIT_CLIENT_ID
    client_secret: str | None = None  # default: $REDDIT_CLIENT_SECRET
    oauth_url: str = "https://oauth.reddit.com"
    reddit_url: str = "https://www.reddit.com"

    def __post_init__(self) -> None:
        if not (self.subreddit or self.search or self.submission):
            raise SourceConfigError("reddit needs subreddit, search or submission")
        if self.submission and (self.subreddit or self.search):
            raise SourceConfigError("reddit submission cannot be combined with subreddit/search")
        if not 1 <= self.limit <= 100:
            raise SourceConfigError(f"reddit limit must be 1 to 100, got {self.limit}")
        check_backfill(self.backfill_days, self.kind)
        check_url(self.oauth_url, "reddit oauth_url")
        check_url(self.reddit_url, "reddit reddit_url")

    def __repr__(self) -> str:  # never show the secret in logs or errors
        target = self.submission or self.search or self.subreddit
        return f"RedditSource({target!r})"

    @classmethod
    def for_target(cls, target: str, base_url: str | None) -> RedditSource:
        preview = replace_roots(
            cls(subreddit="-", backfill_days=0), oauth_url=base_url, reddit_url=base_url
        )
        match = _SUBMISSION_URL.search(target)
        if target.startswith("comments:") or (match and "://" in target):
            submission = match.group(1) if match else target.removeprefix("comments:")
            return dataclasses.replace(preview, subreddit=None, submission=submission)
        if target.startswith("search:"):
            return dataclasses.replace(preview, subreddit=None, search=target[len("search:") :])
        return dataclasses.replace(preview, subreddit=target.removeprefix("r/").strip("/"))

    def fetch(self, http: HttpClient, cursor: Cursor) -> FetchResult:
        state = load_position(cursor.position)
        since = state.get("since")
        if not isinstance(since, int | float):
            # A submission asked for by id is read whole the first time, however old.
            since = 0 if self.submission else backfill_start(http.clock.now(), self.backfill_days)
        with _reddit_errors():
            posts, latest = self._read(self._reddit(http), state, float(since))
        newest = max((p.published.timestamp() for p in posts if p.published), default=since)
        position = {**state, **latest, "since": max(float(newest), float(since))}
        return FetchResult(tuple(posts), Cursor(position=dump_position(position)))

    def recheck(self, http: HttpClient, external_ids: Sequence[str]) -> set[str]:
        """Posts and comments Reddit shows as [deleted] / [removed], or no longer returns."""
        wanted = [i for i in external_ids if i.startswith(("t1_", "t3_"))]
        present: set[str] = set()
        gone: set[str] = set()
        with _reddit_errors():
            reddit = self._reddit(http)
            for start in range(0, len(wanted), 100):
                for item in reddit.info(fullnames=wanted[start : start + 100]):
                    post = to_post(item)
                    if post is None:
                        continue
                    present.add(post.external_id)
                    if is_gone(post, item):
                        gone.add(post.external_id)
        return gone | {i for i in wanted if i not in present}

    def _reddit(self, http: HttpClient) -> Any:
        import praw

        client_id = self.client_id or os.environ.get("REDDIT_CLIENT_ID")
        secret = self.client_secret or os.environ.get("REDDIT_CLIENT_SECRET")
        if not client_id or not secret:
            raise SourceConfigError(
                "reddit needs API credentials: set REDDIT_CLIENT_ID and REDDIT_CLIENT_SECRET "
                "(a 'script' app at https://www.reddit.com/prefs/apps), or client_id and "
                "client_secret in the source's settings"
            )
        for url in (self.oauth_url, self.reddit_url):
            _check_address(http, url)  # refuse before PRAW sends anything there
        return praw.Reddit(
            client_id=client_id,
            client_secret=secret,
            user_agent=http.settings.user_agent,
            oauth_url=self.oauth_url.rstrip("/"),
            reddit_url=self.reddit_url.rstrip("/"),
            requestor_kwargs={"session": guarded_session(http)},
            check_for_updates=False,
            check_for_async=False,
            timeout=int(http.settings.read_timeout),
        )

    def _read(
        self, reddit: Any, state: dict[str, Any], since: float
    ) -> tuple[list[Post], dict[str, Any]]:
        """Posts newer than the cursor, and the newest fullname of each listing read."""
        if self.submission:
            submission = reddit.submission(id=self.submission)
            submission.comments.replace_more(limit=None)  # expand every "more comments"
            items = [submission, *submission.comments.list()]
            return _posts(items, since), {}
        latest: dict[str, Any] = {}
        listings: list[tuple[str, Any]] = []
        if self.search:
            where = reddit.subreddit(self.subreddit or "all")
            query = self.search
            listings.append(
                ("search", lambda p: where.search(query, sort="new", limit=self.limit, params=p))
            )
        else:
            sub = reddit.subreddit(self.subreddit)
            listings.append(("new", lambda p: sub.new(limit=self.limit, params=p)))
            if self.comments:
                listings.append(("comments", lambda p: sub.comments(limit=self.limit, params=p)))
        posts: list[Post] = []
        for name, listing in listings:
            before = state.get(name)
            # `before` asks Reddit only for items newer than the newest one already read.
            items = list(listing({"before": before} if isinstance(before, str) else {}))
            if items:
                latest[name] = items[0].fullname
            posts.extend(_posts(items, since))
        return posts, latest


@contextmanager
def _reddit_errors() -> Iterator[None]:
    """PRAW's and prawcore's exceptions as our SourceError tree."""
    import prawcore

    try:
        yield
    except prawcore.exceptions.ResponseException as exc:
        raise HttpStatusError(exc.response.status_code, str(exc.response.url)) from None
    except prawcore.exceptions.RequestException as exc:
        original = exc.original_exception
        if isinstance(original, SourceError):
            raise original from None
        raise ConnectionFailedError(f"Reddit request failed: {original}") from None
    except prawcore.exceptions.PrawcoreException as exc:
        raise FetchError(f"Reddit refused the request: {exc}") from None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ParseError(f"unexpected Reddit response: {type(exc).__name__}: {exc}") from None


def _posts(items: list[Any], since: float) -> list[Post]:
    posts = []
    for item in items:
        post = to_post(item)
        if post is not None and (post.published is None or post.published.timestamp() > since):
            posts.append(post)
    return posts


def to_post(item: Any) -> Post | None:
    """A PRAW Submission or Comment as a Post, read from what was fetched (no lazy requests)."""
    data = vars(item)
    ident = data.get("id")
    if not isinstance(ident, str):
        return None
    author = data.get("author")
    author_name = str(author) if author is not None else None
    if author_name in GONE:
        author_name = None
    permalink = data.get("permalink")
    url = f"{SITE}{permalink}" if isinstance(permalink, str) else None
    subreddit = data.get("subreddit")
    community = f"r/{subreddit}" if subreddit is not None else None
    from praw.models import Comment

    if isinstance(item, Comment):
        link = data.get("link_id")
        thread = f"{SITE}/comments/{str(link).removeprefix('t3_')}/" if link else None
        body = str(data.get("body") or "")
        return Post(
            source=RedditSource.kind,
            external_id=f"t1_{ident}",
            text="" if body in GONE else normalise_whitespace(body),
            url=url,
            thread_url=thread,
            parent_id=str(data["parent_id"]) if data.get("parent_id") else None,
            author=author_name,
            author_url=f"{SITE}/user/{author_name}" if author_name else None,
            published=from_epoch(data.get("created_utc")),
            community=community,
        )
    selftext = str(data.get("selftext") or "")
    title = normalise_whitespace(str(data.get("title") or "")) or None
    link_url = data.get("url") if not data.get("is_self") else None
    text = "" if selftext in GONE else normalise_whitespace(selftext)
    return Post(
        source=RedditSource.kind,
        external_id=f"t3_{ident}",
        text=text or (str(link_url) if link_url else "") or title or "",
        url=url,
        thread_url=url,
        author=author_name,
        author_url=f"{SITE}/user/{author_name}" if author_name else None,
        title=title,
        published=from_epoch(data.get("created_utc")),
        community=community,
    )


def is_gone(post: Post, item: Any) -> bool:
    """Whether Reddit shows this post as deleted or removed."""
    data = vars(item)
    body = str(data.get("body", data.get("selftext")) or "")
    author = data.get("author")
    return body in GONE or ((author is None or str(author) in GONE) and not post.text)


def _check_address(http: HttpClient, url: str) -> None:
    http.guard.check_url(url)
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    http.guard.resolve(parts.hostname or "", port)


def guarded_session(http: HttpClient) -> Any:
    """A requests.Session that checks, paces and caps every request like our HttpClient."""
    import requests

    class GuardedSession(requests.Session):
        def request(self, method: Any, url: Any, *args: Any, **kwargs: Any) -> Any:
            target = url.decode() if isinstance(url, bytes) else url
            _check_address(http, target)
            kwargs["allow_redirects"] = False  # PRAW reports redirects; never follow unchecked
            kwargs["stream"] = True
            host = host_of(target)
            with http.pacer.slot(host, target):
                deadline = time.monotonic() + http.settings.total_timeout
                response = super().request(method, target, *args, **kwargs)
                _read_capped(response, http.settings.max_body_bytes, target, deadline)
                now = http.clock.now()
                spent = budget_exhausted_until(response.headers, now)
                if spent is not None:
                    http.pacer.hold(host, spent, "Reddit rate-limit budget spent")
                if response.status_code == 429 or response.status_code >= 500:
                    http.pacer.failed(host)
                    later = retry_after(response.headers, now)
                    if later is not None:
                        http.pacer.hold(host, later, "Retry-After")
                else:
                    http.pacer.succeeded(host)
            return response

    session = GuardedSession()
    session.trust_env = False  # no proxies or netrc from the environment
    return session


def _read_capped(response: Any, cap: int, url: str, deadline: float) -> None:
    """Read the body under the same size cap and total deadline as our own client."""
    chunks, size = [], 0
    for chunk in response.iter_content(65536):
        size += len(chunk)
        if size > cap:
            response.close()
            raise BodyTooLargeError(f"body larger than {cap} bytes after decompression", url)
        if time.monotonic() > deadline:
            response.close()
            raise DeadlineError("response not complete within the total deadline", url)
        chunks.append(chunk)
    response._content = b"".join(chunks)
