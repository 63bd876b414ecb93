"""web.toml: the bundled file loads; mistakes name the file, the key and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from signals.errors import ConfigError
from signals.web.settings import load_web_settings


def test_bundled_settings_load_with_plays_and_etiquette() -> None:
    settings = load_web_settings(None)
    assert settings.default_deadline_minutes == 120
    assert settings.secure_cookies is None
    play = settings.play_for(["pricing_inquiry"], None)
    assert play is not None
    assert (play.name, play.deadline_minutes) == ("Pricing question", 60)
    assert settings.play_for([], "integrate") is not None
    assert settings.play_for([], "recognize") is None
    assert "disclose" in settings.etiquette["r/sysadmin"]


def test_a_config_dir_without_web_toml_uses_the_bundled_one(tmp_path: Path) -> None:
    assert load_web_settings(tmp_path).plays == load_web_settings(None).plays


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[respond]\ndefault_deadline = 5\n", "unknown setting respond.default_deadline; known:"),
        ("[respond]\ndefault_deadline_minutes = 0\n", "must be a whole number of minutes above 0"),
        ('[session]\nsecure_cookies = "yes"\n', 'secure_cookies must be true, false or "auto"'),
        (
            '[[plays]]\nname = "x"\nintents = ["pricing"]\ndeadline_minutes = 5\n',
            "plays[0].intents: unknown label 'pricing'; known: recommendation_request",
        ),
        ('[[plays]]\nname = "x"\ndeadline_minutes = 5\n', "needs intents or stages"),
        ("[etiquette]\n'r/x' = 3\n", "etiquette values must be text"),
        ("[sessions]\n", "unknown setting sessions; known: etiquette, plays, respond, session"),
    ],
)
def test_mistakes_name_the_fix(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "web.toml").write_text(text)
    with pytest.raises(ConfigError) as error:
        load_web_settings(tmp_path)
    assert message in str(error.value)
    assert str(tmp_path / "web.toml") in str(error.value)
