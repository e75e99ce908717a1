"""The crisis API list renders crises from plain rows (``crisis.api.representation``, issue 12
§2); these tests hold it to ``CrisisSerializer`` byte for byte, for crises with every kind of
field, in both languages and several time zones, and through the endpoint."""

from __future__ import annotations

import json
import zoneinfo
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone, translation
from rest_framework.renderers import JSONRenderer

from crisis.api.representation import crises_representation
from crisis.api.serializers import CrisisSerializer
from crisis.choices import CrisisStatus, TaskKind, TaskStatus, TimerState
from crisis.models import Crisis, Decision, Task
from crisis.selectors.crises import crises_with_tasks, crisis_rows, task_rows_of, walk_in_rows_of
from crisis.services.filing import crisis_file
from crisis.services.tasks import task_acknowledge
from crisis.services.walk_in import walk_in_complaint_file
from customers.models import Customer
from hrcore.models import Employee
from responsibilities.models import Duty

pytestmark = pytest.mark.django_db

LANGUAGES = ("zh-hans", "en")
TIME_ZONES = ("UTC", "Asia/Shanghai", "America/New_York")


@pytest.fixture
def varied_crises(crisis_world, users, file_emergency):
    """Crises with every kind of field the list shows: a customer, a walk-in consumer, a drill
    on a compressed clock, a closed one with its outcome and milestones, and tasks in every
    status and clock state — acknowledged, done on time and late, cancelled, paused, breached,
    open past due, waiting, a gap without assignee, an ad-hoc follow-up without a duty —
    assignees and duties with a name or action in one language only, whole-second times."""
    now = timezone.now()
    plain = file_emergency(title="催收人员到访")
    customer = Customer.objects.order_by("id").first()
    with_customer = file_emergency(
        title="Customer at the door", customer_external_id=customer.external_id
    )
    walk_in = walk_in_complaint_file(
        scenario="customer-complaint",
        title="顾客投诉电水壶漏水",
        consumer_name="李娜",
        consumer_phone="+86 138-0013-8000",
        consumer_purchase="电水壶，小票 0042",
        responsible="staff",
        actor=users["manager"],
    )
    drill = crisis_file(
        scenario="debt-collection-emergency",
        title="演练：催收人员到访",
        actor=users["hradmin"],
        drill=True,
        drill_speed=4,
    )
    closed = file_emergency(title="Closed one")
    Crisis.objects.filter(pk=closed.pk).update(
        status=CrisisStatus.RESOLVED,
        closed_at=now.replace(microsecond=0),
        outcome="Paid in instalments.",
        lessons="Call legal first.",
        first_response_seconds=60,
        all_info_seconds=600,
        decision_seconds=900,
        resolution_seconds=3600,
        breach_count=2,
        severity="critical",
    )

    tasks = list(plain.tasks.order_by("order", "id"))
    open_tasks = [t for t in tasks if t.status == TaskStatus.OPEN]
    assert len(open_tasks) >= 3 and any(t.status == TaskStatus.WAITING for t in tasks)
    task_acknowledge(task=open_tasks[0], actor=open_tasks[0].assignee.user)
    Task.objects.filter(pk=open_tasks[1].pk).update(  # done, late
        status=TaskStatus.DONE,
        completed_at=now,
        due_at=now - timedelta(minutes=5),
        timer_state=TimerState.STOPPED,
    )
    Task.objects.filter(pk=open_tasks[2].pk).update(  # open past due, whole seconds
        due_at=(now - timedelta(minutes=1)).replace(microsecond=0),
        warn_at=(now - timedelta(minutes=3)).replace(microsecond=0),
    )
    other = list(with_customer.tasks.order_by("order", "id"))
    Task.objects.filter(pk=other[0].pk).update(  # paused
        paused_at=now, paused_seconds=75, timer_state=TimerState.PAUSED
    )
    Task.objects.filter(pk=other[1].pk).update(  # breached and escalated
        breached_at=now, escalation_step=2, timer_state=TimerState.BREACHED
    )
    Task.objects.filter(pk=other[2].pk).update(status=TaskStatus.CANCELLED)
    Task.objects.filter(pk=other[3].pk).update(  # a gap: nobody holds the duty
        assignee=None, assignee_gap=True
    )
    decision = Decision.objects.create(
        crisis=with_customer, text="Pay in instalments.", made_by=users["vp"]
    )
    Task.objects.create(  # a follow-up added while the crisis runs: no duty
        crisis=with_customer,
        kind=TaskKind.FOLLOW_UP,
        duty_code="follow-up",
        action="Call the bank back",
        follow_up_of=decision,
        deadline_minutes=30,
        assignee=other[0].assignee,
        status=TaskStatus.DONE,
        started_at=now - timedelta(minutes=20),
        due_at=now + timedelta(minutes=10),
        completed_at=now - timedelta(minutes=1),
        order=99,
        after=["finance-records"],
    )
    # one language only: the other falls back
    assignee = open_tasks[0].assignee
    Employee.objects.filter(pk=assignee.pk).update(name_zh="")
    Duty.objects.filter(pk=open_tasks[2].duty_id).update(action_en="")
    return [plain, with_customer, walk_in, drill, closed]


