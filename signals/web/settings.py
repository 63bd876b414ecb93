"""web.toml: session length, cookie security, response deadlines, plays and etiquette notes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from classifiers import INTENTS, STAGES
from signals.config import bundled_config_dir, read_toml
from signals.errors import ConfigError

WEB_FILE = "web.toml"


@dataclass(frozen=True)
class Play:
    """A suggested way to answer a kind of thread, with its own deadline."""

    name: str
    advice: str
    deadline_minutes: int
    intents: frozenset[str] = frozenset()
    stages: frozenset[str] = frozenset()

    def matches(self, intents: list[str], stage: str | None) -> bool:
        return bool(self.intents.intersection(intents)) or (stage in self.stages)


@dataclass(frozen=True)
class WebSettings:
    """Everything the web app reads from web.toml."""

    session_hours: float = 12.0
    secure_cookies: bool | None = None  # None: decide per request from the scheme
    default_deadline_minutes: int = 120
    plays: tuple[Play, ...] = ()
    etiquette: dict[str, str] = field(default_factory=dict)

    def play_for(self, intents: list[str], stage: str | None) -> Play | None:
        """The first play that matches a signal's intents or stage."""
        return next((p for p in self.plays if p.matches(intents, stage)), None)


def load_web_settings(directory: Path | None) -> WebSettings:
    """web.toml from directory, else the bundled one; validated, errors name the fix."""
    path = directory / WEB_FILE if directory else None
    if path is None or not path.is_file():
        path = bundled_config_dir() / WEB_FILE
    return parse_web_settings(path, read_toml(path))


def parse_web_settings(path: Path, data: dict[str, Any]) -> WebSettings:
    """Validate the parsed TOML of a web.toml."""
    _only(path, "", data, {"session", "respond", "plays", "etiquette"})
    session = _table(path, data, "session")
    _only(path, "session.", session, {"hours", "secure_cookies"})
    respond = _table(path, data, "respond")
    _only(path, "respond.", respond, {"default_deadline_minutes"})
    hours = session.get("hours", 12)
    if isinstance(hours, bool) or not isinstance(hours, int | float) or hours <= 0:
        raise ConfigError(f"{path}: session.hours must be a positive number, got {hours!r}")
    secure = session.get("secure_cookies", "auto")
    if secure not in (True, False, "auto"):
        raise ConfigError(f'{path}: session.secure_cookies must be true, false or "auto"')
    etiquette = _table(path, data, "etiquette")
    if not all(isinstance(v, str) for v in etiquette.values()):
        raise ConfigError(f'{path}: etiquette values must be text, e.g. "r/x" = "No links."')
    plays = data.get("plays", [])
    if not isinstance(plays, list):
        raise ConfigError(f"{path}: plays must be written as [[plays]] tables")
    return WebSettings(
        session_hours=float(hours),
        secure_cookies=None if secure == "auto" else bool(secure),
        default_deadline_minutes=_minutes(
            path, "respond.default_deadline_minutes", respond.get("default_deadline_minutes", 120)
        ),
        plays=tuple(_play(path, i, entry) for i, entry in enumerate(plays)),
        etiquette=dict(etiquette),
    )


def _play(path: Path, index: int, entry: Any) -> Play:
    where = f"plays[{index}]"
    if not isinstance(entry, dict):
        raise ConfigError(f"{path}: {where} must be a table")
    _only(path, f"{where}.", entry, {"name", "advice", "deadline_minutes", "intents", "stages"})
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f'{path}: {where} needs a name = "..."')
    intents = _labels(path, f"{where}.intents", entry.get("intents", []), INTENTS)
    stages = _labels(path, f"{where}.stages", entry.get("stages", []), STAGES)
    if not intents and not stages:
        raise ConfigError(f"{path}: {where} ({name}) needs intents or stages to match signals")
    return Play(
        name=name.strip(),
        advice=str(entry.get("advice", "")),
        deadline_minutes=_minutes(path, f"{where}.deadline_minutes", entry.get("deadline_minutes")),
        intents=intents,
        stages=stages,
    )


def _labels(path: Path, key: str, value: Any, known: tuple[str, ...]) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{path}: {key} must be a list of labels")
    unknown = sorted(set(value) - set(known))
    if unknown:
        raise ConfigError(f"{path}: {key}: unknown label {unknown[0]!r}; known: {', '.join(known)}")
    return frozenset(value)


def _minutes(path: Path, key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigError(f"{path}: {key} must be a whole number of minutes above 0, got {value!r}")
    return value


def _table(path: Path, data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: {key} must be a table ([{key}])")
    return value


def _only(path: Path, prefix: str, table: dict[str, Any], known: set[str]) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        raise ConfigError(
            f"{path}: unknown setting {prefix}{unknown[0]}; known: {', '.join(sorted(known))}"
        )
