"""HMAC signatures for webhooks, both directions (pure: no Django).

The signature covers the timestamp, the delivery id and the raw body:
``sha256=hex(HMAC(secret, f"{ts}.{delivery_id}.".encode() + body))``, sent as ``X-Keel-Signature``
with ``X-Keel-Timestamp`` (Unix seconds) and ``X-Keel-Delivery`` (a unique delivery id used to
drop replays). Because the delivery id is signed, a captured request cannot be replayed under a
new id; because every partner has its own secret, one partner's secret cannot sign for another.
(The first format, ``HMAC(secret, f"{ts}.".encode() + body)``, left the delivery id unsigned and
is refused.)"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Keel-Signature"
TIMESTAMP_HEADER = "X-Keel-Timestamp"
DELIVERY_HEADER = "X-Keel-Delivery"
EVENT_HEADER = "X-Keel-Event"
DEFAULT_WINDOW_SECONDS = 300


def signed_message(timestamp: int | str, delivery_id: str, body: bytes) -> bytes:
    return f"{timestamp}.{delivery_id}.".encode() + body


def sign(secret: str, timestamp: int | str, delivery_id: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), signed_message(timestamp, delivery_id, body), hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def body_digest(body: bytes) -> str:
    """The SHA-256 of a raw body, kept per partner to refuse the same body under a new id."""
    return hashlib.sha256(body).hexdigest()


def signed_headers(
    secret: str, body: bytes, *, delivery_id: str, event: str = "", now: float | None = None
) -> dict[str, str]:
    timestamp = int(now if now is not None else time.time())
    headers = {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: str(timestamp),
        DELIVERY_HEADER: delivery_id,
        SIGNATURE_HEADER: sign(secret, timestamp, delivery_id, body),
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
    delivery_id: str | None,
    signature: str | None,
    now: float | None = None,
    window: int = DEFAULT_WINDOW_SECONDS,
) -> int:
    """Check the timestamp window and the signature over timestamp, delivery id and body; return
    the timestamp or raise."""
    if not signature:
        raise SignatureError("signature_missing", "The X-Keel-Signature header is missing.")
    if not timestamp:
        raise SignatureError("timestamp_missing", "The X-Keel-Timestamp header is missing.")
    if not delivery_id:
        raise SignatureError("delivery_id_missing", "The X-Keel-Delivery header is missing.")
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
    expected = sign(secret, ts, delivery_id, body).encode()
    # bytes, not str: compare_digest raises TypeError on a non-ASCII str (a 500, not a 401)
    if not hmac.compare_digest(expected, signature.strip().encode("utf-8", "replace")):
        raise SignatureError(
            "signature_invalid",
            "The signature does not match: sign f'{timestamp}.{delivery_id}.' + body with "
            "this partner's own secret.",
        )
    return ts