def _serializer_json(queryset) -> bytes:
    crises = crises_with_tasks(
        queryset.select_related(
            "customer", "walk_in__responsible__user", "walk_in__supervisor__user"
        )
    )
    return JSONRenderer().render(CrisisSerializer(crises, many=True).data)


def _rows_json(queryset) -> bytes:
    rows = list(crisis_rows(queryset))
    ids = [row.id for row in rows]
    return JSONRenderer().render(
        crises_representation(rows, task_rows_of(ids), walk_in_rows_of(ids))
    )


def test_rows_render_as_the_serializer_does(varied_crises):
    queryset = Crisis.objects.select_related("scenario", "unit", "map", "filed_by").order_by(
        "-filed_at", "-id"
    )
    for language in LANGUAGES:
        for zone in TIME_ZONES:
            with translation.override(language), timezone.override(zoneinfo.ZoneInfo(zone)):
                expected = _serializer_json(queryset)
                assert _rows_json(queryset) == expected, (language, zone)
    # every kind of field was there to compare
    data = json.loads(expected)
    assert {c["walk_in"] is None for c in data} == {True, False}
    assert {c["customer"] is None for c in data} == {True, False}
    assert {c["drill"] for c in data} == {True, False}
    assert {c["closed_at"] is None for c in data} == {True, False}
    tasks = [t for c in data for t in c["tasks"]]
    assert {t["status"] for t in tasks} == {s.value for s in TaskStatus}
    assert {t["late"] for t in tasks} == {True, False}
    assert {t["assignee"] is None for t in tasks} == {True, False}
    assert {t["follow_up_of"] is None for t in tasks} == {True, False}
    assert any(t["paused_at"] for t in tasks) and any(t["escalation_step"] for t in tasks)


def test_drill_actions_are_on_the_compressed_clock_in_both(varied_crises):
    drill = varied_crises[3]
    queryset = Crisis.objects.filter(pk=drill.pk)
    with translation.override("en"):
        data = json.loads(_rows_json(queryset))
        assert data == json.loads(_serializer_json(queryset))
    # the drill's 15-minute decision duty reads as a compressed clock: not the map's wording
    map_actions = set(Duty.objects.filter(map=drill.map).values_list("action_en", flat=True))
    assert any(t["action"] not in map_actions for t in data[0]["tasks"])


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_list_endpoint_answers_what_the_serializer_would(varied_crises, api_as, language):
    """Through the endpoint (a token: the language of the request, the organisation's time
    zone), with paging and filters."""
    api = api_as("vp")
    real = Crisis.objects.filter(is_drill=False).order_by("-filed_at", "-id")
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    for url, queryset, count in (
        ("/api/v1/crises/", real, real.count()),
        ("/api/v1/crises/?limit=2&offset=1", real[1:3], real.count()),
        ("/api/v1/crises/?drill=true", Crisis.objects.filter(is_drill=True), 1),
        ("/api/v1/crises/?status=resolved", real.filter(status=CrisisStatus.RESOLVED), 1),
        ("/api/v1/crises/?offset=50", real.none(), real.count()),
    ):
        response = api.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200, response.content
        assert response.headers["Content-Language"] == language
        body = json.loads(response.content)
        assert body["count"] == count, url
        with translation.override(language), timezone.override(zone):
            expected = json.loads(_serializer_json(queryset))
        assert len(body["results"]) == len(expected), url
        for got, want in zip(body["results"], expected, strict=True):
            assert list(got) == list(want)
            assert got == want, [(k, got[k], want[k]) for k in want if got[k] != want[k]]


def test_the_list_of_someone_who_sees_little(varied_crises, api_as):
    """Staff see only the crises they take part in: the same rows as the serializer's."""
    body = api_as("staff").get("/api/v1/crises/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert body["count"] == len(body["results"]) >= 1
    assert body["count"] < Crisis.objects.filter(is_drill=False).count()
    ids = [c["id"] for c in body["results"]]
    queryset = Crisis.objects.filter(pk__in=ids).order_by("-filed_at", "-id")
    with translation.override("en"), timezone.override(zoneinfo.ZoneInfo(settings.TIME_ZONE)):
        assert body["results"] == json.loads(_serializer_json(queryset))
