"""Schema-driven fuzzing of the whole partner API (schemathesis, every built-in check, positive
and negative data, with the tokens of two roles): no server error and no response that
contradicts the OpenAPI schema, on every operation. Bounded (a few examples per operation,
derandomized) so it stays a regular test of the suite.

Writes whose body is schema-valid may still name a scenario, unit, customer or task that does
not exist or is not visible: the answer is then 400 with the field named (documented on every
operation), so for POST/PATCH a 400 is an accepted answer to "positive" data. Everything else
runs with schemathesis' defaults."""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from hrcore.wsgi import application

# One worker runs every operation, so the module's world and tokens are built once.
pytestmark = pytest.mark.xdist_group(name="api-fuzz")

# A few examples per operation keep this a regular test (about a minute on two idle cores).
# KEEL_FUZZ_EXAMPLES=50 KEEL_FUZZ_COVERAGE=1 runs a deeper search (schemathesis' coverage phase:
# boundary values of every parameter), e.g. before a release.
MAX_EXAMPLES = int(os.environ.get("KEEL_FUZZ_EXAMPLES", "4"))
COVERAGE = os.environ.get("KEEL_FUZZ_COVERAGE", "") == "1"
CONFIG = schemathesis.config.SchemathesisConfig.from_dict(
    {
        # NUL is refused on purpose everywhere (a 400 "nul_character", tested in
        # tests/hrcore/test_input_guards.py): schema-valid data here carries none.
        "generation": {"max-examples": MAX_EXAMPLES, "allow-x00": False},
        "phases": {"stateful": {"enabled": False}, "coverage": {"enabled": COVERAGE}},
        "operations": [
            {
                "include-method": ["POST", "PATCH"],
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": ["2xx", "400", "401", "403", "404", "409", "422"]
                    }
                },
            }
        ],
    }
)
# Module level, as ENGINEERING §4 says (the fixture-based loader breaks with pytest 9.2).
schema = schemathesis.openapi.from_wsgi("/api/schema/", application, config=CONFIG)
ROLES = ("manager", "vp")
# Operations only HR admins may use are also fuzzed with an HR admin's token (for the other two
# roles they stop at the 403), so their validation and answers are checked too.
HR_ADMIN_PATHS = ("/api/v1/webhook-subscriptions/",)


@pytest.fixture(scope="module")
def tokens(django_db_setup, django_db_blocker):
    """The demo world and one token per role, seeded once for the module inside a transaction
    that is rolled back at its end (each test's own writes roll back to a savepoint inside it),
    so the ~50 operations do not pay for the seed each and nothing leaks to other modules."""
    from django.contrib.auth import get_user_model
    from django.core import signals
    from django.db import close_old_connections, transaction

    from hrcore import demo as hr_demo
    from hrcore.services.tokens import api_token_issue
    from integrations import demo as integrations_demo
    from responsibilities import demo as responsibilities_demo

    # schemathesis calls the WSGI application directly, whose request signals would close the
    # connection (and so roll back the transactions below) on PostgreSQL; Django's test client
    # disconnects them the same way.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            hr_demo.seed()
            responsibilities_demo.seed()
            integrations_demo.seed()
            users = get_user_model().objects.in_bulk((*ROLES, "hradmin"), field_name="username")
            yield {
                role: api_token_issue(user=users[role], scopes=("read", "write"))[1]
                for role in (*ROLES, "hradmin")
            }
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            signals.request_started.connect(close_old_connections)
            signals.request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def hr_subscription(tokens):
    """A subscription the HR admin's positive cases address. Its id is one generated data does
    not hit (ids such as 1 come up often, also in negative cases whose mutation does not reach
    the request, which a 2xx would then fail)."""
    from integrations.crypto import encrypt
    from integrations.models import Partner, WebhookSubscription

    return WebhookSubscription.objects.create(
        pk=987_654_321,
        partner=Partner.objects.order_by("pk").first(),
        url="https://hooks.example/keel",
        events=["crisis.filed"],
        secret_encrypted=encrypt("fuzz"),
    ).pk


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, tokens, hr_subscription):
    hr_only = case.path.startswith(HR_ADMIN_PATHS)
    for role in (*ROLES, "hradmin") if hr_only else ROLES:
        case.call_and_validate(headers={"Authorization": f"Bearer {tokens[role]}"})
    positive = case.meta is None or not case.meta.generation.mode.is_negative
    if hr_only and positive and "id" in (case.path_parameters or {}):
        generated = case.path_parameters
        case.path_parameters = {**generated, "id": str(hr_subscription)}
        try:
            case.call_and_validate(headers={"Authorization": f"Bearer {tokens['hradmin']}"})
        finally:
            case.path_parameters = generated
