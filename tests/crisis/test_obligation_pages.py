"""Statutory clocks on pages (issue 15 §3): the countdowns on the crisis page and the executive
dashboard in both languages and in a constant number of queries, filing from the page, the
proof's download rights, and the HR admins' library page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from crisis.library import obligations_install
from crisis.models import CrisisObligation, Obligation
from crisis.services.filing import crisis_file
from crisis.services.obligations import obligations_sync
from responsibilities.models import Scenario
from tests.clock import page_query_count


@pytest.fixture
def leak(crisis_world, users):
    obligations_install()
    return crisis_file(scenario="data-leak", title="客户数据泄露", actor=users["manager"])


def speak(user, language: str) -> None:
    """Pages follow the employee's stored language."""
    user.employee.language = language
    user.employee.save(update_fields=["language"])


def page(client, crisis):
    return client.get(reverse("crisis:detail", args=[crisis.pk]))


_count = page_query_count  # warm-up and count within one minute (tests/clock.py)


def more_obligations(n: int, scenario: str = "data-leak") -> None:
    for i in range(n):
        obligation = Obligation.objects.create(
            code=f"extra-{scenario}-{i}",
            title_zh=f"附加义务 {i}",
            title_en=f"Extra obligation {i}",
            basis_zh="测试",
            basis_en="Test",
            trigger="awareness",
            period_value=i + 1,
            period_unit="working_days",
        )
        obligation.scenarios.add(Scenario.objects.get(code=scenario))


@pytest.mark.django_db
def test_the_crisis_page_shows_the_clocks_in_both_languages(leak, client_as, users):
    manager = client_as("manager")
    speak(users["manager"], "zh-hans")
    zh = page(manager, leak).content.decode()
    assert 'data-testid="statutory-clocks"' in zh
    assert "法定时限" in zh and "不构成法律意见" in zh
    assert "网络安全事件报告（特别重大，1小时内）" in zh
    assert zh.count('data-testid="clock-file-form"') == 4  # the crisis manager files
    speak(users["manager"], "en")
    en = page(manager, leak).content.decode()
    assert "Statutory clocks" in en and "not legal advice" in en
    assert "Network-security incident report to the regulator (gravest class" in en
    assert "National Measures for Reporting Network-Security Incidents" in en
    # A participant who does not manage the crisis sees the countdowns, not the forms.
    legal = page(client_as("legal"), leak).content.decode()
    assert 'data-testid="statutory-clocks"' in legal
    assert 'data-testid="clock-file-form"' not in legal


@pytest.mark.django_db
def test_filing_from_the_page_and_its_refusals(leak, client_as, users):
    manager = client_as("manager")
    clock = CrisisObligation.objects.get(crisis=leak, code="network-incident-report-1h")
    url = reverse("crisis:obligation_file", args=[clock.pk])
    speak(users["manager"], "en")
    refused = manager.post(url, {"note": ""}, follow=True)
    assert "Say what was filed (a note) or attach the proof (a file)." in refused.content.decode()
    speak(users["manager"], "zh-hans")
    clock.refresh_from_db()
    assert clock.state == "running"
    no_reason = manager.post(url, {"not_applicable": "1", "reason": ""}, follow=True)
    assert "请说明该义务为何不适用。" in no_reason.content.decode()
    speak(users["manager"], "en")
    done = manager.post(url, {"note": "已向网信部门报告"}, follow=True)
    clock.refresh_from_db()
    assert (clock.state, clock.filed_by) == ("filed", users["manager"])
    assert "Filed by" in done.content.decode()
    assert client_as("legal").post(url, {"note": "x"}).status_code == 403
    assert client_as("manager2").post(url, {"note": "x"}).status_code == 404


@pytest.mark.django_db
def test_the_proof_downloads_for_who_sees_the_crisis_in_full(leak, client_as):
    from django.core.files.uploadedfile import SimpleUploadedFile

    clock = CrisisObligation.objects.get(crisis=leak, code="pipl-breach-regulator")
    proof = SimpleUploadedFile("notice.pdf", b"%PDF-1.4 notice", content_type="application/pdf")
    manager = client_as("manager")
    manager.post(reverse("crisis:obligation_file", args=[clock.pk]), {"file": proof})
    url = reverse("crisis:obligation_proof", args=[clock.pk])
    response = manager.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == (
        b"%PDF-1.4 notice"
    )
    assert client_as("vp").get(url).status_code == 200
    assert client_as("manager2").get(url).status_code == 404


@pytest.mark.django_db
def test_crisis_page_queries_stay_constant_as_clocks_grow(leak, client_as):
    manager = client_as("manager")
    url = reverse("crisis:detail", args=[leak.pk])
    four = _count(manager, url)
    more_obligations(8)
    assert len(obligations_sync(leak)) == 8
    assert CrisisObligation.objects.filter(crisis=leak).count() == 12
    assert _count(manager, url) == four


