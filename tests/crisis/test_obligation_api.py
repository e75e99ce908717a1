"""Statutory clocks in the API (issue 15 §3): the list's shape, filing as JSON and multipart, the
not-applicable variant, every refusal with its status, permissions and bilingual messages."""

from __future__ import annotations

import pytest
from django.test import override_settings

from crisis.library import obligations_install
from crisis.models import CrisisObligation
from crisis.services.filing import crisis_file
from crisis.services.participants import crisis_invite

REQUIRED = {"id", "code", "title", "basis", "due_at", "state"}


@pytest.fixture
def leak(crisis_world, users):
    obligations_install()
    return crisis_file(scenario="data-leak", title="客户数据泄露", actor=users["manager"])


def clock_id(crisis, code: str) -> int:
    return CrisisObligation.objects.get(crisis=crisis, code=code).pk


def file_url(pk: int) -> str:
    return f"/api/v1/obligations/{pk}/file/"


@pytest.mark.django_db
def test_list_shape_in_both_languages(leak, api_as):
    client = api_as("manager")
    response = client.get(f"/api/v1/crises/{leak.pk}/obligations/")
    assert response.status_code == 200
    rows = response.json()
    assert [r["code"] for r in rows] == [
        "network-incident-report-1h",
        "pipl-breach-individuals",
        "pipl-breach-regulator",
        "gdpr-breach-72h",
    ]
    assert all(set(r) >= REQUIRED for r in rows)
    assert {r["state"] for r in rows} == {"running"}
    first = rows[0]  # Chinese unless asked otherwise
    assert first["title"] == first["title_zh"] == "网络安全事件报告（特别重大，1小时内）"
    assert first["basis"].startswith("《国家网络安全事件报告管理办法》")
    en = client.get(f"/api/v1/crises/{leak.pk}/obligations/", HTTP_ACCEPT_LANGUAGE="en")
    assert en.json()[0]["title"] == en.json()[0]["title_en"]
    assert en.json()[0]["basis"].startswith("National Measures for Reporting Network-Security")


