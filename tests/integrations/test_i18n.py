"""User-facing text of the integrations app in both languages: API errors, the admin's connection
test, the dossier history's reasons, and the title of a crisis filed by a partner event."""

from __future__ import annotations

import re

import pytest

from integrations.choices import DossierReason
from integrations.services import dossiers

from .test_webhooks import post

pytestmark = pytest.mark.django_db


def _speaks(user, language: str) -> None:
    """Pages follow the employee's stored language (over Accept-Language)."""
    user.employee.language = language
    user.employee.save(update_fields=["language"])


@pytest.mark.parametrize(
    ("language", "detail"),
    [("zh-hans", "未找到，或您无权查看。"), ("en", "Not found, or not visible to you.")],
)
def test_crisis_dossier_api_not_found_is_translated(users, api_as, language, detail):
    response = api_as("manager").get(
        "/api/v1/integrations/crises/999999/dossier/", HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 404
    assert response.json()["detail"] == detail


@pytest.mark.parametrize(
    ("language", "text"),
    [("zh-hans", "sandbox-finance：连接正常。"), ("en", "sandbox-finance: the connection works.")],
)
def test_admin_connection_test_message_is_translated(client_as, partners, users, language, text):
    _speaks(users["hradmin"], language)
    response = client_as("hradmin").post(
        "/admin/integrations/partner/",
        {"action": "test_connection", "_selected_action": [partners["finance"].pk]},
        HTTP_ACCEPT_LANGUAGE=language,
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert messages == [text]


@pytest.mark.parametrize(
    ("language", "label", "raw"),
    [("zh-hans", "打开页面", ">page<"), ("en", "Page opened", ">page<")],
)
def test_dossier_history_shows_translated_reasons(
    customers, client_as, users, language, label, raw
):
    _speaks(users["manager"], language)
    dossiers.dossier_request(customer=customers["CUST-1001"], reason=DossierReason.PAGE)
    body = (
        client_as("manager")
        .get("/integrations/customers/CUST-1001/", HTTP_ACCEPT_LANGUAGE=language)
        .content.decode()
    )
    assert re.search(rf'<td data-label="[^"]+">{label}</td>', body), body
    assert raw not in body


def test_every_reason_in_use_has_a_label():
    assert set(DossierReason.values) >= {
        "manual",
        "page",
        "panel",
        "refresh",
        "api",
        "filed",
        "webhook",
        "retry",
    }


def _collectors(client, partners, delivery, **payload):
    from crisis.models import Crisis

    body = {"event": "collectors.on_site", "customer": "CUST-1001", **payload}
    response = post(client, body, delivery=delivery)
    assert response.status_code == 200, response.content
    return Crisis.objects.get(pk=response.json()["result"]["crisis_id"])


def test_collectors_crisis_title_defaults_to_chinese(partners, maps, client):
    crisis = _collectors(client, partners, "t-1", location="上海办公室")
    assert crisis.title == f"催收人员到场：{crisis.customer.name_zh}（上海办公室）"
    assert "Collectors" not in crisis.title


def test_collectors_crisis_title_in_the_filers_language(partners, maps, client, users):
    filer = users["manager"]
    _speaks(filer, "en")
    partners["finance"].service_user = filer
    partners["finance"].save(update_fields=["service_user"])
    crisis = _collectors(client, partners, "t-2", location="Shanghai office")
    assert crisis.title == f"Collectors on site: {crisis.customer.name_en} @ Shanghai office"
    assert "催收" not in crisis.title
