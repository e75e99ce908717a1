"""Security hardening (issue 10, item 8): records that must not change do not change. Timeline
events, decisions, delivered notifications, handover records and sent outbox rows are read-only
in the admin and cannot be deleted there; a crisis cannot be deleted (admin, model, and on
PostgreSQL the database); the timeline is append-only in PostgreSQL; role and position changes
are audited with actor, time and what changed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.utils import timezone

from crisis.models import Crisis, Decision, TimelineEvent
from crisis.services.decisions import decision_make
from crisis.services.filing import crisis_file
from hrcore.models import Notification, OutboxMessage
from tests.conftest import pass_second_factor

pytestmark = pytest.mark.django_db

SCENARIO = "debt-collection-emergency"


@pytest.fixture
def crisis(crisis_world, users):
    crisis = crisis_file(scenario=SCENARIO, title="Collectors", actor=users["manager"])
    decision_make(crisis=crisis, text="Negotiate", actor=users["vp"])
    return crisis


@pytest.fixture
def root():
    """A superuser in the admin (the strongest admin there is: if it cannot, nobody can)."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    user = get_user_model().objects.create_superuser("root", "root@example.com", "x" * 20)
    TOTP.activate(user, generate_totp_secret())  # admin users must use the second factor
    client = Client()
    client.force_login(user)
    pass_second_factor(client, user)
    return user, client


def _admin_url(obj, view: str) -> str:
    meta = obj._meta
    return f"/admin/{meta.app_label}/{meta.model_name}/{obj.pk}/{view}/"


def _refused_in_admin(client, obj, fields: dict) -> None:
    """Neither the change form nor the delete view lets the row change."""
    before = {f: getattr(obj, f) for f in fields}
    response = client.post(_admin_url(obj, "change"), fields)
    assert response.status_code in (403, 200), response.status_code
    assert client.post(_admin_url(obj, "delete"), {"post": "yes"}).status_code == 403
    obj.refresh_from_db()
    assert {f: getattr(obj, f) for f in fields} == before


def test_timeline_and_decisions_are_read_only_in_the_admin(root, crisis):
    _user, client = root
    event = TimelineEvent.objects.filter(crisis=crisis).first()
    decision = Decision.objects.get(crisis=crisis)
    assert client.get(_admin_url(event, "change")).status_code == 200  # listed for audit
    _refused_in_admin(client, event, {"kind": "closed"})
    _refused_in_admin(client, decision, {"text": "Pay everything"})
    assert TimelineEvent.objects.filter(pk=event.pk).exists()
    assert Decision.objects.filter(pk=decision.pk).exists()


def test_a_crisis_cannot_be_deleted_in_the_admin_nor_through_the_models(root, crisis):
    _user, client = root
    assert client.post(_admin_url(crisis, "delete"), {"post": "yes"}).status_code == 403
    response = client.post(
        "/admin/crisis/crisis/",
        {"action": "delete_selected", "_selected_action": [crisis.pk], "post": "yes"},
    )
    assert response.status_code in (200, 302)
    with pytest.raises(ValueError):
        crisis.delete()
    with pytest.raises(ValueError):
        Crisis.objects.filter(pk=crisis.pk).delete()
    assert Crisis.objects.filter(pk=crisis.pk).exists()
    assert TimelineEvent.objects.filter(crisis=crisis).exists()


def test_delivered_notifications_are_read_only_in_the_admin(root, crisis):
    _user, client = root
    notification = Notification.objects.first()
    _refused_in_admin(client, notification, {"subject_en": "Nothing happened"})
    assert Notification.objects.filter(pk=notification.pk).exists()


def test_sent_outbox_rows_cannot_be_deleted_but_pending_ones_can(root, crisis):
    _user, client = root
    sent, pending = OutboxMessage.objects.order_by("pk")[:2]
    OutboxMessage.objects.filter(pk=sent.pk).update(status="sent", sent_at=timezone.now())
    sent.refresh_from_db()
    _refused_in_admin(client, sent, {"channel": "other"})

    def bulk_delete(*pks):
        return client.post(
            "/admin/hrcore/outboxmessage/",
            {"action": "delete_selected", "_selected_action": list(pks), "post": "yes"},
        ).status_code

    assert bulk_delete(sent.pk, pending.pk) == 403  # a selection with a sent row is refused
    assert OutboxMessage.objects.filter(pk__in=[sent.pk, pending.pk]).count() == 2
    assert bulk_delete(pending.pk) == 302
    assert OutboxMessage.objects.filter(pk=sent.pk).exists()
    assert not OutboxMessage.objects.filter(pk=pending.pk).exists()


