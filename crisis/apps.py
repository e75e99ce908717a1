from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrisisConfig(AppConfig):
    name = "crisis"
    verbose_name = _("Crisis response")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from . import home_panels, person_sections
        from .models import Obligation, TriggerRule

        home_panels.register()
        person_sections.register()  # the crisis sections of a person's page
        auditlog.register(TriggerRule)
        auditlog.register(Obligation)
