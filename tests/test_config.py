"""Configuration is validated on load; every mistake names the fix in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from signals.config import bundled_config_dir, config_directory, load_settings
from signals.errors import ConfigError


def _write(directory: Path, body: str) -> Path:
    (directory / "signals.toml").write_text(body, encoding="utf-8")
    return directory


def test_bundled_configuration_loads() -> None:
    settings = load_settings(bundled_config_dir())
    assert settings.sources
    assert {s.kind for s in settings.sources} == {"rss"}
    assert settings.http.user_agent.startswith("buying-signals/")
    assert "(+https://" in settings.http.user_agent


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            '[[sources]]\nname = "x"\nkind = "rsss"\nurl = "https://e.com"\n',
            "unknown source kind 'rsss'; known: ",
        ),
        (
            '[[sources]]\nname = "x"\nkind = "rss"\nurl = "https://e.com"\nurll = 1\n',
            "unknown setting 'urll' for rss; allowed: community, url",
        ),
        ('[[sources]]\nname = "x"\nkind = "rss"\n', "rss needs the setting 'url'"),
        ('[[sources]]\nname = "x"\nkind = "rss"\nurl = 5\n', "url must be a string, got 5"),
        (
            '[[sources]]\nname = "x"\nkind = "rss"\nurl = "ftp://e.com"\n',
            "url must start with http:// or https://",
        ),
        ('[[sources]]\nkind = "rss"\nurl = "https://e.com"\n', "needs a name"),
        (
            '[[sources]]\nname = "a"\nkind = "rss"\nurl = "https://e.com"\n'
            '[[sources]]\nname = "a"\nkind = "rss"\nurl = "https://f.com"\n',
            "two sources are named 'a'",
        ),
        ("[http]\ntimeout = 3\n", "unknown setting http.timeout; known:"),
        ('[http]\nconnect_timeout = "fast"\n', "http.connect_timeout must be float"),
        ("[htp]\n", "unknown section 'htp'"),
        ("[[sources]\n", "invalid TOML"),
    ],
)
def test_config_mistakes_are_named_with_their_fix(tmp_path: Path, body: str, message: str) -> None:
    _write(tmp_path, body)
    with pytest.raises(ConfigError) as raised:
        load_settings(tmp_path)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)
    assert str(tmp_path / "signals.toml") in str(raised.value)


def test_missing_configuration_directory_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="signals init"):
        config_directory(tmp_path / "nowhere")