@pytest.mark.django_db
def test_file_with_a_note_then_twice_is_a_clear_409(leak, api_as):
    client = api_as("manager")
    pk = clock_id(leak, "network-incident-report-1h")
    done = client.post(file_url(pk), {"note": "CAC ticket 8812"}, format="json")
    assert done.status_code == 200
    body = done.json()
    assert (body["id"], body["state"], body["note"], body["filed_by"]) == (
        pk,
        "filed",
        "CAC ticket 8812",
        "manager",
    )
    again = client.post(file_url(pk), {"note": "again"}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 409
    assert again.json()["code"] == "obligation_closed"
    assert again.json()["detail"].startswith("This obligation was already filed (")
    zh = client.post(file_url(pk), {"note": "again"}, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert zh.status_code == 409 and zh.json()["detail"].startswith("该法定义务已于")


@pytest.mark.django_db
def test_file_with_proof_as_multipart(leak, api_as):
    from django.core.files.uploadedfile import SimpleUploadedFile

    pk = clock_id(leak, "pipl-breach-regulator")
    proof = SimpleUploadedFile("notice.pdf", b"%PDF-1.4 notice", content_type="application/pdf")
    response = api_as("vp").post(file_url(pk), {"file": proof}, format="multipart")
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["file_name"]) == ("filed", "notice.pdf")


@pytest.mark.django_db
def test_not_applicable_needs_a_reason(leak, api_as):
    client = api_as("hradmin")
    pk = clock_id(leak, "gdpr-breach-72h")
    missing = client.post(file_url(pk), {"not_applicable": True}, format="json")
    assert missing.status_code == 400 and "reason" in missing.json()["errors"]
    mixed = client.post(
        file_url(pk), {"not_applicable": True, "reason": "x", "note": "y"}, format="json"
    )
    assert mixed.status_code == 400
    stray = client.post(file_url(pk), {"reason": "No EU subject"}, format="json")
    assert stray.status_code == 400 and "reason" in stray.json()["errors"]
    done = client.post(
        file_url(pk), {"not_applicable": True, "reason": "No EU data subject."}, format="json"
    )
    assert done.status_code == 200
    assert (done.json()["state"], done.json()["reason"]) == (
        "not_applicable",
        "No EU data subject.",
    )
    assert client.post(file_url(pk), {"note": "late"}, format="json").status_code == 409


@pytest.mark.django_db
def test_bad_input_is_a_400_and_nothing_changes(leak, api_as):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = api_as("manager")
    pk = clock_id(leak, "pipl-breach-individuals")
    empty = client.post(file_url(pk), {}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert empty.status_code == 400 and empty.json()["errors"] == {"note": "Give a note or a file."}
    empty_zh = client.post(file_url(pk), {}, format="json")
    assert empty_zh.json()["errors"] == {"note": "请填写说明或上传文件。"}
    blank = client.post(file_url(pk), {"note": "   "}, format="json")
    assert blank.status_code == 400
    exe = SimpleUploadedFile("proof.exe", b"MZ\x90\x00", content_type="application/x-msdownload")
    assert client.post(file_url(pk), {"file": exe}, format="multipart").status_code == 400
    fake = SimpleUploadedFile("proof.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    assert client.post(file_url(pk), {"file": fake}, format="multipart").status_code == 400
    with override_settings(KEEL_CRISIS_UPLOAD_MAX_BYTES=10):
        big = SimpleUploadedFile("big.pdf", b"%PDF-1.4 " + b"x" * 20)
        too_big = client.post(file_url(pk), {"file": big}, format="multipart")
    assert too_big.status_code == 400 and too_big.json()["errors"] == {"file": "文件过大。"}
    not_a_file = client.post(file_url(pk), {"file": "text"}, format="json")
    assert not_a_file.status_code == 400
    assert client.post(file_url(pk), ["note"], format="json").status_code == 400
    assert CrisisObligation.objects.get(pk=pk).state == "running"


@pytest.mark.django_db
def test_permissions_participants_see_managers_file_others_get_404(leak, api_as, users):
    pk = clock_id(leak, "pipl-breach-individuals")
    # A participant (legal holds a task) sees the clocks but may not file them.
    legal = api_as("legal")
    assert legal.get(f"/api/v1/crises/{leak.pk}/obligations/").status_code == 200
    refused = legal.post(file_url(pk), {"note": "done"}, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "not_crisis_manager"
    # An invited outsider sees, and still does not file.
    crisis_invite(crisis=leak, user=users["staff"], actor=users["manager"])
    assert api_as("staff").get(f"/api/v1/crises/{leak.pk}/obligations/").status_code == 200
    assert api_as("staff").post(file_url(pk), {"note": "x"}, format="json").status_code == 403
    # Another subsidiary's manager does not see the crisis: 404 both ways, like a missing clock.
    other = api_as("manager2")
    assert other.get(f"/api/v1/crises/{leak.pk}/obligations/").status_code == 404
    assert other.post(file_url(pk), {"note": "x"}, format="json").status_code == 404
    assert (
        api_as("manager").post(file_url(999_999), {"note": "x"}, format="json").status_code == 404
    )
    # A read-only token reads but does not file.
    reader = api_as("manager", scopes=["read"])
    assert reader.get(f"/api/v1/crises/{leak.pk}/obligations/").status_code == 200
    assert reader.post(file_url(pk), {"note": "x"}, format="json").status_code == 403
    # The executive and the HR admin file.
    assert api_as("vp").post(file_url(pk), {"note": "Sent"}, format="json").status_code == 200


@pytest.mark.django_db
def test_another_crisis_clock_is_404_for_who_cannot_see_it(crisis_world, users, api_as):
    obligations_install()
    theirs = crisis_file(scenario="data-leak", title="深圳泄露", actor=users["manager2"])
    pk = clock_id(theirs, "gdpr-breach-72h")
    assert api_as("manager").post(file_url(pk), {"note": "x"}, format="json").status_code == 404


@pytest.mark.django_db
def test_the_schema_documents_both_operations(api_as):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    listing = schema["paths"]["/api/v1/crises/{id}/obligations/"]["get"]
    filing = schema["paths"]["/api/v1/obligations/{id}/file/"]["post"]
    assert "not legal advice" in listing["description"]
    assert set(filing["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    assert {"200", "400", "403", "404", "409"} <= set(filing["responses"])
    assert "not_applicable" in filing["description"]
