"""Customer master data moves to the customers app (state only: the table and its rows stay);
complaints, orders and dossiers point at customers.Customer."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0005_inbound_body_digest"),
        ("customers", "0001_customer_moves_from_integrations"),
        # Every other app's foreign key to the customer has moved before the old model goes.
        ("crisis", "0010_customer_in_customers_app"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="complaint",
                    name="customer",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="complaints", to="customers.customer"),
                ),
                migrations.AlterField(
                    model_name="order",
                    name="customer",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="orders", to="customers.customer"),
                ),
                migrations.AlterField(
                    model_name="dossier",
                    name="customer",
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="dossiers", to="customers.customer"),
                ),
                migrations.DeleteModel(name="Customer"),
            ],
        ),
    ]
