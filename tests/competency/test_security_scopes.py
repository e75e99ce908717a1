"""Issue 10, item 3: an ``evidence:write`` token records evidence and nothing else."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from competency.models import Evidence
from hrcore.services import tokens

pytestmark = pytest.mark.django_db


def test_an_evidence_write_token_records_evidence_and_nothing_else(competency_demo, users):
    _token, key = tokens.api_token_issue(user=users["hradmin"], scopes=["evidence:write"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    body = {
        "employee": users["staff"].employee.pk,
        "competency": "emotional-control",
        "level": 2,
        "kind": "training",
        "source": "LMS",
    }
    response = client.post("/api/v1/competency-evidence/", body, format="json")
    assert response.status_code == 201, response.json()
    before = Evidence.objects.count()
    assert client.get("/api/v1/competency-evidence/").status_code == 403
    assert client.get("/api/v1/competency-frameworks/").status_code == 403
    assert client.post("/api/v1/org-units/", {"code": "x"}, format="json").status_code == 403
    assert Evidence.objects.count() == before


def test_a_crisis_file_token_records_no_evidence(competency_demo, users):
    _token, key = tokens.api_token_issue(user=users["hradmin"], scopes=["crisis:file"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    before = Evidence.objects.count()
    body = {"employee": users["staff"].employee.pk, "competency": "emotional-control", "level": 2}
    assert client.post("/api/v1/competency-evidence/", body, format="json").status_code == 403
    assert Evidence.objects.count() == before
