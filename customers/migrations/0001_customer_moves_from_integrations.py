"""The Customer model moves from integrations to this app without copying a row: the table keeps
its name (``integrations_customer``, see the model's Meta), only Django's state moves. The content
type is relabelled so the model's permissions, django-guardian grants and admin log entries
follow it (codenames stay ``*_customer``; as strings they read ``customers.view_customer``)."""

import django.db.models.deletion
import django.utils.timezone
from decimal import Decimal

from django.db import migrations, models


def relabel_content_type(apps, schema_editor, *, old: str, new: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if ContentType.objects.using(db).filter(app_label=new, model="customer").exists():
        return  # already there (e.g. migrated forwards, back and forwards with post_migrate between)
    ContentType.objects.using(db).filter(app_label=old, model="customer").update(app_label=new)


def forwards(apps, schema_editor):
    relabel_content_type(apps, schema_editor, old="integrations", new="customers")


def backwards(apps, schema_editor):
    relabel_content_type(apps, schema_editor, old="customers", new="integrations")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("hrcore", "0001_organisation"),
        # The table is created by integrations' first migration.
        ("integrations", "0005_inbound_body_digest"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="Customer",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("external_id", models.CharField(max_length=64, unique=True, verbose_name="external id")),
                        ("name_zh", models.CharField(max_length=200, verbose_name="name (Chinese)")),
                        ("name_en", models.CharField(max_length=200, verbose_name="name (English)")),
                        ("overdue_days", models.IntegerField(default=0, verbose_name="days overdue")),
                        ("overdue_since", models.DateField(blank=True, null=True, verbose_name="overdue since")),
                        ("outstanding_amount", models.DecimalField(decimal_places=2, default=Decimal("0"), max_digits=14, verbose_name="outstanding amount")),
                        ("currency", models.CharField(default="CNY", max_length=3, verbose_name="currency")),
                        ("credit_status", models.CharField(choices=[("good", "Good"), ("watch", "Watch (overdue)"), ("at_risk", "At risk (> 15 days overdue)"), ("collections", "Collections (≥ 30 days overdue)")], default="good", max_length=20, verbose_name="credit status")),
                        ("last_contact_at", models.DateTimeField(blank=True, null=True, verbose_name="last contact")),
                        ("last_contact_risk", models.BooleanField(default=False, verbose_name="last contact shows risk")),
                        ("last_contact_note", models.TextField(blank=True, verbose_name="last contact note")),
                        ("updated_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="updated")),
                        ("account_owner", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="customers", to="hrcore.employee", verbose_name="account owner")),
                        ("unit", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="customers", to="hrcore.orgunit", verbose_name="unit")),
                    ],
                    options={
                        "verbose_name": "customer",
                        "verbose_name_plural": "customers",
                        "ordering": ["-overdue_days", "external_id"],
                        "indexes": [models.Index(fields=["overdue_days"], name="customer_overdue_days")],
                        "db_table": "integrations_customer",
                    },
                ),
            ],
        ),
        migrations.RunPython(forwards, backwards, elidable=True),
    ]
