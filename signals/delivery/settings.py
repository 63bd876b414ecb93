"""delivery.toml: outbox retries, webhooks, SMTP and alert rules, validated on load."""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from signals.config import read_toml
from signals.errors import ConfigError

FILE = "delivery.toml"
CHANNELS = ("slack", "email")
MODES = ("immediate", "digest")
SECURITY = ("starttls", "ssl", "none")


@dataclass(frozen=True)
class OutboxSettings:
    """How often and how long a delivery is retried."""

    max_attempts: int = 8
    backoff_base_seconds: float = 30.0
    backoff_max_seconds: float = 3600.0
    poll_seconds: float = 30.0


@dataclass(frozen=True)
class WebhookSettings:
    """When an endpoint is paused, and how old a signature a receiver should accept."""

    pause_after_failures: int = 5
    signature_tolerance_seconds: int = 300


@dataclass(frozen=True)
class SmtpSettings:
    """Where e-mail goes out; the password never appears in a repr, a log or an error."""

    host: str = "localhost"
    port: int = 25
    security: str = "starttls"
    username: str = ""
    password: str = field(default="", repr=False)
    sender: str = "signals@localhost"
    timeout_seconds: float = 30.0
    # A PEM file of the CA(s) that signed the server's certificate, trusted instead of the
    # system's (a private mail server); None: the system's trust store.
    ca_file: Path | None = None


@dataclass(frozen=True)
class Recipient:
    """One alert recipient from the configuration."""

    channel: str
    target: str
    mode: str = "immediate"
    digest_minutes: int = 60


@dataclass(frozen=True)
class AlertRules:
    """Which signals and stage changes are worth an alert, and who gets them."""

    intents: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    min_confidence: float = 0.7
    stage_change_kinds: tuple[str, ...] = ("lifecycle", "buyer")
    max_age_hours: float = 72.0
    recipients: tuple[Recipient, ...] = ()


@dataclass(frozen=True)
class DeliverySettings:
    """The whole of delivery.toml."""

    outbox: OutboxSettings = field(default_factory=OutboxSettings)
    webhooks: WebhookSettings = field(default_factory=WebhookSettings)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    alerts: AlertRules = field(default_factory=AlertRules)


_SECTIONS: dict[str, dict[str, type]] = {
    "outbox": {
        "max_attempts": int,
        "backoff_base_seconds": float,
        "backoff_max_seconds": float,
        "poll_seconds": float,
    },
    "webhooks": {"pause_after_failures": int, "signature_tolerance_seconds": int},
    "smtp": {
        "host": str,
        "port": int,
        "security": str,
        "username": str,
        "password_env": str,
        "from": str,
        "timeout_seconds": float,
        "ca_file": str,
    },
    "alerts": {
        "intents": list,
        "stages": list,
        "min_confidence": float,
        "stage_change_kinds": list,
        "max_age_hours": float,
        "recipients": list,
    },
}
_RECIPIENT_KEYS: dict[str, type] = {
    "channel": str,
    "target": str,
    "mode": str,
    "digest_minutes": int,
}


def load_delivery_settings(directory: Path) -> DeliverySettings:
    """Read delivery.toml in directory; defaults (no recipients) when the file is absent."""
    path = directory / FILE
    if not path.is_file():
        return DeliverySettings()
    data = read_toml(path)
    unknown = sorted(set(data) - set(_SECTIONS))
    if unknown:
        known = ", ".join(_SECTIONS)
        raise ConfigError(f"{path}: unknown section {unknown[0]!r}; known: {known}")
    tables = {
        name: _checked(path, name, data.get(name, {}), keys) for name, keys in _SECTIONS.items()
    }
    outbox = OutboxSettings(**tables["outbox"])
    if outbox.max_attempts < 1 or outbox.backoff_base_seconds <= 0 or outbox.poll_seconds <= 0:
        raise ConfigError(
            f"{path}: outbox.max_attempts, backoff_base_seconds and poll_seconds must be positive"
        )
    webhooks = WebhookSettings(**tables["webhooks"])
    if webhooks.pause_after_failures < 1:
        raise ConfigError(f"{path}: webhooks.pause_after_failures must be 1 or more")
    return DeliverySettings(outbox, webhooks, _smtp(path, tables["smtp"]), _alerts(path, tables))


