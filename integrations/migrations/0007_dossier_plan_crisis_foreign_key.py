"""Dossiers and response plans get a real foreign key to their crisis (they kept ``crisis_id`` as a
bare integer while crisis and integrations imported each other). The column keeps its name and
values; the database gains the constraint. A dossier whose crisis no longer exists loses the
reference (it stays a customer dossier); reversible."""

import django.db.models.deletion
from django.db import migrations, models


def forget_missing_crises(apps, schema_editor):
    Dossier = apps.get_model("integrations", "Dossier")
    Crisis = apps.get_model("crisis", "Crisis")
    Dossier.objects.exclude(crisis_id__isnull=True).exclude(
        crisis_id__in=Crisis.objects.values("pk")
    ).update(crisis_id=None)


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0006_customer_moves_to_customers_app"),
        ("crisis", "0010_customer_in_customers_app"),
    ]

    operations = [
        migrations.RunPython(forget_missing_crises, migrations.RunPython.noop, elidable=True),
        migrations.SeparateDatabaseAndState(
            # The column stays; it stops being "positive" (a plain bigint, as a foreign key is).
            database_operations=[
                migrations.AlterField(
                    model_name="dossier",
                    name="crisis_id",
                    field=models.BigIntegerField(blank=True, db_index=True, null=True, verbose_name="crisis"),
                ),
                migrations.AlterField(
                    model_name="responseplan",
                    name="crisis_id",
                    field=models.BigIntegerField(db_index=True, verbose_name="crisis"),
                ),
            ],
            state_operations=[
                migrations.RemoveConstraint(model_name="responseplan", name="plan_version_once"),
                migrations.RemoveField(model_name="dossier", name="crisis_id"),
                migrations.AddField(
                    model_name="dossier",
                    name="crisis",
                    field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="dossiers", to="crisis.crisis", verbose_name="crisis"),
                ),
                migrations.RemoveField(model_name="responseplan", name="crisis_id"),
                migrations.AddField(
                    model_name="responseplan",
                    name="crisis",
                    field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name="response_plans", to="crisis.crisis", verbose_name="crisis"),
                    preserve_default=False,
                ),
                migrations.AddConstraint(
                    model_name="responseplan",
                    constraint=models.UniqueConstraint(fields=("crisis", "version"), name="plan_version_once"),
                ),
            ],
        ),
        # Now the database gains the foreign-key constraints.
        migrations.AlterField(
            model_name="dossier",
            name="crisis",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="dossiers", to="crisis.crisis", verbose_name="crisis"),
        ),
        migrations.AlterField(
            model_name="responseplan",
            name="crisis",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="response_plans", to="crisis.crisis", verbose_name="crisis"),
        ),
    ]
