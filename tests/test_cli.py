"""The command line: contracts of classify and fetch, one-line errors, init and list."""

from __future__ import annotations

import json
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from typer.testing import CliRunner

from signals.cli import app
from signals.replay import ReplayServer, Route
from tests.conftest import FIXTURES, ROOT

CONTRACT_KEYS = {"id", "is_signal", "confidence", "stage", "intents", "products", "evidence"}
FETCH_KEYS = {
    "source",
    "external_id",
    "url",
    "thread_url",
    "parent_id",
    "author",
    "author_url",
    "title",
    "text",
    "published",
    "community",
}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _labelled(count: int, signal: bool) -> list[dict[str, object]]:
    rows = [json.loads(line) for line in (ROOT / "data/labeled/dev.jsonl").read_text().splitlines()]
    return [r for r in rows if r["is_signal"] is signal][:count]


def test_classify_follows_the_contract(runner: CliRunner, tmp_path: Path) -> None:
    posts = _labelled(3, True) + _labelled(3, False)
    lines = [json.dumps({"id": p["id"], "title": p["title"], "text": p["text"]}) for p in posts]
    clear = "We are moving off Jira next quarter. What do you recommend for a 20-person team?"
    lines.append(json.dumps({"id": 42, "title": "Alternatives to Jira?", "text": clear}))
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n")
    result = runner.invoke(app, ["classify", str(source)])
    assert result.exit_code == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == [p["id"] for p in posts] + [42]
    texts = {p["id"]: p["text"] for p in posts} | {42: clear}
    for record in out:
        assert set(record) == CONTRACT_KEYS
        assert isinstance(record["is_signal"], bool)
        assert 0.0 <= record["confidence"] <= 1.0
        assert (record["stage"] is None) == (not record["is_signal"])
        for item in record["evidence"]:
            assert set(item) == {"start", "end", "text", "rule"}
            assert texts[record["id"]][item["start"] : item["end"]] == item["text"]
    assert out[-1]["is_signal"] is True
    assert "migration" in out[-1]["intents"]
    assert "Jira" in out[-1]["products"]


def test_classify_reads_an_optional_source_kind(runner: CliRunner, tmp_path: Path) -> None:
    # An input line may say which kind of source it came from ("github" is an issue tracker,
    # which the trained model weighs on its own); without it a post counts as a community's.
    question = {"title": "Enterprise edition", "text": "How do we buy the enterprise edition?"}
    lines = [
        json.dumps({"id": 1, **question}),
        json.dumps({"id": 2, "source": "GitHub", **question}),  # kinds match in any case
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n")
    result = runner.invoke(app, ["classify", str(source)])
    assert result.exit_code == 0, result.stderr
    community, tracker = (json.loads(line) for line in result.stdout.splitlines())
    assert set(tracker) == CONTRACT_KEYS
    assert tracker["confidence"] > community["confidence"]


def test_comments_under_an_issue_are_weighed_like_any_comment(
    runner: CliRunner, tmp_path: Path
) -> None:
    # The issue-tracker intercept was learned on opening posts; a "+1" under an issue is chatter.
    opener = "Enterprise edition\nHow do we buy the enterprise edition?"
    comment = {"text": "+1, we need this too for our team.", "context": opener}
    lines = [json.dumps({"id": i, "source": s, **comment}) for i, s in enumerate([None, "github"])]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n")
    result = runner.invoke(app, ["classify", str(source)])
    assert result.exit_code == 0, result.stderr
    community, tracker = (json.loads(line) for line in result.stdout.splitlines())
    assert tracker["confidence"] == community["confidence"]
    assert tracker["is_signal"] is False


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ("{not json", "in.jsonl:2: not valid JSON"),
        ('["a list"]', "in.jsonl:2: not a JSON object"),
        ('{"id": "x"}', 'in.jsonl:2: "text" must be a string'),
        ('{"text": "no id"}', 'in.jsonl:2: "id" must be a string or integer'),
        ('{"id": "x", "text": "t", "title": 3}', 'in.jsonl:2: "title" must be a string or null'),
        ('{"id": "x", "text": "t", "source": 1}', 'in.jsonl:2: "source" must be a string or null'),
    ],
)
def test_classify_reports_a_malformed_line_and_writes_nothing(
    runner: CliRunner, tmp_path: Path, bad_line: str, message: str
) -> None:
    source = tmp_path / "in.jsonl"
    good = json.dumps({"id": "1", "text": "Alternatives to Jira?"})
    source.write_text("\n".join([good, bad_line, good]) + "\n")
    result = runner.invoke(app, ["classify", str(source)])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: ")
    assert message in result.stderr
    assert result.stderr.count("\n") == 1


