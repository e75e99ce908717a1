"""Backfill the milestone columns of existing crises from their timelines and tasks (the rules of
``crisis.metrics`` at the time of writing, frozen here: a migration must not follow later code)."""

from django.db import migrations
from django.db.models import Count, Max, Min, OuterRef, Q, Subquery

RESPONSE_KINDS = ("task_acknowledged", "task_completed", "task_commented", "decision_made")
DECISION_KINDS = ("decision_made",)


def _first_event(TimelineEvent, kinds):
    return Subquery(
        TimelineEvent.objects.filter(
            crisis=OuterRef("pk"), kind__in=kinds, at__gte=OuterRef("filed_at")
        )
        .order_by()
        .values("crisis")
        .annotate(first=Min("at"))
        .values("first")[:1]
    )


def backfill(apps, schema_editor):
    Crisis = apps.get_model("crisis", "Crisis")
    Task = apps.get_model("crisis", "Task")
    TimelineEvent = apps.get_model("crisis", "TimelineEvent")
    Crisis.objects.update(
        first_response_at=_first_event(TimelineEvent, RESPONSE_KINDS),
        decided_at=_first_event(TimelineEvent, DECISION_KINDS),
    )
    # All information: every information task (not a decision, not cancelled) is done.
    info = ~Q(deliverable_kind="decision") & ~Q(status="cancelled")
    rows = (
        Task.objects.filter(info)
        .order_by()
        .values("crisis_id")
        .annotate(
            total=Count("pk"),
            done=Count("pk", filter=Q(status="done", completed_at__isnull=False)),
            last=Max("completed_at"),
        )
        .values_list("crisis_id", "total", "done", "last")
    )
    for crisis_id, total, done, last in rows.iterator():
        if total and done == total:
            Crisis.objects.filter(pk=crisis_id).update(all_info_at=last)


class Migration(migrations.Migration):
    dependencies = [("crisis", "0003_crisis_milestones")]

    # Reversing keeps nothing to undo: 0003's reversal drops the columns.
    operations = [migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True)]
