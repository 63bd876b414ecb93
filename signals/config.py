"""Configuration: a directory of TOML files, validated on load, errors that name the fix."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from signals.errors import ConfigError
from sources import HttpSettings, SourceError, build_source, default_user_agent

CONFIG_ENV = "SIGNALS_CONFIG"
MAIN_FILE = "signals.toml"
_HTTP_KEYS = {
    "contact_url": str,
    "connect_timeout": float,
    "read_timeout": float,
    "total_timeout": float,
    "max_body_mib": float,
    "max_redirects": int,
    "allow_hosts": list,
    "max_attempts": int,
    "backoff_seconds": float,
    "host_delay": float,
    "max_wait": float,
}
_SOURCE_RESERVED = {"name", "kind", "enabled", "interval"}
DEFAULT_INTERVAL = 900.0  # seconds between two crawls of a source by `signals watch`


@dataclass(frozen=True)
class SourceConfig:
    """One [[sources]] entry: its name, adapter kind and the adapter's own settings."""

    name: str
    kind: str
    settings: dict[str, Any]
    enabled: bool = True
    interval: float = DEFAULT_INTERVAL


@dataclass(frozen=True)
class Settings:
    """The whole configuration, loaded from one directory."""

    directory: Path
    http: HttpSettings = field(default_factory=HttpSettings)
    sources: tuple[SourceConfig, ...] = ()


def bundled_config_dir() -> Path:
    """The default configuration shipped with the package (or the source tree's config/)."""
    packaged = Path(__file__).with_name("_bundled_config")
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "config"


def user_config_dir() -> Path:
    from platformdirs import user_config_path

    return user_config_path("signals", appauthor=False)


def config_directory(option: Path | None) -> Path:
    """--config, else SIGNALS_CONFIG, else the user's config dir once `signals init` made it."""
    if option is not None:
        chosen = option
    elif os.environ.get(CONFIG_ENV):
        chosen = Path(os.environ[CONFIG_ENV])
    elif (user_config_dir() / MAIN_FILE).is_file():
        chosen = user_config_dir()
    else:
        chosen = bundled_config_dir()
    chosen = chosen.expanduser()
    if not (chosen / MAIN_FILE).is_file():
        raise ConfigError(
            f"no {MAIN_FILE} in {chosen}; create one with `signals init {chosen}` "
            "or point --config at a configuration directory"
        )
    return chosen


def read_toml(path: Path) -> dict[str, Any]:
    """A TOML file as a dict, or a ConfigError naming the file, the line and the problem."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found; run `signals init` to create it") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}; fix the file and run again") from None


def load_settings(directory: Path) -> Settings:
    """Read and validate signals.toml in directory."""
    path = directory / MAIN_FILE
    data = read_toml(path)
    unknown = sorted(set(data) - {"http", "sources"})
    if unknown:
        raise ConfigError(f"{path}: unknown section {unknown[0]!r}; known: http, sources")
    http = _http_settings(path, _table(path, data, "http"))
    entries = data.get("sources", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: sources must be written as [[sources]] tables")
    sources = tuple(_source(path, index, entry) for index, entry in enumerate(entries))
    names = [s.name for s in sources]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise ConfigError(f"{path}: two sources are named {duplicate!r}; give each a unique name")
    return Settings(directory=directory, http=http, sources=sources)


def _table(path: Path, data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: {key} must be a table ([{key}])")
    return value


def _http_settings(path: Path, table: dict[str, Any]) -> HttpSettings:
    for key, value in table.items():
        expected = _HTTP_KEYS.get(key)
        if expected is None:
            known = ", ".join(sorted(_HTTP_KEYS))
            raise ConfigError(f"{path}: unknown setting http.{key}; known: {known}")
        numeric = expected in (int, float) and isinstance(value, int | float)
        if isinstance(value, bool) or not (isinstance(value, expected) or numeric):
            raise ConfigError(f"{path}: http.{key} must be {expected.__name__}, got {value!r}")
    allow = table.get("allow_hosts", [])
    if not all(isinstance(h, str) for h in allow):
        raise ConfigError(f"{path}: http.allow_hosts must be a list of host names or addresses")
    defaults = HttpSettings()
    return HttpSettings(
        user_agent=default_user_agent(table["contact_url"])
        if "contact_url" in table
        else defaults.user_agent,
        connect_timeout=float(table.get("connect_timeout", defaults.connect_timeout)),
        read_timeout=float(table.get("read_timeout", defaults.read_timeout)),
        total_timeout=float(table.get("total_timeout", defaults.total_timeout)),
        max_body_bytes=int(float(table.get("max_body_mib", 10)) * 1024 * 1024),
        max_redirects=int(table.get("max_redirects", defaults.max_redirects)),
        allow_hosts=frozenset(h.lower() for h in allow),
        max_attempts=max(1, int(table.get("max_attempts", defaults.max_attempts))),
        backoff_seconds=float(table.get("backoff_seconds", defaults.backoff_seconds)),
        host_delay=float(table.get("host_delay", defaults.host_delay)),
        max_wait=float(table.get("max_wait", defaults.max_wait)),
    )


def _source(path: Path, index: int, entry: Any) -> SourceConfig:
    where = f"{path}: sources[{index}]"
    if not isinstance(entry, dict):
        raise ConfigError(f"{where} must be a table")
    name, kind = entry.get("name"), entry.get("kind")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f'{where} needs a name = "..." (unique among sources)')
    if not isinstance(kind, str):
        raise ConfigError(f'{where} ({name}) needs a kind = "...", e.g. kind = "rss"')
    enabled = entry.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ConfigError(f"{where} ({name}): enabled must be true or false")
    interval = entry.get("interval", DEFAULT_INTERVAL)
    if isinstance(interval, bool) or not isinstance(interval, int | float) or interval < 1:
        raise ConfigError(f"{where} ({name}): interval must be a number of seconds, at least 1")
    settings = {k: v for k, v in entry.items() if k not in _SOURCE_RESERVED}
    try:
        build_source(kind, settings, where=f"{where} ({name})")
    except SourceError as exc:
        message = str(exc)
        if not message.startswith(str(path)):
            message = f"{where} ({name}): {message}"
        raise ConfigError(message) from None
    return SourceConfig(
        name=name.strip(), kind=kind, settings=settings, enabled=enabled, interval=float(interval)
    )
