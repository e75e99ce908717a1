"""Issue 10, item 3 on the crisis API: a token acts only as its owner (re-pointing it in the admin
made a decision "by the VP"), and each scope grants exactly what its name says."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from crisis.models import Crisis, Decision
from hrcore.services import tokens
from tests.conftest import pass_second_factor

from .conftest import row_counts

pytestmark = pytest.mark.django_db
BODY = {
    "scenario": "debt-collection-emergency",
    "title": "Collectors in the Shanghai office",
    "unit": "sh-business",
    "severity": "high",
}


def bearer(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def test_a_token_turned_to_the_vp_in_the_admin_still_acts_as_its_owner(
    crisis_world, users, file_emergency
):
    crisis = file_emergency()
    token, key = tokens.api_token_issue(user=users["hradmin"], scopes=["read", "write"])
    admin = Client()
    admin.force_login(users["hradmin"])
    pass_second_factor(admin, users["hradmin"])
    admin.post(f"/admin/hrcore/apitoken/{token.pk}/change/", {"user": users["vp"].pk})
    before = row_counts()
    response = bearer(key).post(
        f"/api/v1/crises/{crisis.pk}/decisions/",
        {"text": "Pay them", "option": "negotiate"},
        format="json",
    )
    assert response.status_code == 403  # hradmin is no executive
    assert row_counts() == before
    assert not Decision.objects.filter(crisis=crisis).exists()


def test_a_crisis_file_token_files_crises_and_nothing_else(crisis_world, users):
    _token, key = tokens.api_token_issue(user=users["manager"], scopes=["crisis:file"])
    client = bearer(key)
    response = client.post("/api/v1/crises/", BODY, format="json")
    assert response.status_code == 201, response.json()
    crisis = Crisis.objects.get(pk=response.json()["id"])
    assert crisis.filed_by == users["manager"]
    before = row_counts()
    assert client.get("/api/v1/crises/").status_code == 403
    assert client.get(f"/api/v1/crises/{crisis.pk}/").status_code == 403
    assert client.get("/api/v1/org-units/").status_code == 403
    assert client.get("/api/v1/customers/").status_code == 403
    task = crisis.tasks.filter(assignee__user=users["manager"]).first()
    if task is not None:
        assert client.post(f"/api/v1/tasks/{task.pk}/acknowledge/").status_code == 403
    assert (
        client.post(f"/api/v1/crises/{crisis.pk}/decisions/", {"text": "x"}, format="json")
    ).status_code == 403
    assert row_counts() == before


@pytest.mark.parametrize(
    ("scopes", "file", "read"),
    [
        (["read"], 403, 200),
        (["write"], 201, 403),
        (["webhooks"], 403, 403),
        (["evidence:write"], 403, 403),
        (["read", "crisis:file"], 201, 200),
        ([], 201, 200),
    ],
)
def test_each_scope_grants_what_its_name_says_on_crises(crisis_world, users, scopes, file, read):
    _token, key = tokens.api_token_issue(user=users["manager"], scopes=scopes)
    client = bearer(key)
    before = Crisis.objects.count()
    assert client.post("/api/v1/crises/", BODY, format="json").status_code == file
    assert Crisis.objects.count() == before + (1 if file == 201 else 0)
    assert client.get("/api/v1/crises/").status_code == read
