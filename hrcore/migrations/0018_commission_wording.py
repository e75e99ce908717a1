"""One Chinese word for commission (佣金): the summaries of commission performance events
recorded before say 提成 (``integrations.services.commissions``); rewrite their fixed prefixes.
Only Keel's own display text changes — the partner never received the summary, and the points
stay as recorded."""

from django.db import migrations

PREFIXES = [("提成获批:", "佣金获批:"), ("提成冲销:", "佣金冲销:")]


def _rewrite(apps, pairs) -> None:
    PerformanceEvent = apps.get_model("hrcore", "PerformanceEvent")
    for old, new in pairs:
        for event in PerformanceEvent.objects.filter(
            kind="commission", summary_zh__startswith=old
        ).only("pk", "summary_zh"):
            event.summary_zh = new + event.summary_zh[len(old) :]
            event.save(update_fields=["summary_zh"])


def forwards(apps, schema_editor):
    _rewrite(apps, PREFIXES)


def backwards(apps, schema_editor):
    _rewrite(apps, [(new, old) for old, new in PREFIXES])


class Migration(migrations.Migration):
    dependencies = [("hrcore", "0017_delivery_attempt_response_status")]

    operations = [migrations.RunPython(forwards, backwards, elidable=True)]
