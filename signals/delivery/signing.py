"""Webhook signatures: `X-Signals-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "t.body")>`.

Receivers check it with `verify` (or the ten lines in notes/delivery.md): recompute the HMAC
over the timestamp, a dot and the raw body bytes, compare in constant time, and refuse old
timestamps so a captured request cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "X-Signals-Signature"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of f"{timestamp}.{body}" under secret."""
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The X-Signals-Signature header value for body sent at timestamp (unix seconds)."""
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(
    secret: str, header: str, body: bytes, tolerance: int = 300, now: float | None = None
) -> bool:
    """True when header signs body under secret and was made within tolerance seconds of now."""
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    # Several v1 values let a sender sign with an old and a new secret while rotating.
    return any(hmac.compare_digest(expected, given) for given in parts.get("v1", []))
