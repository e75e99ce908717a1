"""HMAC signatures for webhooks, both directions (pure: no Django).

The signature covers the timestamp and the raw body: ``sha256=hex(HMAC(secret, f"{ts}.".encode() +
body))``, sent as ``X-Keel-Signature`` with ``X-Keel-Timestamp`` (Unix seconds) and
``X-Keel-Delivery`` (a unique delivery id used to drop replays)."""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Keel-Signature"
TIMESTAMP_HEADER = "X-Keel-Timestamp"
DELIVERY_HEADER = "X-Keel-Delivery"
EVENT_HEADER = "X-Keel-Event"
DEFAULT_WINDOW_SECONDS = 300


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def signed_headers(
    secret: str, body: bytes, *, delivery_id: str, event: str = "", now: float | None = None
) -> dict[str, str]:
    timestamp = int(now if now is not None else time.time())
    headers = {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: str(timestamp),
        DELIVERY_HEADER: delivery_id,
        SIGNATURE_HEADER: sign(secret, timestamp, body),
    }
    if event:
        headers[EVENT_HEADER] = event
    return headers


class SignatureError(Exception):
    """Why an inbound webhook is refused (shown in the 4xx body and the delivery log)."""

    def __init__(self, code: str, reason: str):
        super().__init__(reason)
        self.code = code
        self.reason = reason


def verify(
    secret: str,
    *,
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    now: float | None = None,
    window: int = DEFAULT_WINDOW_SECONDS,
) -> int:
    """Check the timestamp window and the signature; return the timestamp or raise."""
    if not signature:
        raise SignatureError("signature_missing", "The X-Keel-Signature header is missing.")
    if not timestamp:
        raise SignatureError("timestamp_missing", "The X-Keel-Timestamp header is missing.")
    try:
        ts = int(timestamp)
    except ValueError as exc:
        raise SignatureError("timestamp_invalid", "X-Keel-Timestamp is not a Unix time.") from exc
    current = now if now is not None else time.time()
    if abs(current - ts) > window:
        raise SignatureError(
            "timestamp_stale",
            f"The timestamp is outside the {window} s window; the request may be a replay.",
        )
    if not hmac.compare_digest(sign(secret, ts, body), signature.strip()):
        raise SignatureError("signature_invalid", "The signature does not match the body.")
    return ts
