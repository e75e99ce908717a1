"""Business calendars and holidays now belong to hrcore (state only: tables and rows stay)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("crisis", "0010_customer_in_customers_app"),
        ("hrcore", "0006_business_calendars_move_from_crisis"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name="Holiday"),
                migrations.DeleteModel(name="BusinessCalendar"),
            ],
        ),
    ]
