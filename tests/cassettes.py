"""Serve recorded PRAW (betamax) cassettes from the replay server, byte for byte."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from signals.replay import ReplayServer, Route

# Hop-by-hop or body-encoding headers: the recorded body string is already decoded.
_DROPPED = {"transfer-encoding", "content-encoding", "content-length", "connection", "date"}


def interactions(path: Path) -> list[dict[str, Any]]:
    return list(json.loads(path.read_text(encoding="utf-8"))["interactions"])


def serve_cassette(server: ReplayServer, path: Path, **extra_headers: str) -> list[str]:
    """Route every recorded request's path to its recorded response; return the paths."""
    paths = []
    for interaction in interactions(path):
        response = interaction["response"]
        headers = {
            name: values[-1] if isinstance(values, list) else values
            for name, values in response["headers"].items()
            if name.lower() not in _DROPPED
        }
        content_type = headers.pop("Content-Type", headers.pop("content-type", "application/json"))
        headers.update(extra_headers)
        route_path = urlsplit(interaction["request"]["uri"]).path
        server.routes[route_path] = Route(
            body=response["body"]["string"].encode("utf-8"),
            status=response["status"]["code"],
            content_type=content_type,
            headers=headers,
            conditional=False,
        )
        paths.append(route_path)
    return paths
