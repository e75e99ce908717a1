"""Issue 17 §5 (and §2's self view): the people list found by name, pinyin, initials or HR id,
in pages; one page per person assembled from the sections the apps register, shown to the
person, their supervisor chain, HR admins and executives — a 404 for anyone else — with the
commissions only for the person, their supervisors, HR and finance; in a bounded number of
queries whatever the number of rows."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hrcore.models import Employee, OrgUnit, Position
from hrcore.search_keys import query_key, search_key
from hrcore.services import org

pytestmark = pytest.mark.django_db


def test_search_key_is_full_pinyin_and_initials():
    assert search_key("张伟") == "zhangwei zw"
    assert search_key("重庆银行") == "chongqingyinhang cqyh"  # the phrase's reading, not zhong
    assert search_key("ABC科技") == "abckeji abckj"
    assert search_key("") == ""
    assert query_key(" Zhang'Wei ") == "zhangwei"


def _hire(username: str, zh: str, en: str, *, manager: Employee | None = None) -> Employee:
    return org.employee_create(
        username=username,
        password=None,
        name_zh=zh,
        name_en=en,
        unit=OrgUnit.objects.get(code="sh-business"),
        position=Position.objects.get(code="sales-rep"),
        manager=manager,
    )


def _names(response) -> list[int]:
    """The people listed (their ids, in order)."""
    return [p.pk for p in response.context["people"]]


@pytest.mark.parametrize("query", ["欧阳", "ouyangnana", "OuYang NaNa", "oynn", "Ouyang Nana"])
def test_people_list_finds_by_name_pinyin_and_initials(client_as, users, query):
    person = _hire("oyn", "欧阳娜娜", "Ouyang Nana", manager=users["manager"].employee)
    assert person.search_key == "ouyangnana oynn"
    response = client_as("hradmin").get("/people/", {"q": query})
    assert response.status_code == 200
    assert _names(response) == [person.pk]


def test_people_list_finds_by_hr_id_and_keeps_the_key_current(client_as, users):
    person = _hire("oyn", "欧阳娜娜", "Ouyang Nana")
    person.external_id = "HR-90817"
    person.name_zh = "司马娜娜"
    org.employee_save(employee=person)
    person.refresh_from_db()
    assert person.search_key == "simanana smnn"
    hr = client_as("hradmin")
    assert _names(hr.get("/people/", {"q": "hr-90817"})) == [person.pk]
    assert _names(hr.get("/people/", {"q": "smnn"})) == [person.pk]
    assert _names(hr.get("/people/", {"q": "oynn"})) == []


def test_people_list_pages(client_as):
    hr = client_as("hradmin")
    total = Employee.objects.filter(is_active=True).count()
    assert total > 25  # the demo group
    first = hr.get("/people/")
    assert len(_names(first)) == 25
    assert first.context["pager"]["page"].paginator.count == total
    last_number = (total + 24) // 25
    last = hr.get("/people/", {"page": last_number})
    assert len(_names(last)) == total - 25 * (last_number - 1)
    # Beyond the last page is the last page; garbage is the first.
    assert _names(hr.get("/people/", {"page": 9999})) == _names(last)
    assert _names(hr.get("/people/", {"page": "x"})) == _names(first)
    # The pager keeps the search.
    _hire("oyn", "欧阳娜娜", "Ouyang Nana")
    assert "page=2" not in hr.get("/people/", {"q": "oynn"}).content.decode()


def test_staff_lists_only_themselves(client_as, users):
    response = client_as("staff").get("/people/")
    assert re.findall(r'href="/people/(\d+)/"', response.content.decode()) == [
        str(users["staff"].employee.pk)
    ]


SECTIONS = ["crisis_duties", "crisis_history", "customers_owned", "complaints", "training"]


def _sections(response) -> list[str]:
    return re.findall(r'data-testid="section-([a-z_]+)"', response.content.decode())


def _executive_outside_the_chain(staff: Employee):
    """An executive of another subsidiary: sees every page, but is not above ``staff``."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.test import Client

    from hrcore.selectors import team_ids
    from tests.conftest import pass_second_factor

    executive = next(
        e
        for e in Employee.objects.filter(user__groups__name="executive").select_related("user")
        if staff.pk not in team_ids(e)
    )
    TOTP.activate(executive.user, generate_totp_secret())  # executives must use MFA
    client = Client()
    client.force_login(executive.user)
    pass_second_factor(client, executive.user)
    return client


@pytest.mark.parametrize(
    ("reader", "commissions"),
    [("staff", True), ("manager", True), ("vp", True), ("hradmin", True), ("executive", False)],
)
def test_person_page_for_self_supervisor_hr_and_executive(client_as, users, reader, commissions):
    staff = users["staff"].employee
    assert staff.manager_id == users["manager"].employee.pk
    # The vice-president is at the top of staff's supervisor chain; another executive is not.
    client = _executive_outside_the_chain(staff) if reader == "executive" else client_as(reader)
    response = client.get(f"/people/{staff.pk}/")
    assert response.status_code == 200
    # The performance record is shown to the same readers as commissions (self, chain, HR).
    private = ["commissions", "performance"] if commissions else []
    expected = SECTIONS[:4] + private + SECTIONS[4:]
    assert _sections(response) == expected


def test_supervisor_chain_sees_the_page_of_a_report_of_a_report(client_as, users):
    # The head of the report's manager's manager: the chain, not only the direct manager.
    middle = _hire("middle", "钱中", "Qian Zhong", manager=users["legal"].employee)
    bottom = _hire("bottom", "钱下", "Qian Xia", manager=middle)
    response = client_as("legal").get(f"/people/{bottom.pk}/")
    assert response.status_code == 200
    assert "commissions" in _sections(response)