def _checked(path: Path, where: str, table: Any, keys: dict[str, type]) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: {where} must be a table ([{where}])")
    for key, value in table.items():
        expected = keys.get(key)
        if expected is None:
            raise ConfigError(f"{path}: unknown setting {where}.{key}; known: {', '.join(keys)}")
        numeric = expected is float and isinstance(value, int)
        if isinstance(value, bool) or not (isinstance(value, expected) or numeric):
            raise ConfigError(f"{path}: {where}.{key} must be {expected.__name__}, got {value!r}")
    return {k: float(v) if keys[k] is float else v for k, v in table.items()}


def _smtp(path: Path, table: dict[str, Any]) -> SmtpSettings:
    security = table.get("security", "starttls")
    if security not in SECURITY:
        raise ConfigError(f"{path}: smtp.security must be one of {', '.join(SECURITY)}")
    # Credentials come from the environment so the file can be shared and committed.
    password_env = table.get("password_env", "SIGNALS_SMTP_PASSWORD")
    defaults = SmtpSettings()
    return SmtpSettings(
        host=table.get("host", defaults.host),
        port=table.get("port", 465 if security == "ssl" else 587 if security == "starttls" else 25),
        security=security,
        username=table.get("username", ""),
        password=os.environ.get(password_env, ""),
        sender=table.get("from", defaults.sender),
        timeout_seconds=table.get("timeout_seconds", defaults.timeout_seconds),
        ca_file=_ca_file(path, table.get("ca_file", "")),
    )


def _ca_file(path: Path, value: str) -> Path | None:
    """smtp.ca_file, relative to the configuration directory; it must be there now."""
    if not value:
        return None
    ca_file = path.parent / value
    fix = (
        "give the PEM file of the CA that signed the mail server's certificate, or remove the "
        "line to trust the system's"
    )
    if not ca_file.is_file():
        raise ConfigError(f"{path}: smtp.ca_file {str(ca_file)!r} is not a file; {fix}")
    try:
        ssl.create_default_context(cafile=str(ca_file))
    except (ssl.SSLError, ValueError) as exc:
        raise ConfigError(
            f"{path}: smtp.ca_file {str(ca_file)!r} holds no usable certificate ({exc}); {fix}"
        ) from None
    return ca_file


def _alerts(path: Path, tables: dict[str, dict[str, Any]]) -> AlertRules:
    table = tables["alerts"]
    for key in ("intents", "stages", "stage_change_kinds"):
        if not all(isinstance(v, str) for v in table.get(key, [])):
            raise ConfigError(f"{path}: alerts.{key} must be a list of strings")
    kinds = tuple(table.get("stage_change_kinds", ("lifecycle", "buyer")))
    if set(kinds) - {"lifecycle", "buyer"}:
        raise ConfigError(f'{path}: alerts.stage_change_kinds takes "lifecycle" and "buyer"')
    minimum = table.get("min_confidence", 0.7)
    if not 0.0 <= minimum <= 1.0:
        raise ConfigError(f"{path}: alerts.min_confidence must be between 0 and 1")
    recipients = tuple(
        _recipient(path, index, entry) for index, entry in enumerate(table.get("recipients", []))
    )
    return AlertRules(
        intents=tuple(table.get("intents", ())),
        stages=tuple(table.get("stages", ())),
        min_confidence=minimum,
        stage_change_kinds=kinds,
        max_age_hours=table.get("max_age_hours", 72.0),
        recipients=recipients,
    )


def _recipient(path: Path, index: int, entry: Any) -> Recipient:
    where = f"alerts.recipients[{index}]"
    values = _checked(path, where, entry, _RECIPIENT_KEYS)
    channel, target = values.get("channel"), values.get("target")
    if channel not in CHANNELS:
        raise ConfigError(f'{path}: {where} needs channel = "slack" or "email"')
    if not target:
        what = "an incoming-webhook URL" if channel == "slack" else "an e-mail address"
        raise ConfigError(f"{path}: {where} needs target = {what}")
    if channel == "email" and "@" not in target:
        raise ConfigError(f"{path}: {where}: {target!r} is not an e-mail address")
    if channel == "slack" and not target.startswith(("https://", "http://")):
        raise ConfigError(f"{path}: {where}: target must be the Slack incoming-webhook URL")
    mode = values.get("mode", "immediate")
    if mode not in MODES:
        raise ConfigError(f'{path}: {where}: mode must be "immediate" or "digest"')
    minutes = values.get("digest_minutes", 60)
    if minutes < 1:
        raise ConfigError(f"{path}: {where}: digest_minutes must be 1 or more")
    return Recipient(channel, target, mode, minutes)
