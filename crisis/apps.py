from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrisisConfig(AppConfig):
    name = "crisis"
    verbose_name = _("Crisis response")

    def ready(self) -> None:
        from auditlog.registry import auditlog
        from django.db.backends.signals import connection_created

        from . import home_panels, person_sections, timer_wake
        from .models import Obligation, TriggerRule

        home_panels.register()
        person_sections.register()  # the crisis sections of a person's page
        auditlog.register(TriggerRule)
        auditlog.register(Obligation)
        # SQLite: a statement writing task timers wakes the timer loop after commit (the
        # PostgreSQL trigger of migration 0009 does it there).
        connection_created.connect(timer_wake.install, dispatch_uid="crisis.timer_wake")
