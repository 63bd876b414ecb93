"""The RSS/Atom adapter over real HTTP on 127.0.0.1, with real recorded feeds."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import yaml

from signals.replay import ReplayServer, Route
from sources import Cursor, HttpClient, HttpSettings, ParseError
from sources.rss import RssSource
from tests.conftest import FIXTURES

RSS_ATOM = FIXTURES / "rss_atom"


def _client() -> HttpClient:
    return HttpClient(HttpSettings(allow_hosts=frozenset({"127.0.0.1"})))


def _reddit_atom() -> tuple[bytes, str]:
    cassette = yaml.safe_load(
        (FIXTURES / "community_rss" / "test_subreddit_atom_minscore.yaml").read_text()
    )
    response = cassette["interactions"][0]["response"]
    return response["body"]["string"].encode(), response["headers"]["Content-Type"]


def test_reddit_atom_feed_yields_every_entry_with_author_time_and_text(
    replay: ReplayServer,
) -> None:
    body, content_type = _reddit_atom()
    replay.routes["/r/thinkpad/top/.rss"] = Route(body=body, content_type=content_type)
    with _client() as http:
        result = RssSource(replay.url("/r/thinkpad/top/.rss")).fetch(http, Cursor())
    assert [p.external_id for p in result.posts] == [
        "t3_shueto",
        "t3_sfef2f",
        "t3_sfkomk",
        "t3_sf696u",
        "t3_sewu49",
    ]
    post = result.posts[3]
    assert post.title == "Whats the best used ThinkPad for Windows 11?"
    assert post.author == "/u/t3chn3rd86"
    assert post.author_url == "https://www.reddit.com/user/t3chn3rd86"
    first = result.posts[0]
    assert first.author == "/u/KasaneTeto_"
    assert first.published == datetime(2022, 2, 1, 13, 0, 44, tzinfo=UTC)
    assert first.text == "submitted by /u/KasaneTeto_\n[link] [comments]"
    assert first.url == "https://www.reddit.com/r/thinkpad/comments/shueto/_/"
    assert first.community == "top scoring links : thinkpad"
    assert all(p.published is not None and p.published.tzinfo is UTC for p in result.posts)
    assert "<" not in "".join(p.text for p in result.posts)


def test_rss2_entry_without_guid_gets_a_stable_content_hash_id(replay: ReplayServer) -> None:
    body = (RSS_ATOM / "rss2.0noNSwithModules.xml").read_bytes()
    replay.routes["/feed.xml"] = Route(body=body)
    with _client() as http:
        first = RssSource(replay.url("/feed.xml")).fetch(http, Cursor())
        second = RssSource(replay.url("/feed.xml")).fetch(http, Cursor())
    (post,) = first.posts
    assert post.external_id.startswith("sha256:")
    assert post.external_id == second.posts[0].external_id
    assert post.title == "Test Item - RSS 2.0 no NS"
    assert post.published == datetime(2002, 9, 28, 20, 1, 19, tzinfo=UTC)
    assert post.text.startswith("This is a fairly standard RSS 2.0 feed, it uses a few modules")


def test_atom_threading_links_a_comment_to_its_parent(replay: ReplayServer) -> None:
    replay.routes["/comments.xml"] = Route(
        body=(RSS_ATOM / "atomthreadingwithentry.xml").read_bytes()
    )
    with _client() as http:
        (post,) = RssSource(replay.url("/comments.xml")).fetch(http, Cursor()).posts
    assert post.parent_id == "tag:blogger.com,1999:blog-893591374313312737.post-3861663258538857954"
    assert post.thread_url == "http://salmon-test.blogspot.com/2009/10/test-post.html"
    assert post.author == "John"  # never the e-mail address feedparser appends
    assert post.author_url == "http://www.blogger.com/profile/12344017489797258795"
    assert post.text == "bloffo bliff by te..."
    assert post.published == datetime(2009, 12, 9, 0, 59, 2, tzinfo=UTC)


def test_conditional_get_sends_validators_and_handles_304(replay: ReplayServer) -> None:
    replay.routes["/feed.xml"] = Route(body=(RSS_ATOM / "rss2.0withAtomNS.xml").read_bytes())
    source = RssSource(replay.url("/feed.xml"))
    with _client() as http:
        first = source.fetch(http, Cursor())
        second = source.fetch(http, first.cursor)
    assert len(first.posts) == 1
    assert first.cursor.etag == replay.routes["/feed.xml"].etag
    assert first.cursor.last_modified is not None
    assert second.not_modified
    assert second.posts == ()
    assert second.cursor == first.cursor
    conditional = replay.requests_to("/feed.xml")[1]
    assert conditional.headers["if-none-match"] == first.cursor.etag
    assert conditional.headers["if-modified-since"] == first.cursor.last_modified
    assert conditional.status == 304
    assert conditional.headers["user-agent"].startswith("buying-signals/")


def test_ill_formed_feed_without_entries_is_a_parse_error(replay: ReplayServer) -> None:
    replay.routes["/bad.xml"] = Route(body=(RSS_ATOM / "aaa_illformed.xml").read_bytes())
    with _client() as http, pytest.raises(ParseError, match="not a well-formed RSS or Atom feed"):
        RssSource(replay.url("/bad.xml")).fetch(http, Cursor())


def test_html_page_served_as_feed_names_the_feed_it_links(replay: ReplayServer) -> None:
    page = (
        b"<!DOCTYPE html><html><head><title>Forum</title>"
        b'<link rel="alternate" type="application/rss+xml" href="/latest.rss">'
        b"</head><body><p>Welcome</p></body></html>"
    )
    replay.routes["/"] = Route(body=page, content_type="text/html; charset=utf-8")
    with _client() as http, pytest.raises(ParseError) as raised:
        RssSource(replay.url("/")).fetch(http, Cursor())
    message = str(raised.value)
    assert "got an HTML page, not an RSS or Atom feed" in message
    assert f"the page links a feed at {replay.url('/latest.rss')}" in message


def test_feed_with_a_broken_tail_keeps_recovered_entries_with_a_warning(
    replay: ReplayServer,
) -> None:
    body = (RSS_ATOM / "rss2.0withAtomNS.xml").read_bytes()
    truncated = body[: body.index(b"</item>") + len(b"</item>")]  # cut mid-document
    replay.routes["/cut.xml"] = Route(body=truncated)
    with _client() as http:
        result = RssSource(replay.url("/cut.xml")).fetch(http, Cursor())
    assert [p.title for p in result.posts] == ["rsync and vfat | Geek at Play"]
    assert result.warnings and "not well-formed" in result.warnings[0]


def test_feedparser_is_never_given_a_url_or_path(replay: ReplayServer) -> None:
    # A body that is a file path must be parsed as (bad) feed bytes, never opened.
    replay.routes["/path"] = Route(body=str(RSS_ATOM / "rss2.0withAtomNS.xml").encode())
    with _client() as http, pytest.raises(ParseError):
        RssSource(replay.url("/path")).fetch(http, Cursor())
