"""Records that must not change do not change, at the database level (PostgreSQL): the timeline
is append-only (a trigger refuses UPDATE and DELETE of its rows) and a crisis row cannot be
deleted (it is closed instead). TRUNCATE does not fire row triggers, so Django's ``flush``
(TRUNCATE on PostgreSQL: the test runner's TransactionTestCase/live_server reset) still works.

One exception: when a user account is deleted, ``actor`` is set to NULL (on_delete=SET_NULL);
the trigger lets exactly that change through, nothing else. No-op on SQLite (the embedded
default has no triggers here; the models refuse there)."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION keel_timeline_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND OLD.actor_id IS NOT NULL AND NEW.actor_id IS NULL
       AND (NEW.id, NEW.crisis_id, NEW.task_id, NEW.kind, NEW.at, NEW.data::text)
           IS NOT DISTINCT FROM (OLD.id, OLD.crisis_id, OLD.task_id, OLD.kind, OLD.at, OLD.data::text)
    THEN
        RETURN NEW;  -- the acting user's account was deleted (on_delete=SET_NULL)
    END IF;
    RAISE EXCEPTION 'timeline events are append-only (% refused)', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER crisis_timeline_append_only
    BEFORE UPDATE OR DELETE ON crisis_timelineevent
    FOR EACH ROW EXECUTE FUNCTION keel_timeline_append_only();

CREATE OR REPLACE FUNCTION keel_crisis_not_deletable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'a crisis cannot be deleted, only closed'
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER crisis_not_deletable
    BEFORE DELETE ON crisis_crisis
    FOR EACH ROW EXECUTE FUNCTION keel_crisis_not_deletable();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS crisis_not_deletable ON crisis_crisis;
DROP FUNCTION IF EXISTS keel_crisis_not_deletable();
DROP TRIGGER IF EXISTS crisis_timeline_append_only ON crisis_timelineevent;
DROP FUNCTION IF EXISTS keel_timeline_append_only();
"""


class PostgresRunSQL(migrations.RunSQL):
    """RunSQL on PostgreSQL only (a no-op elsewhere), reversible."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("crisis", "0006_task_timer_fire_failures")]

    operations = [PostgresRunSQL(sql=FORWARD, reverse_sql=BACKWARD)]
