"""API scaffold: bearer tokens, JSON errors, read endpoints, permissions, schema."""

import io

import pytest
from django.core.management import call_command

from hrcore.models import ApiToken, OrgUnit

pytestmark = pytest.mark.django_db


def test_no_token_is_401_json(api_client, demo_org):
    response = api_client.get("/api/v1/org-units/")
    assert response.status_code == 401
    assert response.json()["status"] == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Bearer"


def test_wrong_token_is_401(api_client, demo_org):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer keel_nope")
    response = api_client.get("/api/v1/org-units/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    assert response.json()["detail"] == "令牌无效或已被吊销。"  # the default UI language


def test_issue_api_token_prints_a_working_token_on_its_last_line(api_client, users):
    out = io.StringIO()
    call_command("issue_api_token", "manager", "--scopes", "read", stdout=out, stderr=io.StringIO())
    key = out.getvalue().strip().splitlines()[-1]
    token = ApiToken.objects.get(key_hash=ApiToken.hash_key(key))
    assert token.user.username == "manager"
    assert token.scopes == ["read"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    response = api_client.get("/api/v1/org-units/sh/")
    assert response.status_code == 200
    assert response.json()["name_en"] == "Shanghai Co."
    assert response.json()["parent"] == "demo-group"


def test_org_units_list_and_filters(api_as):
    client = api_as("staff")
    response = client.get("/api/v1/org-units/", {"function": "finance"})
    assert response.status_code == 200
    codes = [u["code"] for u in response.json()["results"]]
    assert codes == ["sh-finance", "sz-finance"]


def test_unknown_filter_value_is_400_not_500(api_as):
    response = api_as("staff").get("/api/v1/org-units/", {"function": "astrology"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "function" in response.json()["errors"]


def test_not_found_is_json_404(api_as):
    response = api_as("staff").get("/api/v1/org-units/nowhere/")
    assert response.status_code == 404
    assert response.json() == {
        "status": 404,
        "code": "not_found",
        "detail": response.json()["detail"],
    }


def test_unknown_api_path_is_json_404(api_as):
    response = api_as("staff").get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_writes_are_not_allowed_on_read_endpoints_and_change_nothing(api_as):
    count = OrgUnit.objects.count()
    response = api_as("hradmin").post("/api/v1/org-units/", {"code": "x"}, format="json")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert OrgUnit.objects.count() == count


def test_malformed_json_is_400_with_message(api_as, users):
    client = api_as("hradmin")
    response = client.generic(
        "POST", "/api/v1/org-units/", "{not json", content_type="application/json"
    )
    assert response.status_code in (400, 405)
    assert response.json()["status"] == response.status_code


def test_phone_numbers_only_for_hr_admins(api_as, users):
    employee = users["finance"].employee
    employee.phone = "+86 138 0000 0000"
    employee.save()
    assert "phone" not in api_as("staff").get(f"/api/v1/employees/{employee.pk}/").json()
    assert (
        api_as("hradmin").get(f"/api/v1/employees/{employee.pk}/").json()["phone"]
        == "+86 138 0000 0000"
    )


def test_read_scope_token_cannot_write(api_as):
    """An HR admin may create scenarios; a token of theirs limited to ``read`` may not."""
    from responsibilities.models import Scenario

    body = {"code": "token-scope-probe", "name_en": "Probe", "name_zh": "探测"}
    before = Scenario.objects.count()
    reader = api_as("hradmin", scopes=["read"])
    assert reader.get("/api/v1/positions/").status_code == 200
    refused = reader.post("/api/v1/scenarios/", body, format="json")
    assert refused.status_code == 403, refused.content
    assert refused.json()["status"] == 403
    assert Scenario.objects.count() == before
    assert not Scenario.objects.filter(code="token-scope-probe").exists()
    # the same request with the write scope is accepted: the refusal was the scope's
    writer = api_as("hradmin", scopes=["read", "write"])
    assert writer.post("/api/v1/scenarios/", body, format="json").status_code == 201
    assert Scenario.objects.filter(code="token-scope-probe").exists()


def test_session_auth_for_the_browser(client_as):
    response = client_as("staff").get("/api/v1/positions/vice-president/")
    assert response.status_code == 200
    assert response.json()["title_zh"] == "副总裁"


def test_schema_is_openapi_3_with_error_responses(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    operation = schema["paths"]["/api/v1/org-units/"]["get"]
    assert set(operation["responses"]) >= {"200", "400", "401", "403", "404", "429"}
    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_api_docs_page_loads_offline_assets(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger-ui" in response.content
    assert b"cdn." not in response.content
