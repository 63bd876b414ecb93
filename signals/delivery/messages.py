"""Alert content (who, what, where, stage, intent, confidence) rendered for Slack and e-mail."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

QUOTE_CHARS = 280
SLACK_MAX_ALERTS = 20  # Slack allows 50 blocks a message; each alert takes two


@dataclass(frozen=True)
class Alert:
    """One thing worth telling a person about: a high-intent signal or a stage change."""

    key: str  # "signal:12" or "stage_change:7": the event it comes from
    kind: str  # "signal" | "stage_change"
    who: str
    account: str | None = None
    contact_id: int | None = None
    headline: str = ""  # "alternative_seeking, evaluate" or "buyer stage Evaluate -> Sample"
    quote: str | None = None
    evidence: tuple[str, ...] = ()
    url: str | None = None
    where: str | None = None  # community or source name
    stage: str | None = None
    intents: tuple[str, ...] = ()
    confidence: float | None = None
    occurred_at: str | None = None  # ISO 8601 UTC
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["evidence"], data["intents"] = list(self.evidence), list(self.intents)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Alert:
        values = dict(data)
        values["evidence"] = tuple(values.get("evidence", ()))
        values["intents"] = tuple(values.get("intents", ()))
        return cls(**values)

    @property
    def title(self) -> str:
        person = f"{self.who} ({self.account})" if self.account else self.who
        if self.kind == "signal":
            return f"Buying signal: {person}: {self.headline}"
        return f"Stage change: {person}: {self.headline}"


def quote_around(text: str, start: int | None, end: int | None) -> str:
    """A short excerpt of text around [start, end), whitespace collapsed."""
    if start is None or end is None or not 0 <= start <= end <= len(text):
        start, end = 0, 0
    width = max(0, QUOTE_CHARS - (end - start)) // 2
    lo, hi = max(0, start - width), min(len(text), end + width)
    excerpt = re.sub(r"\s+", " ", text[lo:hi]).strip()
    return ("…" if lo > 0 else "") + excerpt + ("…" if hi < len(text) else "")


def _details(alert: Alert) -> list[str]:
    lines = []
    if alert.stage or alert.intents:
        lines.append(f"stage: {alert.stage or '-'}; intents: {', '.join(alert.intents) or '-'}")
    if alert.confidence is not None:
        lines.append(f"confidence: {alert.confidence:.0%}")
    if alert.where:
        lines.append(f"where: {alert.where}")
    if alert.occurred_at:
        lines.append(f"when: {alert.occurred_at}")
    return lines


def email_text(alert: Alert) -> str:
    """Plain-text body of one alert."""
    lines = [alert.title, ""]
    if alert.quote:
        lines += [f"  > {alert.quote}", ""]
    if alert.evidence:
        lines.append("evidence: " + "; ".join(f'"{e}"' for e in alert.evidence))
    lines += _details(alert)
    if alert.url:
        lines.append(f"link: {alert.url}")
    return "\n".join(lines) + "\n"


def email_payload(alerts: list[Alert], digest: bool) -> dict[str, str]:
    """{"subject", "text"} for one alert, or for a digest of several."""
    if not digest and len(alerts) == 1:
        return {"subject": alerts[0].title, "text": email_text(alerts[0])}
    signals = sum(a.kind == "signal" for a in alerts)
    changes = len(alerts) - signals
    subject = f"Buying signals digest: {signals} signal(s), {changes} stage change(s)"
    parts = [subject, "=" * len(subject), ""]
    for number, alert in enumerate(alerts, 1):
        parts.append(f"{number}. " + email_text(alert))
    return {"subject": subject, "text": "\n".join(parts)}


def _mrkdwn(text: str) -> str:
    # Slack's three control characters; everything else is shown as written.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_section(alert: Alert) -> list[dict[str, Any]]:
    lines = [f"*{_mrkdwn(alert.title)}*"]
    if alert.quote:
        lines.append("> " + _mrkdwn(alert.quote))
    if alert.evidence:
        lines.append("evidence: " + "; ".join(f"“{_mrkdwn(e)}”" for e in alert.evidence))
    details = " · ".join(_mrkdwn(line) for line in _details(alert))
    if alert.url:
        link = alert.url.replace("|", "%7C").replace(">", "%3E")
        details = f"<{link}|open the post> · {details}" if details else f"<{link}|open the post>"
    if details:
        lines.append(details)
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:2900]}},
        {"type": "divider"},
    ]


def slack_payload(alerts: list[Alert], digest: bool) -> dict[str, Any]:
    """A Slack-compatible incoming-webhook message: fallback text plus blocks."""
    if not digest and len(alerts) == 1:
        return {"text": alerts[0].title, "blocks": _slack_section(alerts[0])[:1]}
    text = email_payload(alerts, digest=True)["subject"]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": text[:150]}}
    ]
    for alert in alerts[:SLACK_MAX_ALERTS]:
        blocks += _slack_section(alert)
    if len(alerts) > SLACK_MAX_ALERTS:
        more = f"…and {len(alerts) - SLACK_MAX_ALERTS} more; see the review queue."
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": more}})
    return {"text": text, "blocks": blocks}
