"""``Idempotency-Key`` for partner-API writes: one implementation for every app.

A partner that retries a write (timeout, lost answer) sends the same ``Idempotency-Key``
header. The contract:

* no header → the write runs as usual (nothing stored);
* first use of a key → the write runs; its 2xx response (status and JSON body) is stored
  together with a fingerprint of the request, in the same transaction as the write;
* same key, same request → the stored status and body are sent again (header
  ``Idempotent-Replayed: true``); the write does not run again;
* same key, different request → 409 ``idempotency_key_reused``;
* two first uses at the same moment → the key row is claimed *before* the write, so the second
  request waits on the unique index until the first commits and then gets the replay (or, if
  the first is still not visible, 409 ``idempotency_key_in_use``, retry later). If the first
  fails, nothing was stored and the second one runs;
* a key is at most ``MAX_KEY_LENGTH`` characters (400 otherwise).

Keys are scoped per user (the token's owner) and endpoint name, so partners cannot collide.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from hrcore.claims import insert_once
from hrcore.errors import Conflict, ValidationFailed
from hrcore.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 200

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    name=HEADER,
    type=str,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        f"Any unique string (at most {MAX_KEY_LENGTH} characters) chosen by the client for this "
        "write. Retrying with the same key and the same body returns the first response (same "
        f"status and body, header `{REPLAYED_HEADER}: true`) without writing again; the same key "
        "with a different body is refused with 409 `idempotency_key_reused`. A retry sent while "
        "the first request is still running waits for it and gets its response, or 409 "
        "`idempotency_key_in_use` (retry later). Keys are scoped to the token's user and the "
        "endpoint."
    ),
)


def idempotency_key_of(request: Request) -> str | None:
    """The request's ``Idempotency-Key`` (stripped), None when absent; 400 when too long."""
    key = (request.headers.get(HEADER) or "").strip()
    if not key:
        return None
    if len(key) > MAX_KEY_LENGTH:
        raise ValidationFailed(
            _("The Idempotency-Key header is too long (at most %(n)d characters).")
            % {"n": MAX_KEY_LENGTH},
            errors={HEADER: [_("At most %(n)d characters.") % {"n": MAX_KEY_LENGTH}]},
        )
    return key


def request_fingerprint(request: Request) -> str:
    """SHA-256 over method, path and the parsed body (key order does not matter)."""
    data = request.data
    if hasattr(data, "lists"):  # QueryDict from a form or multipart body
        data = {k: [str(v) for v in values] for k, values in data.lists()}
    canonical = json.dumps(
        [request.method, request.path, data], sort_keys=True, ensure_ascii=False, default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay(
    stored: IdempotencyKey | None, fingerprint: str, unseal: Callable[[object], object] | None
) -> Response:
    if stored is None or not stored.response_status:
        raise Conflict(
            _("A request with this Idempotency-Key is still being processed; retry shortly."),
            code="idempotency_key_in_use",
        )
    if stored.fingerprint != fingerprint:
        raise Conflict(
            _("This Idempotency-Key was already used with a different request."),
            code="idempotency_key_reused",
        )
    body = unseal(stored.response_body) if unseal else stored.response_body
    return Response(body, status=stored.response_status, headers={REPLAYED_HEADER: "true"})


def _stored(user, endpoint: str, key: str) -> IdempotencyKey | None:
    return IdempotencyKey.objects.filter(user=user, endpoint=endpoint, key=key).first()


def _claim(user, endpoint: str, key: str, fingerprint: str) -> IdempotencyKey | None:
    """Insert the key row (status 0); None when another request holds the key. On PostgreSQL
    the insert waits for a concurrent holder's transaction to end."""
    return insert_once(
        IdempotencyKey, user=user, endpoint=endpoint, key=key, fingerprint=fingerprint
    )


def idempotent_create(
    request: Request,
    endpoint: str,
    perform: Callable[[str | None], Response],
    *,
    seal: Callable[[object], object] | None = None,
    unseal: Callable[[object], object] | None = None,
) -> Response:
    """Run ``perform(key)`` at most once per (user, ``endpoint``, ``Idempotency-Key``).

    ``endpoint`` is a stable name such as ``"competency.evidence.create"``. ``perform`` gets the
    key (None without the header; services may use it as a second dedupe key), does the write
    and returns a DRF ``Response``; it runs inside the transaction that stores the key, so an
    exception (or a non-2xx response) stores nothing and rolls the write back. Its own
    ``IntegrityError`` is not touched here.

    ``seal`` turns the JSON body into what is stored (e.g. a secret in it encrypted) and
    ``unseal`` back into what a replay sends; both default to the body itself.
    """
    key = idempotency_key_of(request)
    user = request.user
    if key is None or not getattr(user, "is_authenticated", False):
        return perform(None)
    fingerprint = request_fingerprint(request)
    stored = _stored(user, endpoint, key)
    if stored is not None:
        return _replay(stored, fingerprint, unseal)
    with transaction.atomic():
        row = _claim(user, endpoint, key, fingerprint)
        if row is None:  # a concurrent first use committed (or holds) the key
            stored = _stored(user, endpoint, key)
        else:
            response = perform(key)
            if not 200 <= response.status_code < 300:
                transaction.set_rollback(True)
                return response
            body = json.loads(JSONRenderer().render(response.data) or b"null")
            row.response_status = response.status_code
            row.response_body = seal(body) if seal else body
            row.save(update_fields=["response_status", "response_body"])
            response.data = body  # the first answer and every replay render the same JSON
            return response
    return _replay(stored, fingerprint, unseal)
