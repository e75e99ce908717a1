"""Business calendars and holidays move from the crisis app to hrcore (organisation data, read by
responsibilities and crisis alike) without copying a row: the tables keep their names, only
Django's state moves. Content types are relabelled so permissions and audit entries follow."""

import datetime

import django.db.models.deletion
from django.db import migrations, models

import hrcore.models

MODELS = ("businesscalendar", "holiday")


def relabel(apps, schema_editor, *, old: str, new: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in MODELS:
        if ContentType.objects.using(db).filter(app_label=new, model=model).exists():
            continue
        ContentType.objects.using(db).filter(app_label=old, model=model).update(app_label=new)


def forwards(apps, schema_editor):
    relabel(apps, schema_editor, old="crisis", new="hrcore")


def backwards(apps, schema_editor):
    relabel(apps, schema_editor, old="hrcore", new="crisis")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("hrcore", "0005_api_token_expiry_and_login_sessions"),
        # The tables are created by the crisis app's first migration.
        ("crisis", "0010_customer_in_customers_app"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="BusinessCalendar",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(blank=True, max_length=200, verbose_name="name")),
                        ("time_zone", models.CharField(default="Asia/Shanghai", max_length=64, verbose_name="time zone")),
                        ("working_days", models.JSONField(default=hrcore.models.default_working_days, help_text="Weekday numbers, Monday = 0 … Sunday = 6.", verbose_name="working days")),
                        ("day_start", models.TimeField(default=datetime.time(9, 0), verbose_name="working day starts")),
                        ("day_end", models.TimeField(default=datetime.time(18, 0), verbose_name="working day ends")),
                        ("unit", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name="business_calendar", to="hrcore.orgunit", verbose_name="unit")),
                    ],
                    options={
                        "verbose_name": "business calendar",
                        "verbose_name_plural": "business calendars",
                        "db_table": "crisis_businesscalendar",
                        "constraints": [models.CheckConstraint(condition=models.Q(("day_end__gt", models.F("day_start"))), name="calendar_day_ends_after_start")],
                    },
                ),
                migrations.CreateModel(
                    name="Holiday",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("date", models.DateField(verbose_name="date")),
                        ("name_zh", models.CharField(blank=True, max_length=100, verbose_name="name (Chinese)")),
                        ("name_en", models.CharField(blank=True, max_length=100, verbose_name="name (English)")),
                        ("is_working_day", models.BooleanField(default=False, verbose_name="make-up working day")),
                        ("calendar", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="holidays", to="hrcore.businesscalendar")),
                    ],
                    options={
                        "verbose_name": "holiday",
                        "verbose_name_plural": "holidays",
                        "ordering": ["date"],
                        "db_table": "crisis_holiday",
                        "constraints": [models.UniqueConstraint(fields=("calendar", "date"), name="holiday_unique_per_day")],
                    },
                ),
            ],
        ),
        migrations.RunPython(forwards, backwards, elidable=True),
    ]
