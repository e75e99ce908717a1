"""Celery configuration (issue 11, item 7), read through Celery's own API: beat messages expire
after one period (a tick queued behind a long outage is dropped, not run once per missed
period) and the outbox relay runs on the ``sla`` queue, never behind slow dossier pulls."""

from __future__ import annotations

import pytest
from celery import beat

from hrcore import tasks as hrcore_tasks
from hrcore.celery import app


def _queue(task_name: str) -> str:
    return app.amqp.router.route({}, task_name)["queue"].name


@pytest.mark.parametrize(
    "task_name",
    ["hrcore.tasks.outbox_relay", "hrcore.tasks.tick"],
)
def test_sla_work_and_the_outbox_relay_are_routed_to_the_sla_queue(task_name):
    assert _queue(task_name) == "sla"


@pytest.mark.parametrize(
    "task_name", ["integrations.tasks.dossier_build", "integrations.tasks.dossier_maintenance"]
)
def test_slow_partner_work_stays_on_the_default_queue(task_name):
    assert _queue(task_name) == "default"


def _scheduler() -> beat.Scheduler:
    scheduler = beat.Scheduler(app=app, lazy=True)
    scheduler.update_from_dict(app.conf.beat_schedule)
    return scheduler


def test_every_beat_entry_expires_after_about_one_period():
    scheduler = _scheduler()
    names = set(app.conf.beat_schedule)
    assert {"tick", "outbox-relay", "housekeeping"} <= names
    for name in names:
        entry = scheduler.schedule[name]
        period = entry.schedule.run_every.total_seconds()
        assert entry.options.get("expires") == period, name


def test_beat_sends_the_tick_with_its_expiry_to_the_sla_queue(monkeypatch):
    """What beat actually hands to Celery for the tick entry."""
    scheduler = _scheduler()
    task = hrcore_tasks.tick
    sent = []
    monkeypatch.setattr(
        task, "apply_async", lambda args=None, kwargs=None, **options: sent.append(options)
    )
    scheduler.apply_async(scheduler.schedule["tick"], producer=None, advance=False)
    (options,) = sent
    assert options["expires"] == app.conf.beat_schedule["tick"]["schedule"]
    assert app.amqp.router.route(dict(options), task.name)["queue"].name == "sla"
