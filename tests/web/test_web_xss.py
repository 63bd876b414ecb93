"""Hostile posts render inert: checked by parsing the HTML the server sends."""

from __future__ import annotations

from collections.abc import Callable

import lxml.html
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session
from webtools import Seeded, WebClient, add_signal

from signals.web.render import highlight, safe_url

Login = Callable[[str], WebClient]

PAYLOADS = [
    "<script>alert('x')</script>",
    '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(1)">click</a>',
    "<svg onload=alert(1)><circle r=1></svg>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '"><body onload=alert(1)>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<a href='&#106;avascript:alert(1)'>encoded</a>",
]


def _assert_inert(html: str) -> lxml.html.HtmlElement:
    tree = lxml.html.fromstring(html)
    scripts = [s.get("src") for s in tree.iter("script")]
    assert scripts == ["/static/app.js"], scripts
    for tag in ("iframe", "svg//circle", "math", "img", "object", "embed", "style"):
        assert not tree.xpath(f"//{tag}"), tag
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        handlers = [a for a in element.attrib if a.lower().startswith("on")]
        assert not handlers, (element.tag, handlers)
        for attribute in ("href", "src", "action", "formaction"):
            value = element.get(attribute, "").strip().lower()
            assert not value.startswith(("javascript:", "data:", "vbscript:")), value
    return tree


@pytest.fixture
def hostile(seeded: Seeded, sqlite_engine: Engine) -> list[int]:
    ids = []
    with Session(sqlite_engine) as session:
        for i, payload in enumerate(PAYLOADS):
            text = f"Looking for an alternative to X. {payload} Any advice?"
            start = text.index(payload)
            _, signal_id = add_signal(
                session,
                seeded.source_ids["hn"],
                f"evil{i}",
                text,
                title=payload,
                author=payload,
                community=payload,
                url="javascript:alert(document.cookie)",
                evidence=[{"start": start, "end": start + len(payload), "text": payload}],
                confidence=0.99,
            )
            ids.append(signal_id)
        session.commit()
    return ids


def test_queue_renders_hostile_posts_inert(as_user: Login, hostile: list[int]) -> None:
    response = as_user("mara").get("/review?sort=score")
    assert response.status_code == 200
    tree = _assert_inert(response.text)
    # The payloads are shown as text, so a reviewer can still see what was posted.
    shown = " ".join(tree.xpath("//div[@class='post-text']//text()"))
    assert "<script>alert('x')</script>" in shown
    assert tree.xpath("//mark")  # the evidence span is still highlighted


def test_detail_page_renders_hostile_post_inert(as_user: Login, hostile: list[int]) -> None:
    client = as_user("mara")
    for signal_id in hostile:
        response = client.get(f"/review/{signal_id}")
        assert response.status_code == 200
        _assert_inert(response.text)


def test_inbox_renders_hostile_posts_inert(as_user: Login, hostile: list[int]) -> None:
    response = as_user("cora").get("/inbox")
    assert response.status_code == 200
    tree = _assert_inert(response.text)
    assert not tree.xpath("//a[contains(., 'Reply on the site')][starts-with(@href, 'javascript')]")


def test_highlight_escapes_and_keeps_only_marks() -> None:
    text = "<b>bold</b> wants an alternative & <script>x</script>"
    start = text.index("an alternative")
    rule = '"><svg onload=x>'
    html = str(highlight(text, [{"start": start, "end": start + 14, "rule": rule}]))
    assert "<b>" not in html
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert html.count("<mark") == 1
    tree = lxml.html.fromstring(f"<div>{html}</div>")
    marks = list(tree.iter("mark"))
    assert [m.text for m in marks] == ["an alternative"]
    assert dict(marks[0].attrib) == {"title": rule}  # the rule name stays an attribute value
    assert not tree.xpath("//svg")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com/t/1", "https://example.com/t/1"),
        ("javascript:alert(1)", None),
        (" JavaScript:alert(1)", None),
        ("data:text/html,x", None),
        ("//evil.example/", None),
        ("http:/no-host", None),
    ],
)
def test_only_http_links_are_rendered(url: str, expected: str | None) -> None:
    assert safe_url(url) == expected