@pytest.mark.parametrize("reader", ["manager2", "legal", "finance"])
def test_person_page_is_a_404_for_anyone_else(client_as, users, reader):
    staff = users["staff"].employee
    assert client_as(reader).get(f"/people/{staff.pk}/").status_code == 404


def test_unknown_person_is_a_404(client_as):
    assert client_as("hradmin").get("/people/999999/").status_code == 404


def test_my_page_is_the_own_page(client_as, users):
    response = client_as("staff").get("/people/me/")
    assert response.status_code == 200
    assert response.context["person"].pk == users["staff"].employee.pk
    assert "commissions" in _sections(response)
    assert 'href="/people/me/"' in response.content.decode()  # "My page" in the navigation


def test_sections_show_the_persons_rows(client_as, users):
    from integrations.models import Commission, Complaint, Order
    from tests.factories import CustomerFactory

    staff = users["staff"].employee
    customer = CustomerFactory(name_zh="测试甲", name_en="Test A", external_id="T-A")
    order = Order.objects.create(
        external_id="O-1", customer=customer, owner=staff, amount=Decimal("1000.00")
    )
    Commission.objects.create(
        order=order, employee=staff, grade=3, rate="0.0300", amount="30.00", period="2026-11"
    )
    Complaint.objects.create(
        external_id="C-1", customer=customer, employee=staff, summary_en="Late", summary_zh="迟到"
    )
    response = client_as("manager").get(f"/people/{staff.pk}/")
    body = response.content.decode()
    assert "T-A" in body
    assert 'data-period="2026-11"' in body
    assert 'data-status="pending"' in body
    assert "迟到" in body  # the manager reads Chinese (their language)


def _many_rows(person: Employee, n: int) -> None:
    """``n`` customers, orders with commissions, complaints, crises taken part in, competency
    evidence, open assignments and finished practice runs of ``person``."""
    from competency.models import Assignment, Competency, Evidence, SimulationRun, SimulationVersion
    from crisis.models import Crisis, CrisisParticipant, Task
    from integrations.models import Commission, Complaint, Order
    from responsibilities.models import ResponsibilityMap
    from tests.factories import CustomerFactory

    rmap = ResponsibilityMap.objects.filter(status="published").select_related("scenario").first()
    competencies = list(Competency.objects.all()[:n])
    version = SimulationVersion.objects.filter(status="published").select_related("simulation")[0]
    now = timezone.now()
    for i in range(n):
        customer = CustomerFactory(account_owner=person)
        order = Order.objects.create(
            external_id=f"O-{person.pk}-{i}", customer=customer, owner=person, amount=100
        )
        Commission.objects.create(
            order=order, employee=person, grade=3, rate="0.03", amount=3, period=f"2026-{i + 1:02d}"
        )
        Complaint.objects.create(
            external_id=f"C-{person.pk}-{i}", customer=customer, employee=person
        )
        crisis = Crisis.objects.create(
            scenario=rmap.scenario,
            map=rmap,
            map_version=rmap.version,
            unit=person.unit,
            customer=customer,
            title=f"T{i}",
        )
        CrisisParticipant.objects.create(crisis=crisis, employee=person, role="assignee")
        Task.objects.create(
            crisis=crisis,
            duty_code="d",
            action="a",
            deadline_minutes=30,
            assignee=person,
            due_at=now + timedelta(hours=1),
        )
        Evidence.objects.create(
            employee=person,
            competency=competencies[i % len(competencies)],
            competency_code=competencies[i % len(competencies)].code,
            level=2,
            kind="external",
        )
        Assignment.objects.create(
            employee=person,
            simulation=version.simulation,
            reason="manual",
            source_key=f"k-{person.pk}-{i}",
            due_at=now + timedelta(days=i),
        )
        SimulationRun.objects.create(
            version=version, employee=person, status="finished", finished_at=now, passed=True
        )


@pytest.mark.parametrize("reader", ["hradmin", "manager"])
def test_person_page_queries_do_not_grow_with_rows(client_as, users, reader):
    one = _hire("one", "一一", "Yi Yi", manager=users["manager"].employee)
    many = _hire("many", "多多", "Duo Duo", manager=users["manager"].employee)
    _many_rows(one, 1)
    _many_rows(many, 12)
    client = client_as(reader)
    client.get(f"/people/{one.pk}/")  # warm caches (content types, sessions)
    counts = []
    for person in (one, many):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/people/{person.pk}/")
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    body = response.content.decode()
    assert body.count('data-testid="crisis-history"') == 1
    assert response.context["sections"][0].key == "crisis_duties"
    owned = next(s for s in response.context["sections"] if s.key == "customers_owned")
    assert (len(owned.context["customers"]), owned.context["more"]) == (10, 2)


def test_the_data_migrations_fill_the_search_keys_of_existing_rows():
    """hrcore/migrations/0014 and customers/migrations/0002: rows written before the key have
    it after the migration (the way back drops the column with it)."""
    import importlib

    from django.apps import apps

    from customers.models import Customer

    Employee.objects.update(search_key="")
    Customer.objects.update(search_key="")
    importlib.import_module("hrcore.migrations.0015_employee_search_key").fill_search_keys(
        apps, None
    )
    importlib.import_module("customers.migrations.0002_customer_search_key").fill_search_keys(
        apps, None
    )
    staff = Employee.objects.get(user__username="staff")
    assert (staff.name_zh, staff.search_key) == ("周婷", "zhouting zt")
    assert Customer.objects.get(external_id="CUST-1001").search_key == (
        "huadongjiancaiyouxiangongsi hdjcyxgs"
    )
    assert not Employee.objects.filter(search_key="").exists()
