"""HTML forum threads: real saved pages of each board software, read over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlmodel import col
from typer.testing import CliRunner

from signals import pipeline
from signals.cli import app
from signals.config import SourceConfig
from signals.replay import ReplayServer, Route
from signals.store import models as db
from sources import Cursor, HttpClient, HttpSettings, ParseError, SourceConfigError, build_source
from sources.forums import ForumSource
from sources.forums.extract import parse_page, text_time
from sources.robots import ROBOTS, RobotsDisallowedError, RobotsUnavailableError
from tests.conftest import FIXTURES

FORUMS = FIXTURES / "forums"
HTML = "text/html; charset=utf-8"
PHPBB_30 = FORUMS / "phpbb/ilovephilosophy_prosilver_3.0_page2.html"
PHPBB_32 = FORUMS / "phpbb/dostips_allanstyle_subsilver_3.2.html"
THREAD = "/forum/viewtopic.php?f=1&t=194998&start=25"
NEXT = "/forum/viewtopic.php?f=1&t=194998&start=50"


def _client() -> HttpClient:
    return HttpClient(HttpSettings(allow_hosts=frozenset({"127.0.0.1"})))


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.fixture(autouse=True)
def _fresh_robots_cache() -> None:
    ROBOTS.clear()  # each test's server has its own port, but keep tests independent anyway


# (file, preset, [(id, author, published, start of text, end of text)]) per real page.
PAGES = [
    (
        "phpbb/ilovephilosophy_prosilver_3.0_page2.html",
        "phpbb",
        [
            ("2729870", "Jakob", _utc(2019, 5, 26, 16, 34), "Good lecture.", "psychology."),
            ("2729871", "promethean75", _utc(2019, 5, 26, 16, 43), "https://vocaroo", "uchytm"),
            ("2729875", "Jakob", _utc(2019, 5, 26, 17, 28), "Well I think", "talking about here?"),
            ("2729877", "Jakob", _utc(2019, 5, 26, 17, 33), 'On the "great', "free Americans."),
        ],
    ),
    (
        "phpbb/dostips_allanstyle_subsilver_3.2.html",
        "phpbb",
        [
            ("57944", "aGerman", _utc(2018, 9, 5, 10, 44), "In that thread", "Steffen"),
            ("57946", "ShadowThief", _utc(2018, 9, 5, 13, 42), "Working on my XP", "64-bit."),
        ],
    ),
    (
        "vbulletin3/animesuki_vb3.8.11_page152.html",
        "vbulletin3",
        [
            ("5768683", "Romanticide", _utc(2016, 2, 1, 2, 44), "you can't pick", "each other?"),
            ("5768696", "Shirohige", _utc(2016, 2, 1, 3, 20), "So what you're", "claims it to be."),
        ],
    ),
    (
        "vbulletin4/militarytimes_vb4.2.3_thread_9687.html",
        "vbulletin4",
        [
            ("365271", "Mjölnir", _utc(2016, 6, 15, 19, 50), "Moved this over", "be damned"),
            ("365272", "Rainmaker", _utc(2016, 6, 15, 20, 15), "and who could", "quotation marks?"),
            ("365273", "sandsjames", _utc(2016, 6, 15, 20, 15), "And he'd", 'of "Robert".'),
        ],
    ),
    (
        "vbulletin5/fandompost_vb5.5.2_thread_727744.html",
        "vbulletin5",
        [
            ("728883", "Gildor", _utc(2019, 4, 22, 22, 37, 55), "Re: Episode 2", "screw-up."),
            ("728923", "Buckeye", _utc(2019, 4, 23, 17, 51, 26), "Episode 3", "what hit them."),
        ],
    ),
    (
        "xenforo2/xenforo_community_thread_8276.html",
        "xenforo2",
        [
            ("114210", "dieketzer", _utc(2010, 11, 21, 10, 51, 58), "it would be great", "on."),
            ("114243", "krstep", _utc(2010, 11, 21, 13, 24, 47), "I think the theme", "palette."),
            ("114249", "dieketzer", _utc(2010, 11, 21, 13, 39, 28), "i am obviously", "tried."),
            ("1091229", "Azofan", _utc(2016, 8, 21, 6, 9, 15), "+1, please", "point :/"),
        ],
    ),
    (
        "nodebb/community_nodebb_topic_13803.html",
        "nodebb",
        [
            ("73812", "youhosi", _utc(2019, 3, 24, 19, 54, 11, 505000), "What do you", "subject!"),
            ("73814", "MJ", _utc(2019, 3, 24, 22, 5, 33, 393000), "It's much better", "view?"),
            ("73816", "fgallese", _utc(2019, 3, 25, 9, 31, 14, 663000), "great work !", "room ?"),
            ("73817", "youhosi", _utc(2019, 3, 25, 12, 38, 45, 959000), "@MJ said in", "finished"),
        ],
    ),
    (
        "discourse/meta_discourse_2.4_topic_12483.html",
        "discourse",
        [
            ("1", "techAPJ", _utc(2014, 2, 6, 4, 55, 19), "Congratulations Discourse", "go!"),
            ("2", "codinghorror", _utc(2014, 2, 6, 5, 27, 6), "Ah, cool.", "the project!"),
        ],
    ),
    (
        # The question, the five comments printed under it, the answer; times are -0500.
        "askbot/askbot_org_question_2481.html",
        "askbot",
        [
            ("2481", "thekooliest09", _utc(2010, 4, 9, 4, 47, 24), "Like most", "community."),
            ("6494", "Evgeny", _utc(2010, 4, 9, 16, 9, 3), "Thanks for the input!", "upgrades."),
            ("6493", "Evgeny", _utc(2010, 4, 9, 16, 19, 49), "also the basic", "done soon."),
            ("5351", "mether", _utc(2011, 6, 26, 0, 56, 15), "What is the status", "changes"),
            ("5344", "Evgeny", _utc(2011, 6, 26, 1, 20, 59), "https://github.com/", "feature."),
            ("5340", "mether", _utc(2011, 6, 26, 1, 29, 19), "Typically moderators", "here"),
            ("7429", "todofixthis", _utc(2012, 5, 3, 14, 19, 55), "+1 This would", "would go!"),
        ],
    ),
    (
        "askbot/ask_openstack_question_24396_page1.html",
        "askbot",
        [
            ("24396", "xinxin-shu", _utc(2013, 3, 26, 7, 9, 38), "i have", "quantum ..."),
            ("24427", "arosen", _utc(2013, 7, 3, 23, 28, 2), "Hi Dan,", "pipermail/..."),
            ("24426", "dmercer", _utc(2013, 6, 29, 3, 13, 26), "I know", "services?"),
        ],
    ),
]


@pytest.mark.parametrize(("name", "preset", "expected"), PAGES, ids=[p[0] for p in PAGES])
def test_real_page_parses_into_posts_with_author_time_and_text(
    name: str, preset: str, expected: list[tuple[str, str, datetime, str, str]]
) -> None:
    page = parse_page((FORUMS / name).read_bytes(), "http://127.0.0.1:8/thread")
    assert page.preset == preset  # recognised from the page, nothing forced
    got = [(p.post_id, p.author, p.published) for p in page.posts]
    assert got == [(e[0], e[1], e[2]) for e in expected]
    for post, (_, _, _, start, end) in zip(page.posts, expected, strict=True):
        assert post.text.startswith(start), post.text
        assert post.text.endswith(end), post.text
        # No markup left (escaped text such as "<service>:<plugin>" is the poster's own).
        assert not re.search(r"</?(p|div|a|span|br|img|abbr|blockquote)\b", post.text)


def test_quotes_signatures_and_edit_notes_are_not_the_authors_words() -> None:
    phpbb = {p.post_id: p for p in parse_page(PHPBB_30.read_bytes(), "http://h/").posts}
    assert "vocaroo" not in phpbb["2729875"].text  # the quoted link
    assert "rituals" not in phpbb["2729870"].text  # the signature
    assert "Last edited" not in phpbb["2729877"].text
    vb3 = parse_page((FORUMS / PAGES[2][0]).read_bytes(), "http://h/").posts
    assert "Originally Posted by" not in vb3[1].text
    assert "loose interpretation" not in vb3[1].text
    vb4 = parse_page((FORUMS / PAGES[3][0]).read_bytes(), "http://h/").posts
    assert vb4[1].text == (
        'and who could forget..."There is a rat in separate".\n\n'
        "But, I'm still not sure if the period goes before or after the quotation marks?"
    )
    assert "six inches" not in vb4[0].text
    nodebb = parse_page((FORUMS / PAGES[6][0]).read_bytes(), "http://h/").posts
    assert "How does it looks like on mobile view?" not in nodebb[3].text
    vb5 = parse_page((FORUMS / PAGES[4][0]).read_bytes(), "http://h/").posts
    assert "Tanya Degurechaff" not in vb5[0].text


def test_author_urls_permalinks_and_next_page_follow_the_page_links() -> None:
    page = parse_page(PHPBB_30.read_bytes(), "http://127.0.0.1:8" + THREAD)
    first = page.posts[0]
    assert first.author_url == "http://127.0.0.1:8/forum/memberlist.php?mode=viewprofile&u=5996"
    assert first.url == "http://127.0.0.1:8/forum/viewtopic.php?p=2729870#p2729870"
    assert page.next_url == "http://127.0.0.1:8" + NEXT
    assert page.title == "ILovePhilosophy.com • Biological Will"
    vb4 = parse_page((FORUMS / PAGES[3][0]).read_bytes(), "http://127.0.0.1:8/t")
    # vBulletin 4 pages carry <base href>; links resolve against it, as in a browser.
    assert vb4.posts[0].author_url == "http://forums.militarytimes.com/member.php/15870-Mjölnir"
    discourse = parse_page((FORUMS / PAGES[7][0]).read_bytes(), "http://127.0.0.1:8/t/x/12483")
    assert [p.url for p in discourse.posts] == [
        "http://127.0.0.1:8/t/x/12483/1",
        "http://127.0.0.1:8/t/x/12483/2",
    ]
    assert discourse.posts[0].author_url == "https://meta.discourse.org/u/techAPJ"


ASKBOT = FORUMS / "askbot/askbot_org_question_2481.html"
ASKBOT_OPENSTACK = FORUMS / "askbot/ask_openstack_question_24396_page1.html"


def test_askbot_comments_hang_under_their_post_and_editors_are_not_authors() -> None:
    page = parse_page(ASKBOT.read_bytes(), "http://127.0.0.1:8/en/question/2481/x/")
    parents = {p.post_id: p.parent_id for p in page.posts}
    assert parents == {
        "2481": None,
        "6494": "2481",
        "6493": "2481",
        "5351": "2481",
        "5344": "2481",
        "5340": "2481",
        "7429": None,  # an answer: the adapter links it to the question
    }
    question, comment, answer = page.posts[0], page.posts[1], page.posts[-1]
    # The question was edited by todofixthis: the asker is still the author.
    assert question.author_url == "http://127.0.0.1:8/en/users/9/thekooliest09/"
    assert question.text == (
        "Like most forums and communities, you should have the ability to private message a "
        "user or leave a public visitor message on their public 'wall'. It would just give a "
        "more of a sense of community."
    )
    assert comment.url == "http://127.0.0.1:8/en/question/2481/x/#post-id-6494"
    assert comment.author_url == "http://127.0.0.1:8/en/users/1/evgeny/"
    assert comment.text == (
        "Thanks for the input! We'll have to put this one off for the later becase now we have "
        "to focus on the core features - admin interface, login system and the ease of "
        "installation and upgrades."
    )
    assert answer.url == (
        "http://127.0.0.1:8/en/question/2481/sending-publicprivate-messages-between-users/"
        "?answer=7429#post-id-7429"
    )
    assert "answered" not in answer.text and "1242" not in answer.text  # the user card
    # Two paragraphs, four list items (one nested), a closing paragraph: one line each.
    assert len([line for line in answer.text.split("\n") if line]) == 7
    assert page.next_url is None  # one page of answers


def test_askbot_next_page_link_drops_the_fragment_and_the_expander_is_not_text() -> None:
    page = parse_page(ASKBOT_OPENSTACK.read_bytes(), "https://ask.openstack.org/en/question/1/")
    assert page.next_url == (
        "https://ask.openstack.org/en/question/24396/instance-get-more-than-one-fixed-ipgrizzly-g3/"
        "?sort=votes&page=2"
    )
    assert "(more)" not in page.posts[0].text
    assert page.posts[2].text.startswith(
        "I know that we're chiming in on this a bit late, but we recently ran into this issue "
        "in our (grizzly+, nvp backed) environment as well.\n\nThanks for the patch"
    )


def test_askbot_thread_through_the_adapter_links_answers_and_comments(
    replay: ReplayServer,
) -> None:
    question = "/en/question/2481/sending-publicprivate-messages-between-users/"
    replay.routes[question] = Route(body=ASKBOT.read_bytes(), content_type=HTML)
    with _client() as http:
        result = ForumSource(replay.url(question)).fetch(http, Cursor())
    assert [(p.external_id, p.parent_id) for p in result.posts] == [
        ("2481", None),
        ("6494", "2481"),
        ("6493", "2481"),
        ("5351", "2481"),
        ("5344", "2481"),
        ("5340", "2481"),
        ("7429", "2481"),
    ]
    assert result.posts[0].title == "Sending public/private messages between users - My site"
    assert json.loads(result.cursor.position or "")["last_id"] == "7429"
    assert [r.path for r in replay.requests] == ["/robots.txt", question]


def test_board_dates_in_text_are_read_including_relative_days() -> None:
    now = _utc(2026, 11, 25, 9, 0)
    assert text_time("Yesterday, 21:43", now) == _utc(2026, 11, 24, 21, 43)
    assert text_time("Today, 08:05 AM", now) == _utc(2026, 11, 25, 8, 5)
    assert text_time("by Jakob » Sun May 26, 2019 4:34 pm", now) == _utc(2019, 5, 26, 16, 34)
    assert text_time("Senior Member", now) is None


def test_preset_can_be_forced_and_a_wrong_one_finds_no_posts() -> None:
    body = (FORUMS / PAGES[2][0]).read_bytes()
    from sources.forums.presets import PRESETS

    assert len(parse_page(body, "http://h/", PRESETS["vbulletin3"]).posts) == 2
    with pytest.raises(ParseError, match="no xenforo2 posts found"):
        parse_page(body, "http://h/", PRESETS["xenforo2"])


def test_unrecognised_page_is_a_parse_error_naming_the_fix(replay: ReplayServer) -> None:
    page = b"<html><body><p>Hello</p></body></html>"
    replay.routes["/about"] = Route(body=page, content_type=HTML)
    with _client() as http, pytest.raises(ParseError, match="--preset NAME") as raised:
        ForumSource(replay.url("/about")).fetch(http, Cursor())
    assert "post_selector" in str(raised.value)


def _serve_thread(replay: ReplayServer) -> None:
    replay.routes[THREAD] = Route(body=PHPBB_30.read_bytes(), content_type=HTML)
    # The next-page link of the saved page 2 leads here; another real phpBB page stands in.
    replay.routes[NEXT] = Route(body=PHPBB_32.read_bytes(), content_type=HTML)
    replay.routes["/robots.txt"] = Route(body=b"User-agent: *\nDisallow: /forum/ucp.php\n")


def test_thread_pages_are_followed_with_parent_links(replay: ReplayServer) -> None:
    _serve_thread(replay)
    source = ForumSource(replay.url(THREAD), community="philosophy")
    with _client() as http:
        result = source.fetch(http, Cursor())
    ids = [p.external_id for p in result.posts]
    assert ids == ["2729870", "2729871", "2729875", "2729877", "57944", "57946"]
    first, reply = result.posts[0], result.posts[1]
    assert first.parent_id is None
    assert first.title == "ILovePhilosophy.com • Biological Will"
    assert reply.parent_id == "2729870"
    assert reply.title is None
    assert {p.thread_url for p in result.posts} == {replay.url(THREAD)}
    assert {p.community for p in result.posts} == {"philosophy"}
    assert all(p.source == "forum" for p in result.posts)
    assert [r.path for r in replay.requests] == ["/robots.txt", THREAD, NEXT]


def test_page_bound_stops_pagination(replay: ReplayServer) -> None:
    _serve_thread(replay)
    with _client() as http:
        result = ForumSource(replay.url(THREAD), max_pages=1).fetch(http, Cursor())
    assert len(result.posts) == 4
    assert replay.requests_to(NEXT) == []


def test_second_crawl_asks_only_for_the_last_page_and_skips_seen_posts(
    replay: ReplayServer,
) -> None:
    _serve_thread(replay)
    source = ForumSource(replay.url(THREAD))
    with _client() as http:
        first = source.fetch(http, Cursor())
        second = source.fetch(http, first.cursor)
        replay.routes[NEXT].conditional = False  # the last page changed: served in full
        third = source.fetch(http, second.cursor)
    assert json.loads(first.cursor.position or "")["page"] == replay.url(NEXT)
    assert second.not_modified and second.posts == ()
    assert [r.status for r in replay.requests_to(NEXT)] == [200, 304, 200]
    assert replay.requests_to(NEXT)[1].headers["if-none-match"] == replay.routes[NEXT].etag
    assert len(replay.requests_to(THREAD)) == 1  # earlier pages are never asked for again
    assert third.posts == ()  # every post on it was seen; nothing is yielded twice


def test_backfill_days_drops_older_posts(replay: ReplayServer) -> None:
    _serve_thread(replay)
    with _client() as http:
        result = ForumSource(replay.url(THREAD), backfill_days=30).fetch(http, Cursor())
    assert result.posts == ()
    assert len(replay.requests) == 3  # pages were read; their posts are all older


def test_robots_disallow_is_honoured_before_any_page_request(replay: ReplayServer) -> None:
    _serve_thread(replay)
    replay.routes["/robots.txt"] = Route(body=b"User-agent: buying-signals\nDisallow: /forum/\n")
    with _client() as http, pytest.raises(RobotsDisallowedError):
        ForumSource(replay.url(THREAD)).fetch(http, Cursor())
    assert [r.path for r in replay.requests] == ["/robots.txt"]


def test_robots_disallowing_the_next_page_stops_there_with_a_warning(
    replay: ReplayServer,
) -> None:
    _serve_thread(replay)
    robots = b"User-agent: *\nDisallow: /forum/viewtopic.php?f=1&t=194998&start=50\n"
    replay.routes["/robots.txt"] = Route(body=robots)
    with _client() as http:
        result = ForumSource(replay.url(THREAD)).fetch(http, Cursor())
    assert len(result.posts) == 4
    assert replay.requests_to(NEXT) == []
    assert result.warnings == (f"robots.txt disallows {replay.url(NEXT)}; stopped there",)


def test_robots_503_skips_the_host(replay: ReplayServer) -> None:
    _serve_thread(replay)
    replay.routes["/robots.txt"] = Route(body=b"down", status=503, content_type="text/plain")
    with _client() as http, pytest.raises(RobotsUnavailableError, match="503"):
        ForumSource(replay.url(THREAD)).fetch(http, Cursor())
    assert replay.requests_to(THREAD) == []


def test_robots_404_allows_the_crawl(replay: ReplayServer) -> None:
    _serve_thread(replay)
    del replay.routes["/robots.txt"]
    with _client() as http:
        result = ForumSource(replay.url(THREAD), max_pages=1).fetch(http, Cursor())
    assert len(result.posts) == 4
    assert [r.status for r in replay.requests_to("/robots.txt")] == [404]


def test_selectors_in_config_read_any_board(replay: ReplayServer) -> None:
    replay.routes["/t/8276"] = Route(
        body=(FORUMS / "xenforo2/xenforo_community_thread_8276.html").read_bytes(),
        content_type=HTML,
    )
    with pytest.raises(SourceConfigError, match="unknown setting 'colour'"):
        build_source("forum", {"url": replay.url("/t/8276"), "colour": "red"})
    with pytest.raises(SourceConfigError, match="unknown forum preset 'ipb'"):
        build_source("forum", {"url": replay.url("/t/8276"), "preset": "ipb"})
    custom = build_source(
        "forum",
        {
            "url": replay.url("/t/8276"),
            "post_selector": "article.message",
            "body_selector": ".bbWrapper",
            "author_selector": "h4.message-name a",
            "time_selector": "header time",
            "id_attribute": "data-content",
        },
    )
    with _client() as http:
        posts = custom.fetch(http, Cursor()).posts
    assert [(p.external_id, p.author) for p in posts][:2] == [
        ("114210", "dieketzer"),
        ("114243", "krstep"),
    ]
    assert posts[0].published == _utc(2010, 11, 21, 10, 51, 58)


def test_fetch_command_reads_a_thread_and_accepts_a_preset(
    replay: ReplayServer, tmp_path: Path
) -> None:
    _serve_thread(replay)
    runner = CliRunner()
    args = ["fetch", "forum", THREAD, "--base-url", replay.url("/"), "--allow-host", "127.0.0.1"]
    result = runner.invoke(app, [*args, "--limit", "2"])
    assert result.exit_code == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(line["external_id"], line["author"]) for line in lines] == [
        ("2729870", "Jakob"),
        ("2729871", "promethean75"),
    ]
    assert lines[1]["published"] == "2019-05-26T16:43:00Z"
    assert lines[1]["parent_id"] == "2729870"
    forced = runner.invoke(app, [*args, "--preset", "vbulletin3"])
    assert forced.exit_code == 2
    assert forced.stderr.startswith("error: no vbulletin3 posts found on this page")
    unknown = runner.invoke(app, [*args, "--preset", "ipb"])
    assert unknown.exit_code == 2
    assert "unknown forum preset 'ipb'; known: askbot, discourse" in unknown.stderr
    wrong_kind = runner.invoke(app, ["fetch", "rss", "http://h/x", "--preset", "phpbb"])
    assert wrong_kind.exit_code == 2
    assert "--preset applies to the forum kind only" in wrong_kind.stderr


def test_pipeline_stores_a_thread_once_with_parent_links(
    engine: Engine, replay: ReplayServer
) -> None:
    _serve_thread(replay)
    config = SourceConfig("philosophy thread", "forum", {"url": replay.url(THREAD)})
    pipeline.sync_sources(engine, [config])
    with _client() as http:
        (first,) = pipeline.crawl(engine, http)
        (second,) = pipeline.crawl(engine, http)
    assert (first.status, first.new) == ("ok", 6)
    assert (second.status, second.new) == ("not modified", 0)
    with Session(engine) as session:
        rows = session.scalars(select(db.Post).order_by(col(db.Post.id))).all()
        by_id = {row.id: row.external_id for row in rows}
        parents = {row.external_id: by_id.get(row.parent_id) for row in rows}
    assert parents["2729870"] is None
    assert parents["2729871"] == "2729870"
    assert len(rows) == 6


def test_a_broken_later_page_keeps_the_pages_already_read(replay: ReplayServer) -> None:
    _serve_thread(replay)
    replay.routes[NEXT] = Route(body=b"<html><body>maintenance</body></html>", content_type=HTML)
    with _client() as http:
        result = ForumSource(replay.url(THREAD)).fetch(http, Cursor())
    assert len(result.posts) == 4
    assert result.warnings[0].startswith("page not read, stopped there: no phpbb posts found")
    assert json.loads(result.cursor.position or "")["page"] == replay.url(THREAD)