def test_handover_records_cannot_be_deleted_in_the_admin(root, users):
    from integrations.models import Handover

    _user, client = root
    handover = Handover.objects.create(
        employee=users["finance"].employee,
        successor=users["legal"].employee,
        revertible_until=timezone.now() + timedelta(days=1),
        note="keep me",
    )
    _refused_in_admin(client, handover, {"note": "changed"})
    assert Handover.objects.filter(pk=handover.pk).exists()


# --- Audit of role and position changes ---------------------------------------------------------


def test_role_change_in_the_admin_is_audited_with_actor_and_change(root, users):
    actor, client = root
    staff = users["staff"]
    manager_group = Group.objects.get(name="manager")
    form = client.get(f"/admin/auth/user/{staff.pk}/change/").context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and name not in ("password", "user_permissions", "groups")
    }
    data["groups"] = [g.pk for g in staff.groups.all()] + [manager_group.pk]
    data["last_login_0"] = data["last_login_1"] = ""
    joined = timezone.localtime(staff.date_joined)
    data["date_joined_0"], data["date_joined_1"] = f"{joined:%Y-%m-%d}", f"{joined:%H:%M:%S}"
    data.pop("last_login", None)
    data.pop("date_joined", None)
    response = client.post(f"/admin/auth/user/{staff.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert staff.groups.filter(name="manager").exists()
    entry = LogEntry.objects.get_for_object(staff).order_by("-timestamp").first()
    assert entry is not None and entry.actor == actor and entry.timestamp is not None
    assert "groups" in entry.changes_dict
    assert "manager" in str(entry.changes_dict["groups"])
    assert "password" not in entry.changes_dict


def test_position_change_is_audited_with_actor_and_change(root, users):
    from auditlog.context import set_actor

    from hrcore.models import Position
    from hrcore.services.org import employee_save

    actor, _client = root
    employee = users["staff"].employee
    new_position = Position.objects.exclude(pk=employee.position_id).first()
    with set_actor(actor):
        employee.position = new_position
        employee_save(employee=employee, actor=actor)
    entry = LogEntry.objects.get_for_object(employee).order_by("-timestamp").first()
    assert entry.actor == actor and "position" in entry.changes_dict


# --- PostgreSQL: append-only at the database level ------------------------------------------------


def _refused_sql(sql: str, params) -> None:
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_timeline_is_append_only_and_crises_are_not_deletable(crisis_world, users):
    """A transactional test: the database is reset with ``flush`` afterwards, which is TRUNCATE
    on PostgreSQL and fires no row trigger (the next test starts from an empty table)."""
    crisis = crisis_file(scenario=SCENARIO, title="Collectors", actor=users["manager"])
    event = TimelineEvent.objects.filter(crisis=crisis).first()
    _refused_sql("UPDATE crisis_timelineevent SET kind = 'closed' WHERE id = %s", [event.pk])
    _refused_sql("DELETE FROM crisis_timelineevent WHERE id = %s", [event.pk])
    _refused_sql("DELETE FROM crisis_crisis WHERE id = %s", [crisis.pk])
    event.refresh_from_db()
    assert event.kind != "closed"
    assert Crisis.objects.filter(pk=crisis.pk).exists()
    # The one change let through: the acting user's account is deleted (actor → NULL).
    actor_event = TimelineEvent.objects.filter(crisis=crisis, actor__isnull=False).first()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE crisis_timelineevent SET actor_id = NULL WHERE id = %s", [actor_event.pk]
        )
    actor_event.refresh_from_db()
    assert actor_event.actor_id is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_flush_left_an_empty_timeline():
    """Runs after the test above (file order): its flush (TRUNCATE) went through."""
    assert not TimelineEvent.objects.exists() and not Crisis.objects.exists()


@pytest.mark.postgres
def test_postgres_trigger_migration_reverses_cleanly():
    """The migration's reverse SQL drops both triggers and its forward SQL adds them again (in
    a transaction rolled back by the test)."""
    import importlib

    migration = importlib.import_module("crisis.migrations.0007_records_append_only")

    def triggers() -> set[str]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgname IN "
                "('crisis_timeline_append_only', 'crisis_not_deletable')"
            )
            return {row[0] for row in cursor.fetchall()}

    assert triggers() == {"crisis_timeline_append_only", "crisis_not_deletable"}
    with connection.cursor() as cursor:
        cursor.execute(migration.BACKWARD)
    assert triggers() == set()
    with connection.cursor() as cursor:
        cursor.execute(migration.FORWARD)
    assert triggers() == {"crisis_timeline_append_only", "crisis_not_deletable"}
