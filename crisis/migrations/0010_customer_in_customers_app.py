"""Crisis.customer and TriggerAlert.customer point at customers.Customer (the model moved apps; its
table and every row stay where they are, so only Django's state changes)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("crisis", "0009_task_timer_notify"),
        ("customers", "0001_customer_moves_from_integrations"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="crisis",
                    name="customer",
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="crises", to="customers.customer", verbose_name="customer"),
                ),
                migrations.AlterField(
                    model_name="triggeralert",
                    name="customer",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="trigger_alerts", to="customers.customer"),
                ),
            ],
        ),
    ]
