"""Run the timer loop: SLA warnings, breaches and escalations fire at their due time."""

from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand

from crisis import timer_loop


class Command(BaseCommand):
    help = (
        "Fire SLA timers at their due time: sleep until the next due row, woken early by "
        "PostgreSQL NOTIFY (on SQLite, by a wake file touched after each commit of a timer write). Safe to run several; the beat tick "
        "stays the catch-up safety net. SIGINT/SIGTERM stop it."
    )

    def handle(self, *args, **options):
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_args: stop.set())
        stats = timer_loop.run(stop)
        self.stdout.write(
            f"timer loop stopped: {stats.wakes} wakes, {stats.sweeps} sweeps, "
            f"{stats.fired} timers fired"
        )