def test_classify_missing_file_is_one_line(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["classify", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 2
    assert (
        result.stderr
        == f"error: {tmp_path / 'nope.jsonl'}: no such file; give a JSON Lines file or - for stdin\n"  # noqa: E501
    )


def test_fetch_prints_posts_as_json_lines(runner: CliRunner, replay: ReplayServer) -> None:
    replay.routes["/feed.xml"] = Route(
        body=(FIXTURES / "rss_atom/rss1.0withModules.xml").read_bytes()
    )
    result = runner.invoke(
        app,
        ["fetch", "rss", "/feed.xml", "--base-url", replay.url("/"), "--allow-host", "127.0.0.1"],
    )
    assert result.exit_code == 0, result.stderr
    (line,) = result.stdout.splitlines()
    post = json.loads(line)
    assert set(post) == FETCH_KEYS
    assert (
        post["external_id"] == "http://www.pocketsoap.com/weblog/rssTests/rss1.0withModules.xml#1"
    )
    assert post["published"] == "2002-09-28T20:01:19Z"
    assert post["title"] == "Test Item - RSS 1.0"


def test_fetch_refuses_loopback_without_allow_host(runner: CliRunner, replay: ReplayServer) -> None:
    replay.routes["/feed.xml"] = Route(body=b"<rss/>")
    result = runner.invoke(app, ["fetch", "rss", replay.url("/feed.xml")])
    assert result.exit_code == 2
    assert "refusing to connect to 127.0.0.1" in result.stderr
    assert "--allow-host 127.0.0.1" in result.stderr
    assert replay.requests == []


def test_unknown_kind_and_bad_options_are_one_line_errors(runner: CliRunner) -> None:
    result = runner.invoke(app, ["fetch", "rsss", "x"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: unknown source kind 'rsss'; known: ")
    assert " rss" in result.stderr
    assert result.stderr.count("\n") == 1
    result = runner.invoke(app, ["list", "--limit", "zero"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert result.stderr.count("\n") == 1
    assert "signals list --help" in result.stderr


def test_init_writes_a_starter_config_and_will_not_overwrite(
    runner: CliRunner, tmp_path: Path
) -> None:
    target = tmp_path / "conf"
    assert runner.invoke(app, ["init", str(target)]).exit_code == 0
    assert (target / "signals.toml").is_file()
    again = runner.invoke(app, ["init", str(target)])
    assert again.exit_code == 2
    assert "pass --force" in again.stderr
    assert runner.invoke(app, ["init", str(target), "--force"]).exit_code == 0


def test_list_shows_stored_signals_as_json(
    runner: CliRunner, tmp_path: Path, replay: ReplayServer
) -> None:
    rows = _labelled(5, True)
    items = "".join(
        f"<item><guid>{escape(str(r['id']))}</guid><title>{escape(str(r['title']))}</title>"
        f"<description>{escape(str(r['text']))}</description>"
        f"<author>buyer{i}@example.com (buyer{i})</author>"
        f"<pubDate>Mon, 0{i + 1} Jan 2024 10:00:00 GMT</pubDate></item>"
        for i, r in enumerate(rows)
    )
    feed = f"<rss version='2.0'><channel><title>t</title>{items}</channel></rss>"
    replay.routes["/f.xml"] = Route(body=feed.encode())
    config = tmp_path / "conf"
    assert runner.invoke(app, ["init", str(config)]).exit_code == 0
    (config / "signals.toml").write_text(
        '[http]\nallow_hosts = ["127.0.0.1"]\n'
        f'[[sources]]\nname = "f"\nkind = "rss"\nurl = "{replay.url("/f.xml")}"\n'
    )
    base = ["--db", str(tmp_path / "s.db"), "--config", str(config)]
    run = runner.invoke(app, [*base, "run"])
    assert run.exit_code == 0, run.stderr
    assert "5 new posts, 5 classified" in run.stdout
    listed = runner.invoke(app, [*base, "list", "--json", "--limit", "3"])
    assert listed.exit_code == 0, listed.stderr
    out = [json.loads(line) for line in listed.stdout.splitlines()]
    assert 1 <= len(out) <= 3
    assert all(o["source"] == "f" for o in out)
    assert [o["published"] for o in out] == sorted((o["published"] for o in out), reverse=True)
    assert all(o["author"].startswith("buyer") for o in out)
    unknown = runner.invoke(app, [*base, "run", "--source", "nope"])
    assert unknown.exit_code == 2
    assert "no source named 'nope'" in unknown.stderr
