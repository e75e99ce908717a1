"""Security hardening (issue 10, item 7): least privilege for people on a crisis. Staff who hold
one task see their own task, the crisis summary and what their duty needs — not every
deliverable and not the customer's payment dossier — on the crisis page, its partials, the
deliverable download, the dossier pages and the API."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from crisis.models import Task
from crisis.need_to_know import sources_for_items
from crisis.selectors.access import crisis_access
from crisis.services.filing import crisis_file
from crisis.services.tasks import task_complete

pytestmark = pytest.mark.django_db

SCENARIO = "debt-collection-emergency"
FINANCE_NOTE = "Paid 1,000 of 9,000; invoice INV-SECRET-77 unpaid since March"
LEGAL_NOTE = "Intimidation: call the police when they block the door"
PAYMENT_MARK = "PAYMENT-ROW-4711"
LEGAL_MARK = "LEGAL-BASIS-2024"
PDF = b"%PDF-1.4 payment records\n%%EOF"


@pytest.fixture
def crisis(crisis_world, users):
    """The emergency filed by ``manager`` about CUST-1001; finance and legal have delivered
    (finance with a file); the crisis has a complete dossier and a plan with amounts."""
    from integrations.models import Dossier, DossierSource, ResponsePlan

    crisis = crisis_file(
        scenario=SCENARIO,
        title="Collectors in the office",
        customer_external_id="CUST-1001",
        actor=users["manager"],
    )
    tasks = {t.duty_code: t for t in crisis.tasks.all()}
    task_complete(
        task=tasks["finance-records"],
        actor=users["finance"],
        note=FINANCE_NOTE,
        file=SimpleUploadedFile("payments.pdf", PDF, "application/pdf"),
    )
    task_complete(task=tasks["legal-support"], actor=users["legal"], note=LEGAL_NOTE)
    now = timezone.now()
    dossier = Dossier.objects.create(
        crisis_id=crisis.pk, customer=crisis.customer, status="complete", completed_at=now
    )
    data = {
        "credit": {"currency": "CNY", "outstanding_amount": "8000.00", "overdue_days": 40},
        "payments": [{"paid_on": "2026-03-01", "invoice": PAYMENT_MARK, "amount": "1000.00"}],
        "legal_guide": {"title_en": LEGAL_MARK, "title_zh": LEGAL_MARK, "legal_basis": []},
        "attendance": [],
    }
    for source, value in data.items():
        DossierSource.objects.create(
            dossier=dossier, source=source, status="fresh", data=value, fetched_at=now
        )
    ResponsePlan.objects.create(
        crisis_id=crisis.pk,
        version=1,
        dossier=dossier,
        say_en="Stay calm",
        say_zh="保持冷静",
        amounts={"outstanding": "8000.00", "currency": "CNY", "overdue_days": 40},
    )
    return crisis


def _deliverable(crisis, code):
    return Task.objects.get(crisis=crisis, duty_code=code).deliverables.get()


# --- the rule ---------------------------------------------------------------------------------


def test_information_items_name_dossier_sources():
    assert sources_for_items(["付款记录 / Payment records", "未付发票 / Unpaid invoices"]) == {
        "payments",
        "credit",
        "invoices",
    }
    assert sources_for_items(["合同 / Contract", "现场情况 / Situation on site"]) == {
        "legal_guide",
        "attendance",
    }
    assert sources_for_items([]) == frozenset()
    assert sources_for_items(["something nobody mapped"]) == frozenset()


def test_who_sees_what(crisis, users):
    for name in ("manager", "vp", "hradmin"):
        assert crisis_access(users[name], crisis).full, name
    admin = crisis_access(users["admin"], crisis)
    assert not admin.full and admin.dossier_sources == frozenset()
    finance = crisis_access(users["finance"], crisis)
    assert finance.dossier_sources == {"payments", "credit", "invoices"}
    legal = crisis_access(users["legal"], crisis)
    assert legal.dossier_sources == {"legal_guide", "attendance"}
    finance_task = Task.objects.get(crisis=crisis, duty_code="finance-records")
    assert finance.sees_task_details(finance_task.pk)
    assert not legal.sees_task_details(finance_task.pk)


# --- the crisis page and its partials -----------------------------------------------------------


@pytest.mark.parametrize("url_name", ["crisis:detail", "crisis:detail_live"])
def test_staff_with_one_task_do_not_see_other_departments_deliverables(client_as, crisis, url_name):
    html = client_as("admin").get(reverse(url_name, args=[crisis.pk])).content.decode()
    assert crisis.title in html or url_name == "crisis:detail_live"
    assert 'data-testid="task-admin-on-site"' in html  # every task's headline stays
    assert FINANCE_NOTE not in html and LEGAL_NOTE not in html
    assert "payments.pdf" not in html


def test_finance_sees_its_own_deliverable_but_not_legals(client_as, crisis):
    html = client_as("finance").get(reverse("crisis:detail_live", args=[crisis.pk])).content
    assert FINANCE_NOTE in html.decode() and LEGAL_NOTE not in html.decode()


@pytest.mark.parametrize("who", ["manager", "vp", "hradmin"])
def test_filer_executive_and_hr_see_everything(client_as, crisis, who):
    html = client_as(who).get(reverse("crisis:detail_live", args=[crisis.pk])).content.decode()
    assert FINANCE_NOTE in html and LEGAL_NOTE in html and "payments.pdf" in html


# --- deliverable download -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [("admin", 404), ("legal", 404), ("staff", 404), ("finance", 200), ("manager", 200)],
)
def test_deliverable_download_follows_need_to_know(client_as, crisis, who, status):
    deliverable = _deliverable(crisis, "finance-records")
    response = client_as(who).get(reverse("crisis:deliverable", args=[deliverable.pk]))
    assert response.status_code == status
    if status == 200:
        assert b"".join(response.streaming_content) == PDF


# --- dossier pages and API ------------------------------------------------------------------------


def test_dossier_panel_shows_staff_only_what_their_duty_needs(client_as, crisis):
    url = reverse("integrations:crisis_dossier_panel", args=[crisis.pk])
    admin = client_as("admin").get(url).content.decode()
    assert PAYMENT_MARK not in admin and LEGAL_MARK not in admin
    assert "8000.00" not in admin  # neither the credit profile nor the plan's amounts
    assert "Stay calm" in admin or "保持冷静" in admin  # the plan's script is for everyone
    legal = client_as("legal").get(url).content.decode()
    assert LEGAL_MARK in legal and PAYMENT_MARK not in legal and "8000.00" not in legal
    finance = client_as("finance").get(url).content.decode()
    assert PAYMENT_MARK in finance and LEGAL_MARK not in finance
    manager = client_as("manager").get(url).content.decode()
    assert PAYMENT_MARK in manager and LEGAL_MARK in manager and "8000.00" in manager


def test_dossier_api_shows_staff_only_what_their_duty_needs(api_as, crisis):
    url = f"/api/v1/integrations/crises/{crisis.pk}/dossier/"

    def sources(who):
        body = api_as(who).get(url).json()
        return {s["source"] for s in body["dossier"]["sources"]}, body["plan"]["amounts"]

    assert sources("admin") == (set(), {})
    assert sources("legal") == ({"legal_guide", "attendance"}, {})
    finance_sources, finance_amounts = sources("finance")
    assert finance_sources == {"credit", "payments"} and finance_amounts["outstanding"]
    manager_sources, _ = sources("manager")
    assert manager_sources == {"credit", "payments", "legal_guide", "attendance"}


# --- the customer's own dossier (outside the crisis) ---------------------------------------------


@pytest.fixture
def customer_dossier(crisis):
    """CUST-1001's own dossier with a payment row and its contacts."""
    from integrations.models import Dossier, DossierSource

    now = timezone.now()
    dossier = Dossier.objects.create(customer=crisis.customer, status="complete", completed_at=now)
    data = {
        "payments": [{"paid_on": "2026-03-01", "invoice": PAYMENT_MARK, "amount": "1000.00"}],
        "contacts": [{"at": "2026-03-02T10:00:00", "channel": "phone", "note_en": "CALLED-BACK"}],
    }
    for source, value in data.items():
        DossierSource.objects.create(
            dossier=dossier, source=source, status="fresh", data=value, fetched_at=now
        )
    return crisis.customer


def test_administration_does_not_read_the_customers_payment_history_elsewhere(
    client_as, api_as, customer_dossier
):
    """The administration officer sees the customer (their subsidiary's), and its contacts,
    but the customer's own dossier does not hand them the payment history either."""
    url = reverse("integrations:customer_dossier", args=["CUST-1001"])
    admin = client_as("admin").get(url).content.decode()
    assert PAYMENT_MARK not in admin and "CALLED-BACK" in admin
    finance = client_as("finance").get(url).content.decode()
    assert PAYMENT_MARK in finance
    body = api_as("admin").get("/api/v1/customers/CUST-1001/dossier/").json()
    assert {s["source"] for s in body["sources"]} == {"contacts"}
    body = api_as("manager").get("/api/v1/customers/CUST-1001/dossier/").json()
    assert {s["source"] for s in body["sources"]} == {"payments", "contacts"}
