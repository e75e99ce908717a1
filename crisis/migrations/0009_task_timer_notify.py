"""PostgreSQL only: NOTIFY keel_timers whenever a statement writes task timers, so the timer loop
(manage.py run_timers) wakes for a deadline nearer than the one it sleeps towards. A statement
trigger: one notification per statement, and PostgreSQL folds identical ones of a transaction
into one, delivered at commit. Nothing on SQLite (the loop polls there)."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION keel_task_timers_notify() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('keel_timers', '');
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER crisis_task_timers_notify
    AFTER INSERT OR UPDATE OF timer_state, warn_at, due_at, escalate_at, fire_retry_at
    ON crisis_task FOR EACH STATEMENT EXECUTE FUNCTION keel_task_timers_notify();
"""
DROP = """
DROP TRIGGER IF EXISTS crisis_task_timers_notify ON crisis_task;
DROP FUNCTION IF EXISTS keel_task_timers_notify();
"""


def create_notify_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_notify_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("crisis", "0008_board_flags_and_indexes")]

    operations = [migrations.RunPython(create_notify_trigger, drop_notify_trigger, elidable=False)]