@pytest.mark.django_db
def test_the_dashboard_lists_open_clocks_in_constant_queries(leak, client_as, users):
    vp = client_as("vp")
    url = reverse("crisis:dashboard")
    speak(users["vp"], "zh-hans")
    zh = vp.get(url).content.decode()
    assert 'data-testid="board-clocks"' in zh and "网络安全事件报告" in zh
    speak(users["vp"], "en")
    en = vp.get(url).content.decode()
    assert "Statutory clocks" in en and "4 running" in en
    one = _count(vp, url)
    for i in range(3):
        crisis_file(scenario="data-leak", title=f"Leak {i}", actor=users["manager"])
    more_obligations(3)
    assert _count(vp, url) == one
    # Filed clocks leave the board.
    CrisisObligation.objects.filter(crisis=leak).update(state="filed")
    assert f"#{leak.pk} " not in vp.get(url).content.decode().split('data-testid="board-clocks"')[1]


@pytest.mark.django_db
def test_hr_admins_add_and_edit_obligations(crisis_world, client_as, users):
    obligations_install()
    hr = client_as("hradmin")
    speak(users["hradmin"], "zh-hans")
    assert "不构成法律意见" in hr.get(reverse("crisis:obligations_library")).content.decode()
    speak(users["hradmin"], "en")
    library = hr.get(reverse("crisis:obligations_library"))
    assert library.status_code == 200
    text = library.content.decode()
    assert "GDPR" in text and "not legal advice" in text
    assert client_as("manager").get(reverse("crisis:obligations_library")).status_code == 403
    assert client_as("vp").get(reverse("crisis:obligation_new")).status_code == 403

    form = {
        "code": "eu-dpa-followup",
        "title_zh": "向欧盟监管机构补充报告",
        "title_en": "Follow-up report to the EU authority",
        "basis_zh": "GDPR 第33条第4款",
        "basis_en": "GDPR Art. 33(4)",
        "trigger": "classification",
        "period_value": "5",
        "period_unit": "working_days",
        "extension_value": "0",
        "warn_ratio": "0.5",
        "scenarios": [Scenario.objects.get(code="data-leak").pk],
        "is_active": "on",
    }
    refused = hr.post(reverse("crisis:obligation_new"), form)
    assert refused.status_code == 200  # the form again: a classification needs severities
    assert "Name the severities that start the clock." in refused.content.decode()
    created = hr.post(reverse("crisis:obligation_new"), {**form, "severities": ["critical"]})
    assert created.status_code == 302
    obligation = Obligation.objects.get(code="eu-dpa-followup")
    assert (obligation.severities, obligation.period_value) == (["critical"], 5)
    assert list(obligation.scenarios.values_list("code", flat=True)) == ["data-leak"]
    edit = reverse("crisis:obligation_edit", args=[obligation.pk])
    assert "Follow-up report to the EU authority" in hr.get(edit).content.decode()
    hr.post(edit, {**form, "severities": ["high", "critical"], "period_value": "7"})
    obligation.refresh_from_db()
    assert (obligation.severities, obligation.period_value) == (["high", "critical"], 7)
    clash = hr.post(edit, {**form, "code": "gdpr-breach-72h", "severities": ["high"]})
    assert clash.status_code == 200 and Obligation.objects.filter(code="eu-dpa-followup").exists()


@pytest.mark.django_db
def test_the_crisis_manager_re_dates_an_accident_and_records_an_extension(
    crisis_world, client_as, users
):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    import time_machine

    from crisis.services.decisions import decision_make

    obligations_install()
    sh = ZoneInfo("Asia/Shanghai")
    with time_machine.travel(datetime(2026, 9, 25, 16, 0, tzinfo=sh), tick=False):
        crisis = crisis_file(scenario="workplace-injury", title="工伤", actor=users["manager"])
        decision_make(crisis=crisis, text="Arbitration", option="arbitration", actor=users["vp"])
        manager = client_as("manager")
        speak(users["manager"], "en")
        injury = CrisisObligation.objects.get(crisis=crisis, code="work-injury-recognition")
        award = CrisisObligation.objects.get(crisis=crisis, code="labour-arbitration-award")
        text = page(manager, crisis).content.decode()
        assert text.count('name="started_at"') == 1 and text.count('name="extension_reason"') == 1
        adjust = reverse("crisis:obligation_adjust", args=[injury.pk])
        bad = manager.post(adjust, {"started_at": "yesterday"}, follow=True)
        assert "Give the date and time the incident started." in bad.content.decode()
        later = manager.post(adjust, {"started_at": "2026-09-26T08:00"}, follow=True)
        assert "The incident can only have started earlier" in later.content.decode()
        manager.post(adjust, {"started_at": "2026-09-20T08:00"})
        injury.refresh_from_db()
        assert injury.triggered_at == datetime(2026, 9, 20, 8, 0, tzinfo=sh)
        assert injury.due_at == datetime(2026, 10, 21, 0, 0, tzinfo=sh)
        extend = reverse("crisis:obligation_adjust", args=[award.pk])
        assert client_as("legal").post(extend, {"extension_reason": "x"}).status_code == 403
        manager.post(extend, {"extension_reason": "Commission notice 17"})
        award.refresh_from_db()
        assert (award.extension_reason, award.due_at) == (
            "Commission notice 17",
            datetime(2026, 11, 25, 0, 0, tzinfo=sh),
        )
        assert 'name="extension_reason"' not in page(manager, crisis).content.decode()
