"""load_rules: the shipped config loads, and every mistake gets one line naming file, key, fix."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from labeled_posts import CONFIG

from classifiers import INTENTS, ClassifierError, RulesConfigError, RuleSet, load_rules


def config_copy(tmp_path: Path, file: str = "", old: str = "", new: str = "") -> Path:
    """A copy of config/ with one replacement made in one file."""
    for name in ("classifier.toml", "products.toml"):
        shutil.copy(CONFIG / name, tmp_path / name)
    if file:
        text = (tmp_path / file).read_text(encoding="utf-8")
        assert old in text, f"{old!r} is no longer in {file}; update the test"
        (tmp_path / file).write_text(text.replace(old, new, 1), encoding="utf-8")
    return tmp_path


def config_error(config_dir: Path) -> str:
    with pytest.raises(RulesConfigError) as caught:
        load_rules(config_dir)
    message = str(caught.value)
    assert "\n" not in message
    assert isinstance(caught.value, ClassifierError)
    return message


def test_shipped_config_loads_with_every_intent_and_stage(rules: RuleSet) -> None:
    assert {g.label for g in rules.groups if g.kind == "intent"} == set(INTENTS)
    assert 0 < rules.scoring.threshold < 1
    assert any(p.role == "ours" for p in rules.products)
    assert {p.name for p in rules.products} >= {"Acme Helpdesk", "Zendesk", "Jira", "Datadog"}


def test_wrong_type_names_the_file_the_key_and_what_was_found(tmp_path: Path) -> None:
    path = config_copy(tmp_path)
    text = (path / "classifier.toml").read_text(encoding="utf-8")
    # The whole phrases list of [intents.comparison] becomes the number 3.
    text, n = re.subn(r"(\[intents\.comparison\]\n(?:.*\n)*?phrases = )\[[^\]]*\]", r"\g<1>3", text)
    assert n == 1
    (path / "classifier.toml").write_text(text, encoding="utf-8")
    assert config_error(path) == (
        f"{path / 'classifier.toml'}: intents.comparison.phrases must be a list of strings; got 3"
    )


def test_broken_toml_names_the_file(tmp_path: Path) -> None:
    path = config_copy(tmp_path, "classifier.toml", "[scoring]", "[scoring")
    message = config_error(path)
    assert message.startswith(f"{path / 'classifier.toml'}: is not valid TOML")


def test_missing_products_file_is_named(tmp_path: Path) -> None:
    path = config_copy(tmp_path)
    (path / "products.toml").unlink()
    assert config_error(path).startswith(f"{path / 'products.toml'}: file not found")


def test_unknown_intent_lists_the_known_ones(tmp_path: Path) -> None:
    path = config_copy(tmp_path, "classifier.toml", "[intents.trial]", "[intents.trail]")
    message = config_error(path)
    assert "intents.trail is not a known intent" in message
    assert "recommendation_request" in message


def test_unknown_key_lists_the_known_keys(tmp_path: Path) -> None:
    path = config_copy(
        tmp_path, "classifier.toml", "[intents.trial]\n", "[intents.trial]\nphrase = []\n"
    )
    message = config_error(path)
    assert "intents.trial.phrase is not a known key; known: weight, phrases" in message


def test_pattern_with_an_unknown_word_list_names_the_pattern(tmp_path: Path) -> None:
    path = config_copy(tmp_path, "classifier.toml", "{X}? @tool", "{X}? @tools")
    message = config_error(path)
    assert "intents.recommendation_request.patterns.looking_for_tool" in message
    assert "[words] has no list 'tools'" in message


def test_pattern_without_a_required_word_is_refused(tmp_path: Path) -> None:
    path = config_copy(
        tmp_path, "classifier.toml", 'best_x_for = "best {X} for"', 'best_x_for = "{P} *"'
    )
    assert "best_x_for needs a required word" in config_error(path)


def test_penalty_with_a_positive_weight_is_refused(tmp_path: Path) -> None:
    path = config_copy(
        tmp_path,
        "classifier.toml",
        "[penalties.hiring]\nweight = -5.0",
        "[penalties.hiring]\nweight = 5.0",
    )
    assert "penalties.hiring.weight must be negative; got 5.0" in config_error(path)


def test_boost_naming_an_unknown_category_points_at_products_toml(tmp_path: Path) -> None:
    path = config_copy(
        tmp_path,
        "classifier.toml",
        '"helpdesk", "project_management"',
        '"helpdesks", "project_management"',
    )
    message = config_error(path)
    assert "boosts.business_product.categories names 'helpdesks'" in message
    assert "products.toml" in message


def test_case_sensitive_name_must_be_listed(tmp_path: Path) -> None:
    path = config_copy(
        tmp_path,
        "products.toml",
        'case_sensitive = [\n    "Access",',
        'case_sensitive = [\n    "Acess",',
    )
    message = config_error(path)
    assert message.startswith(f"{path / 'products.toml'}: case_sensitive names unlisted products")


def test_threshold_outside_zero_one_is_refused(tmp_path: Path) -> None:
    path = config_copy(tmp_path, "classifier.toml", "threshold = 0.35", "threshold = 1")
    assert "scoring.threshold must be between 0 and 1" in config_error(path)


_MODEL_THRESHOLD = json.loads((CONFIG.parent / "classifiers" / "model" / "meta.json").read_text())[
    "threshold"
]


def test_trained_table_defaults_to_the_packaged_model(tmp_path: Path) -> None:
    from classifiers.config import load_model_settings

    settings = load_model_settings(CONFIG)
    assert settings.use is True and settings.path is None
    assert settings.threshold is not None and 0 < settings.threshold < 1
    path = config_copy(tmp_path, "classifier.toml", 'path = ""', 'path = "models/mine"')
    assert load_model_settings(path).path == tmp_path / "models" / "mine"


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("use = true", "use = 1", "trained.use must be true or false"),
        ('path = ""', "path = 3", "trained.path must be a directory path"),
        (f"threshold = {_MODEL_THRESHOLD}", "threshold = 1.5", "trained.threshold must be"),
        ("use = true", "use = true\nmodel = 1", "trained.model is not a known key"),
    ],
)
def test_trained_table_mistakes_name_the_key(
    tmp_path: Path, old: str, new: str, problem: str
) -> None:
    from classifiers.config import load_model_settings

    path = config_copy(tmp_path, "classifier.toml", old, new)
    with pytest.raises(RulesConfigError) as caught:
        load_model_settings(path)
    assert problem in str(caught.value) and "\n" not in str(caught.value)
