# The crisis API list's order over real crises, and its count (issue 12 §2).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("crisis", "0024_dashboard_window_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="crisis",
            index=models.Index(
                condition=models.Q(("is_drill", False)),
                fields=["-filed_at", "-id"],
                name="crisis_real_filed",
            ),
        ),
    ]
