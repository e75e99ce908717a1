"""Filing is all or nothing (issue 11, item 1): a failure injected at any step of a filing leaves
no row behind in any table, and a replay with the same Idempotency-Key files the whole crisis.

The tests commit for real (``transaction=True``): a filing that committed its crisis row before
the failure would leave it behind here, on SQLite and on PostgreSQL alike. Run both tiers."""

from __future__ import annotations

import pytest
from django.db import transaction

from crisis import events
from crisis.models import Crisis, CrisisParticipant, Task, TimelineEvent
from crisis.services import filing as filing_services
from crisis.services.filing import crisis_file
from hrcore.models import IdempotencyKey, Notification, OutboxMessage

BODY = {
    "scenario": "debt-collection-emergency",
    "title": "Collectors in the Shanghai office",
    "description": "Two collectors, shouting.",
    "unit": "sh-business",
    "severity": "high",
}


def all_counts() -> dict[str, int]:
    """Every table a filing writes (and the dossier tables its side effects write)."""
    from integrations.models import Dossier, DossierSource

    models = (
        Crisis,
        Task,
        TimelineEvent,
        CrisisParticipant,
        Notification,
        OutboxMessage,
        IdempotencyKey,
        Dossier,
        DossierSource,
    )
    return {m.__name__: m.objects.count() for m in models}


def delta(after: dict, before: dict) -> dict:
    return {k: after[k] - before[k] for k in after}


class Injected(RuntimeError):
    """The fault a test injects."""


def _fail_on_call(real, n: int):
    """Wrap ``real`` so that its ``n``-th call raises (earlier calls write their rows)."""
    calls = {"n": 0}

    def wrapper(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == n:
            raise Injected(f"injected failure in {getattr(real, '__name__', real)}")
        return real(*args, **kwargs)

    wrapper.calls = calls
    return wrapper


# (name, module, attribute, the call that fails): late calls so earlier rows were written.
STEPS = [
    ("crisis_filed_event", events, "crisis_filed_event", 1),
    # (calendar_for_unit: not called here, no duty of this map counts business hours)
    ("duty_assignments", filing_services, "duty_assignments", 1),  # every assignee, one pass
    # The filing's own plain INSERTs: 1 the crisis row, 2 the tasks, 3 the participants.
    ("tasks", filing_services, "insert_objects", 2),
    ("task_created_event", events, "task_created_event", 3),
    ("clock_started_event", events, "clock_started_event", 2),
    ("timeline", events, "record_all", 1),  # the one INSERT of the timeline
    ("participants", filing_services, "insert_objects", 3),
    ("task_assigned_spec", filing_services, "task_assigned_spec", 3),
    ("notifications", filing_services, "notifications_create_many", 1),
    ("outbox_fan_out", filing_services, "outbox_fan_out", 1),  # the event and the e-mails
]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("step", "target", "attribute", "nth"), STEPS, ids=[s[0] for s in STEPS])
def test_a_failure_at_any_filing_step_leaves_nothing_and_a_replay_completes_it(
    crisis_world, api_as, monkeypatch, step, target, attribute, nth
):
    api = api_as("manager")
    # A clean filing of the same crisis says what a whole filing writes.
    start = all_counts()
    clean = api.post("/api/v1/crises/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="clean")
    assert clean.status_code == 201, clean.content
    whole = delta(all_counts(), start)
    assert whole["Crisis"] == 1 and whole["Task"] >= 3 and whole["IdempotencyKey"] == 1
    assert whole["Notification"] >= 3 and whole["OutboxMessage"] >= 3
    assert whole["CrisisParticipant"] >= 3 and whole["TimelineEvent"] >= 7

    before = all_counts()
    faulty = _fail_on_call(getattr(target, attribute), nth)
    monkeypatch.setattr(target, attribute, faulty)
    with pytest.raises(Injected):
        api.post("/api/v1/crises/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert faulty.calls["n"] == nth  # the fault was reached
    assert all_counts() == before, f"a failure in {step} left rows behind"
    assert not Crisis.objects.filter(title=BODY["title"]).exclude(pk=clean.json()["id"]).exists()

    monkeypatch.undo()
    replay = api.post("/api/v1/crises/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert replay.status_code == 201, replay.content
    assert "Idempotent-Replayed" not in replay.headers  # nothing was stored by the failure
    assert delta(all_counts(), before) == whole
    crisis = Crisis.objects.get(pk=replay.json()["id"])
    assert crisis.tasks.count() == Task.objects.filter(crisis_id=clean.json()["id"]).count()
    # …and the replay of the completed filing is the stored answer, writing nothing.
    after = all_counts()
    again = api.post("/api/v1/crises/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 201 and again.json()["id"] == crisis.pk
    assert all_counts() == after


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("step", "target", "attribute", "nth"), STEPS, ids=[s[0] for s in STEPS])
def test_a_service_level_filing_is_all_or_nothing_and_sends_nothing_before_commit(
    crisis_world, users, monkeypatch, mailoutbox, step, target, attribute, nth
):
    """The same through the service alone (the web form, webhooks and triggers file with their
    own key and no outer transaction): no row and no side effect survives the failure, and the
    replay with the same key files the whole crisis, whose e-mails leave after commit."""
    before = all_counts()
    faulty = _fail_on_call(getattr(target, attribute), nth)
    monkeypatch.setattr(target, attribute, faulty)
    with pytest.raises(Injected):
        crisis_file(
            scenario=BODY["scenario"],
            title="Webhook filing",
            actor=users["manager"],
            source="webhook",
            idempotency_key="delivery-7",
        )
    assert faulty.calls["n"] == nth
    assert all_counts() == before, f"a failure in {step} left rows behind"
    assert mailoutbox == []  # nothing left before commit
    monkeypatch.undo()
    crisis = crisis_file(
        scenario=BODY["scenario"],
        title="Webhook filing",
        actor=users["manager"],
        source="webhook",
        idempotency_key="delivery-7",
    )
    duties = crisis.map.duties.count()
    assert crisis.tasks.count() == duties
    assert TimelineEvent.objects.filter(crisis=crisis, kind="task_created").count() == duties
    assert OutboxMessage.objects.filter(dedupe_key=f"event:crisis.filed:{crisis.pk}").exists()
    # The relay ran after commit (eager in tests) and delivered the assignees' e-mails.
    assert len(mailoutbox) >= 2
    assert transaction.get_autocommit()
    again = crisis_file(
        scenario=BODY["scenario"],
        title="Webhook filing",
        actor=users["manager"],
        source="webhook",
        idempotency_key="delivery-7",
    )
    assert again.pk == crisis.pk and Crisis.objects.filter(title="Webhook filing").count() == 1
