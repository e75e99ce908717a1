"""The partner-API token scopes: their names and what each admits (the vocabulary the token
services validate against and the API layer enforces)."""

from __future__ import annotations

SCOPE_DESCRIPTIONS = {
    "read": "every reading operation (GET), and dry runs that change nothing.",
    "write": "every operation that changes data (what the token's owner may do), including "
    "filing crises and recording evidence.",
    "crisis:file": "filing a crisis (`POST /api/v1/crises/`), nothing else: not even reading.",
    "crisis:drill": 'filing a drill (`POST /api/v1/crises/` with `"drill": true`; the token\'s '
    "owner must be an HR admin), nothing else.",
    "evidence:write": "appending competency evidence (`POST /api/v1/competency-evidence/`), "
    "nothing else.",
    "webhooks": "managing outbound webhook subscriptions (`/api/v1/webhook-subscriptions/`: "
    "list, create, read, change, deactivate, rotate the secret, read the delivery log; the "
    "token's owner must be an HR admin), nothing else. Inbound partner webhooks "
    "(`/api/v1/integrations/webhooks/{partner}/`) authenticate with the partner's signature, "
    "not a token.",
}
SCOPES = tuple(SCOPE_DESCRIPTIONS)
