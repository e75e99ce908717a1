"""Which position "the executive" of a crisis is becomes organisation data (Position.decides_crises)
instead of a position code named in the crisis engine. The engine used to name
"vice-president": that position, where it exists, is marked so escalations keep their target."""

from django.db import migrations, models


def mark_former_executive(apps, schema_editor):
    Position = apps.get_model("hrcore", "Position")
    Position.objects.filter(code="vice-president").update(decides_crises=True)


class Migration(migrations.Migration):
    dependencies = [
        ("hrcore", "0006_business_calendars_move_from_crisis"),
    ]

    operations = [
        migrations.AddField(
            model_name="position",
            name="decides_crises",
            field=models.BooleanField(
                default=False,
                help_text="Crises escalate to the holder of this position nearest to the crisis's unit when nobody holds a duty's role, and as the last escalation step.",
                verbose_name="decides crises",
            ),
        ),
        migrations.RunPython(mark_former_executive, migrations.RunPython.noop, elidable=True),
    ]
