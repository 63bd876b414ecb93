"""The RSS adapter on real recorded Stack Overflow tag and Google Alerts feeds, over 127.0.0.1."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from typer.testing import CliRunner

from signals.cli import app
from signals.replay import ReplayServer, Route
from sources import Cursor, HttpClient, HttpSettings
from sources.rss import RssSource, unwrap_redirect
from tests.conftest import FIXTURES

EXTRAS = FIXTURES / "rss_extras"
ATOM = "application/atom+xml; charset=utf-8"


def _client() -> HttpClient:
    return HttpClient(HttpSettings(allow_hosts=frozenset({"127.0.0.1"})))


def test_stack_overflow_tag_feed_yields_questions_with_author_time_and_text(
    replay: ReplayServer,
) -> None:
    body = (EXTRAS / "stackoverflow_tag_kubernetes.atom").read_bytes()
    replay.routes["/feeds/tag/kubernetes"] = Route(body=body, content_type=ATOM)
    with _client() as http:
        result = RssSource(replay.url("/feeds/tag/kubernetes")).fetch(http, Cursor())
    assert [(p.external_id, p.author, p.author_url, p.published) for p in result.posts] == [
        (
            "https://stackoverflow.com/q/77635559",
            "Dominik.W",
            "https://stackoverflow.com/users/23076575",
            datetime(2023, 12, 10, 16, 39, 44, tzinfo=UTC),
        ),
        (
            "https://stackoverflow.com/q/77635466",
            "kubexplore",
            "https://stackoverflow.com/users/23076494",
            datetime(2023, 12, 10, 16, 7, 16, tzinfo=UTC),
        ),
    ]
    first, second = result.posts
    assert first.title == "Kubernetes Ingress behind Cloud Load Balancer"
    assert first.url == (
        "https://stackoverflow.com/questions/77635559/kubernetes-ingress-behind-cloud-load-balancer"
    )
    assert first.thread_url == first.url and first.parent_id is None
    assert first.community == "Newest questions tagged kubernetes - Stack Overflow"
    assert first.text.startswith(
        "When using an Ingress Controller in Kubernetes the Ingress service is usually exposed "
        "via Load Balancer. Now I’m trining to understand on how this exactly works.\n"
    )
    assert first.text.endswith(
        "Is that approach possible and even best practices or what do you recommend?"
    )
    assert first.text.count("\n\n") == 1  # two paragraphs
    # The escaped HTML (quotes inside <code>) comes out as the poster's characters.
    assert 'value: "https://download.geofabrik.de/europe/andorra-latest.osm.pbf' in second.text
    assert second.text.endswith("changed service from clusterIP to NodePort.")
    assert "<p>" not in first.text + second.text and "&quot;" not in second.text


def test_google_alerts_links_are_unwrapped_and_html_titles_read_as_text(
    replay: ReplayServer,
) -> None:
    body = (EXTRAS / "google_alerts_inauguracion_de_arte.atom").read_bytes()
    path = "/alerts/feeds/1/2"
    replay.routes[path] = Route(body=body, content_type=ATOM)
    with _client() as http:
        result = RssSource(replay.url(path)).fetch(http, Cursor())
    assert [(p.external_id, p.url, p.published) for p in result.posts] == [
        (
            "tag:google.com,2013:googlealerts/feed:6225395255318560712",
            "https://www.uct.cl/actualidad/noticias/"
            "exposicion-estacion-umbria-lleva-el-bosque-milenario-de-la-araucania-hasta-la-uct/",
            datetime(2026, 8, 14, 3, 38, 2, tzinfo=UTC),
        ),
        (
            "tag:google.com,2013:googlealerts/feed:8532791600382714793",
            "https://www.elmartutino.cl/noticia/cultura/"
            "artepuerto-2026-reune-34-artistas-en-exposicion-gratuita-en-valparaiso",
            datetime(2026, 8, 14, 3, 37, 25, tzinfo=UTC),
        ),
    ]
    first, second = result.posts
    assert first.title == (
        "Exposición “Estación Umbría” lleva el bosque milenario de La Araucanía hasta la UCT"
    )
    # The <b> highlights of the matched words are markup, not text; &nbsp; is a space.
    assert first.text == (
        "Carolina Acuña, egresada de Artes Visuales con especialidad en Grabado y Magíster por "
        "la Universidad de Chile, se ha dedicado desde el término de sus ..."
    )
    assert second.text == (
        "La inauguración reunió a gran parte de los artistas participantes ... arte. "
        "“Una exposición colectiva ..."
    )
    assert (first.author, first.author_url) == (None, None)  # Alerts send <name></name>
    assert first.thread_url == first.url
    assert {p.community for p in result.posts} == {"Google Alert - inauguracion de arte"}


def test_only_google_redirects_with_an_absolute_target_are_unwrapped() -> None:
    target = "https://news.example/a?b=1&c=2"
    wrapped = "https://www.google.com/url?rct=j&sa=t&url=https%3A%2F%2Fnews.example%2Fa%3Fb%3D1%26c%3D2&ct=ga"
    assert unwrap_redirect(wrapped) == target
    assert unwrap_redirect("https://google.com/url?q=http://old.example/x&sa=U") == (
        "http://old.example/x"
    )
    kept = [
        "https://www.google.com/url?rct=j&url=javascript:alert(1)",  # not a web address
        "https://www.google.com/search?url=https://x.example/",  # not the redirector
        "https://evil.example/url?url=https://x.example/",  # not Google
        "https://google.com.evil.example/url?url=https://x.example/",
    ]
    assert [unwrap_redirect(url) for url in kept] == kept


def test_fetch_command_prints_unwrapped_alert_links(replay: ReplayServer) -> None:
    body = (EXTRAS / "google_alerts_inauguracion_de_arte.atom").read_bytes()
    replay.routes["/alerts/feeds/1/2"] = Route(body=body, content_type=ATOM)
    args = ["fetch", "rss", replay.url("/alerts/feeds/1/2"), "--allow-host", "127.0.0.1"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["url"].split("/")[2] for line in lines] == ["www.uct.cl", "www.elmartutino.cl"]
    assert lines[0]["published"] == "2026-08-14T03:38:02Z"
